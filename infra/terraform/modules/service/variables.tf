variable "name" {
  description = "Short service name: edge, core, workers, web or ai."
  type        = string
}

variable "project_id" {
  type = string
}

variable "region" {
  type = string
}

variable "image" {
  description = "The container image, by digest only: registry/name@sha256:<64 hex>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must name a digest: <registry>/<name>@sha256:<64 lowercase hex>."
  }
}

variable "image_pinned" {
  description = "true: Terraform owns the running image (prod). false: the service's own pipeline deploys it (staging) and Terraform only creates the service."
  type        = bool
}

variable "port" {
  type = number
}

variable "public" {
  description = "Whether the service takes traffic from the internet (only edge does)."
  type        = bool
  default     = false
}

variable "env" {
  description = "Plain settings, name to value."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Settings read from Secret Manager, one secret per name; only this service's account may read them."
  type        = set(string)
  default     = []
}

variable "deployer" {
  description = "Service account of the service repository's staging deploy, or null: it may deploy a new revision of this service and nothing else."
  type        = string
  default     = null
}

variable "min_instances" {
  type    = number
  default = 0
}

variable "max_instances" {
  type    = number
  default = 4
}

variable "network" {
  description = "VPC network (and subnetwork of the same name) for calls between services."
  type        = string
  default     = "default"
}

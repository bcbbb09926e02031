variable "environment" {
  type    = string
  default = "prod"
}

variable "project_id" {
  type = string
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "github_owner" {
  type    = string
  default = "tradeloop"
}

variable "public_url" {
  description = "The address traders use; edge serves it, and web-ui calls edge through it."
  type        = string
}

variable "cloudflare_account_id" {
  type = string
}

variable "edge_image" {
  description = "The edge image by digest; promotions change only edge.auto.tfvars."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.edge_image))
    error_message = "edge_image must name a digest: <registry>/<name>@sha256:<64 lowercase hex>."
  }
}

variable "core_image" {
  description = "The core image by digest; promotions change only core.auto.tfvars."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.core_image))
    error_message = "core_image must name a digest: <registry>/<name>@sha256:<64 lowercase hex>."
  }
}

variable "workers_image" {
  description = "The workers image by digest; promotions change only workers.auto.tfvars."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.workers_image))
    error_message = "workers_image must name a digest: <registry>/<name>@sha256:<64 lowercase hex>."
  }
}

variable "web_image" {
  description = "The web image by digest; promotions change only web.auto.tfvars."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.web_image))
    error_message = "web_image must name a digest: <registry>/<name>@sha256:<64 lowercase hex>."
  }
}

variable "ai_image" {
  description = "The ai image by digest; promotions change only ai.auto.tfvars."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$", var.ai_image))
    error_message = "ai_image must name a digest: <registry>/<name>@sha256:<64 lowercase hex>."
  }
}

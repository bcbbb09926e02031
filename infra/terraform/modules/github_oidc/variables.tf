variable "project_id" {
  type = string
}

variable "pool_id" {
  type = string
}

variable "github_owner" {
  description = "The GitHub organisation that owns the repositories."
  type        = string
}

variable "deployers" {
  description = "Deployer name to the repository (without owner) whose main-branch workflows may act as it."
  type        = map(string)
}

variable "environment" {
  type = string
}

variable "neon_region" {
  type    = string
  default = "aws-eu-central-1"
}

variable "upstash_region" {
  type    = string
  default = "eu-central-1"
}

variable "cloudflare_account_id" {
  type = string
}

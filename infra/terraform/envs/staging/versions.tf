terraform {
  required_version = ">= 1.9"

  backend "gcs" {
    bucket = "tradeloop-terraform-state"
    prefix = "staging"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
    neon = {
      source  = "kislerdm/neon"
      version = "~> 0.9"
    }
    upstash = {
      source  = "upstash/upstash"
      version = "~> 1.5"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.45"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# Tokens for Neon, Upstash and Cloudflare come from the environment of the apply job
# (NEON_API_KEY, UPSTASH_EMAIL and UPSTASH_API_KEY, CLOUDFLARE_API_TOKEN).
provider "neon" {}

provider "upstash" {}

provider "cloudflare" {}

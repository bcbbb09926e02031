# The state of one environment: PostgreSQL on Neon, Redis on Upstash, objects on R2.

resource "neon_project" "this" {
  name                      = "tradeloop-${var.environment}"
  region_id                 = var.neon_region
  pg_version                = 17
  history_retention_seconds = 86400

  branch {
    name          = "main"
    database_name = "tradeloop"
    role_name     = "core"
  }
}

resource "upstash_redis_database" "this" {
  database_name  = "tradeloop-${var.environment}"
  region         = "global"
  primary_region = var.upstash_region
  tls            = true
  eviction       = false
}

resource "cloudflare_r2_bucket" "imports" {
  account_id = var.cloudflare_account_id
  name       = "tradeloop-${var.environment}-imports"
  location   = "WEUR"
}

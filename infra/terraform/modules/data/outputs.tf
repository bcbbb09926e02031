output "database_url" {
  description = "PostgreSQL URL for core-api."
  value       = "postgresql://${neon_project.this.database_user}:${neon_project.this.database_password}@${neon_project.this.database_host}/${neon_project.this.database_name}?sslmode=require"
  sensitive   = true
}

output "redis_url" {
  description = "Redis URL (TLS) for the bus and edge sessions."
  value       = "rediss://default:${upstash_redis_database.this.password}@${upstash_redis_database.this.endpoint}:${upstash_redis_database.this.port}/0"
  sensitive   = true
}

output "bucket" {
  value = cloudflare_r2_bucket.imports.name
}

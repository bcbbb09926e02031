output "url" {
  value = local.service.uri
}

output "runtime_account" {
  description = "Email of the service's runtime account."
  value       = google_service_account.runtime.email
}

output "secret_ids" {
  description = "Setting name to Secret Manager secret id."
  value       = { for name, secret in google_secret_manager_secret.this : name => secret.secret_id }
}

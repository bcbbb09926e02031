output "provider_name" {
  description = "The workload identity provider for google-github-actions/auth."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "deployers" {
  description = "Deployer name to service account email."
  value       = { for name, account in google_service_account.deployer : name => account.email }
}

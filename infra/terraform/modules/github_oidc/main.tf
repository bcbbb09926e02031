# GitHub Actions authenticate with OIDC; no long-lived keys exist anywhere.

locals {
  repositories = sort(distinct([for repository in values(var.deployers) : "${var.github_owner}/${repository}"]))
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = var.pool_id
  display_name              = "GitHub Actions"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"

  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }

  # Only the listed repositories, and only from their main branch, get a token at all.
  attribute_condition = "assertion.repository in ${jsonencode(local.repositories)} && assertion.ref == \"refs/heads/main\""

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "deployer" {
  for_each     = var.deployers
  project      = var.project_id
  account_id   = "${each.key}-deploy"
  display_name = "GitHub ${var.github_owner}/${each.value} deploys"
}

resource "google_service_account_iam_member" "deployer" {
  for_each           = var.deployers
  service_account_id = google_service_account.deployer[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/${var.github_owner}/${each.value}"
}

# One Cloud Run service with its own runtime identity and its own secrets.

locals {
  secret_ids = { for name in var.secrets : name => "${var.name}-${lower(replace(name, "_", "-"))}" }
  service    = var.image_pinned ? google_cloud_run_v2_service.pinned[0] : google_cloud_run_v2_service.rolling[0]
}

resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${var.name}-run"
  display_name = "Tradeloop ${var.name} (runtime)"
}

resource "google_secret_manager_secret" "this" {
  for_each  = local.secret_ids
  project   = var.project_id
  secret_id = each.value

  replication {
    auto {}
  }
}

# Least privilege: the runtime account reads its own secrets, one binding per secret.
resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each  = google_secret_manager_secret.this
  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_cloud_run_v2_service" "pinned" {
  count    = var.image_pinned ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = var.name
  ingress  = var.public ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"

  template {
    service_account = google_service_account.runtime.email

    # Calls between services stay on the VPC, so internal-only services are reachable.
    vpc_access {
      egress = "ALL_TRAFFIC"
      network_interfaces {
        network    = var.network
        subnetwork = var.network
      }
    }

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = var.image

      ports {
        container_port = var.port
      }

      # Traffic waits until the dependencies answer; a hung process is restarted.
      startup_probe {
        period_seconds    = 2
        failure_threshold = 30
        http_get {
          path = "/readyz"
        }
      }

      liveness_probe {
        period_seconds    = 10
        failure_threshold = 3
        http_get {
          path = "/healthz"
        }
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secret_ids
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.runtime]
}

# Staging: the service's pipeline deploys each main build itself, so Terraform leaves
# the running image alone after creating the service.
resource "google_cloud_run_v2_service" "rolling" {
  count    = var.image_pinned ? 0 : 1
  project  = var.project_id
  location = var.region
  name     = var.name
  ingress  = var.public ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"

  template {
    service_account = google_service_account.runtime.email

    # Calls between services stay on the VPC, so internal-only services are reachable.
    vpc_access {
      egress = "ALL_TRAFFIC"
      network_interfaces {
        network    = var.network
        subnetwork = var.network
      }
    }

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = var.image

      ports {
        container_port = var.port
      }

      # Traffic waits until the dependencies answer; a hung process is restarted.
      startup_probe {
        period_seconds    = 2
        failure_threshold = 30
        http_get {
          path = "/readyz"
        }
      }

      liveness_probe {
        period_seconds    = 10
        failure_threshold = 3
        http_get {
          path = "/healthz"
        }
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secret_ids
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  depends_on = [google_secret_manager_secret_iam_member.runtime]
}

# Callers authenticate with the services' own JWTs; the network decides who can reach
# a service (only edge has public ingress).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  project  = var.project_id
  location = var.region
  name     = local.service.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The staging deployer may roll out revisions of this one service, running as its
# runtime account, and nothing else.
resource "google_cloud_run_v2_service_iam_member" "deployer" {
  count    = var.deployer == null ? 0 : 1
  project  = var.project_id
  location = var.region
  name     = local.service.name
  role     = "roles/run.developer"
  member   = "serviceAccount:${var.deployer}"
}

resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  count              = var.deployer == null ? 0 : 1
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${var.deployer}"
}

module "data" {
  source                = "../../modules/data"
  environment           = var.environment
  cloudflare_account_id = var.cloudflare_account_id
}

# infra applies staging; each service repository's main branch deploys its own service.
module "github" {
  source       = "../../modules/github_oidc"
  project_id   = var.project_id
  pool_id      = "github-staging"
  github_owner = var.github_owner
  deployers = {
    infra   = "infra"
    edge    = "edge-bff"
    core    = "core-api"
    workers = "workers"
    web     = "web-ui"
    ai      = "ai-coach"
  }
}

# What infra's apply needs, and no more.
resource "google_project_iam_member" "infra_apply" {
  for_each = toset([
    "roles/run.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/secretmanager.admin",
    "roles/resourcemanager.projectIamAdmin",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${module.github.deployers["infra"]}"
}

module "edge" {
  source        = "../../modules/service"
  name          = "edge"
  project_id    = var.project_id
  region        = var.region
  image         = var.edge_image
  image_pinned  = false
  port          = 8000
  public        = true
  min_instances = 0
  secrets       = ["EDGE_CSRF_PEPPER", "EDGE_SESSION_STORE_URL", "EDGE_BUS_URL", "EDGE_METRICS_TOKEN"]
  env           = {
    EDGE_ENVIRONMENT = var.environment
    EDGE_CORE_URL    = module.core.url
    EDGE_WEB_URL     = module.web.url
    EDGE_COACH_URL   = module.ai.url
    EDGE_JWKS_URL    = "${module.core.url}/.well-known/jwks.json"
  }
  deployer      = module.github.deployers["edge"]
}

module "core" {
  source        = "../../modules/service"
  name          = "core"
  project_id    = var.project_id
  region        = var.region
  image         = var.core_image
  image_pinned  = false
  port          = 8010
  public        = false
  min_instances = 0
  secrets       = ["CORE_DATABASE_URL", "CORE_SIGNING_KEY", "CORE_SEALING_KEYS", "CORE_SERVICE_CLIENTS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
  env           = {
    CORE_ENVIRONMENT      = var.environment
    CORE_OBJECT_STORE_URL = "s3://${module.data.bucket}/imports"
    AWS_ENDPOINT_URL      = "https://${var.cloudflare_account_id}.r2.cloudflarestorage.com"
  }
  deployer      = module.github.deployers["core"]
}

module "workers" {
  source        = "../../modules/service"
  name          = "workers"
  project_id    = var.project_id
  region        = var.region
  image         = var.workers_image
  image_pinned  = false
  port          = 8040
  public        = false
  min_instances = 0
  secrets       = ["WORKERS_CORE_CLIENT_SECRET", "WORKERS_BUS_URL", "WORKERS_SEALING_KEYS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
  env           = {
    WORKERS_ENVIRONMENT      = var.environment
    WORKERS_CORE_URL         = module.core.url
    WORKERS_OBJECT_STORE_URL = "s3://${module.data.bucket}/imports"
    AWS_ENDPOINT_URL         = "https://${var.cloudflare_account_id}.r2.cloudflarestorage.com"
  }
  deployer      = module.github.deployers["workers"]
}

module "web" {
  source        = "../../modules/service"
  name          = "web"
  project_id    = var.project_id
  region        = var.region
  image         = var.web_image
  image_pinned  = false
  port          = 8020
  public        = false
  min_instances = 0
  secrets       = []
  env           = {
    WEB_ENVIRONMENT = var.environment
    WEB_EDGE_URL    = var.public_url
  }
  deployer      = module.github.deployers["web"]
}

module "ai" {
  source        = "../../modules/service"
  name          = "ai"
  project_id    = var.project_id
  region        = var.region
  image         = var.ai_image
  image_pinned  = false
  port          = 8030
  public        = false
  min_instances = 0
  secrets       = ["COACH_CORE_CLIENT_SECRET"]
  env           = {
    COACH_ENVIRONMENT = var.environment
    COACH_CORE_URL    = module.core.url
    COACH_JWKS_URL    = "${module.core.url}/.well-known/jwks.json"
  }
  deployer      = module.github.deployers["ai"]
}

# Values Terraform knows; the other secrets get their versions from an operator.
resource "google_secret_manager_secret_version" "core_database_url" {
  secret      = "projects/${var.project_id}/secrets/${module.core.secret_ids["CORE_DATABASE_URL"]}"
  secret_data = module.data.database_url
}

resource "google_secret_manager_secret_version" "redis_url" {
  for_each = {
    edge_sessions = module.edge.secret_ids["EDGE_SESSION_STORE_URL"]
    edge_bus      = module.edge.secret_ids["EDGE_BUS_URL"]
    workers_bus   = module.workers.secret_ids["WORKERS_BUS_URL"]
  }
  secret      = "projects/${var.project_id}/secrets/${each.value}"
  secret_data = module.data.redis_url
}

# Images are built once, in staging, and the same digests run in prod.
resource "google_artifact_registry_repository_iam_member" "service_push" {
  for_each   = toset(["edge", "core", "workers", "web", "ai"])
  project    = "tradeloop-images"
  location   = "europe"
  repository = "services"
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${module.github.deployers[each.value]}"
}

output "edge_url" {
  value = module.edge.url
}

output "workload_identity_provider" {
  value = module.github.provider_name
}

output "deployers" {
  value = module.github.deployers
}

# The platform on Google Cloud Run: one Cloud Run v2 service per MCP server,
# each with its own Cloud SQL PostgreSQL instance (no service can reach
# another's data), DATABASE_URL and the order service's client secret in
# Secret Manager, optional Memorystore for Redis, all in one VPC reached by
# Direct VPC egress. Ports and images follow shared/fleet/src/services.ts.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # The fleet manifest (shared/fleet/src/services.ts): name, port, OTel service.name.
  services = {
    customer = { port = 3001, otel_service_name = "customer-service" }
    order    = { port = 3002, otel_service_name = "order-service" }
    product  = { port = 3003, otel_service_name = "product-service" }
    payment  = { port = 3004, otel_service_name = "payment-service" }
  }
  upstreams = ["customer", "product", "payment"]

  # Cloud Run's deterministic URL (https://<service>-<project number>.<region>.run.app):
  # known before the services exist, so each server's canonical PUBLIC_URL
  # (the token audience) and the order service's upstream URLs need no cycle.
  base_urls = { for name, _ in local.services : name => "https://${name}-${data.google_project.this.number}.${var.region}.run.app" }
  mcp_urls  = { for name, url in local.base_urls : name => "${url}/mcp" }

  redis_url = var.enable_redis ? "redis://${google_redis_instance.cache[0].host}:${google_redis_instance.cache[0].port}" : ""

  common_env = merge(
    {
      HOST        = "0.0.0.0"
      LOG_LEVEL   = "info"
      AUTH_ISSUER = var.auth_issuer
    },
    var.auth_jwks_url == "" ? {} : { AUTH_JWKS_URL = var.auth_jwks_url },
    var.otlp_endpoint == "" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT = var.otlp_endpoint },
    local.redis_url == "" ? {} : { REDIS_URL = local.redis_url },
  )

  order_env = merge(
    { for name in local.upstreams : "${upper(name)}_MCP_URL" => local.mcp_urls[name] },
    { AUTH_CLIENT_ID = var.order_client_id },
  )
}

resource "google_project_service" "apis" {
  for_each           = toset(["run.googleapis.com", "sqladmin.googleapis.com", "secretmanager.googleapis.com", "servicenetworking.googleapis.com", "compute.googleapis.com", "redis.googleapis.com"])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "google_compute_network" "fedmcp" {
  name                    = "fedmcp"
  auto_create_subnetworks = false
  depends_on              = [google_project_service.apis]
}

resource "google_compute_subnetwork" "run" {
  name          = "fedmcp-run"
  region        = var.region
  network       = google_compute_network.fedmcp.id
  ip_cidr_range = "10.8.0.0/24"
}

# Private services access: Cloud SQL and Memorystore get addresses inside the VPC.
resource "google_compute_global_address" "private_services" {
  name          = "fedmcp-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 16
  network       = google_compute_network.fedmcp.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.fedmcp.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

resource "google_redis_instance" "cache" {
  count              = var.enable_redis ? 1 : 0
  name               = "fedmcp-cache"
  region             = var.region
  tier               = "BASIC"
  memory_size_gb     = 1
  authorized_network = google_compute_network.fedmcp.id
  connect_mode       = "PRIVATE_SERVICE_ACCESS"
  depends_on         = [google_service_networking_connection.private_services]
}

resource "google_secret_manager_secret" "order_client_secret" {
  secret_id = "fedmcp-order-client-secret"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "order_client_secret" {
  secret      = google_secret_manager_secret.order_client_secret.id
  secret_data = var.order_client_secret
}

module "service" {
  source   = "./modules/mcp-service"
  for_each = local.services

  project_id            = var.project_id
  region                = var.region
  name                  = each.key
  port                  = each.value.port
  otel_service_name     = each.value.otel_service_name
  image                 = "${var.image_registry}/${each.key}:${lookup(var.image_tags, each.key, var.image_tag)}"
  public_url            = local.mcp_urls[each.key]
  env                   = merge(local.common_env, each.key == "order" ? local.order_env : {})
  secret_env            = each.key == "order" ? { AUTH_CLIENT_SECRET = google_secret_manager_secret.order_client_secret.secret_id } : {}
  network               = google_compute_network.fedmcp.id
  subnetwork            = google_compute_subnetwork.run.id
  min_instances         = var.min_instances
  max_instances         = var.max_instances
  concurrency           = var.concurrency
  database_tier         = var.database_tier
  deletion_protection   = var.deletion_protection
  allow_unauthenticated = var.allow_unauthenticated

  depends_on = [google_service_networking_connection.private_services, google_secret_manager_secret_version.order_client_secret]
}

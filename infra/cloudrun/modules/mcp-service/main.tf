# One MCP server on Cloud Run v2 with its own Cloud SQL PostgreSQL instance.

resource "google_service_account" "this" {
  project = var.project_id
  account_id   = "fedmcp-${var.name}"
  display_name = "fedmcp ${var.name} service"
}

resource "google_sql_database_instance" "this" {
  project = var.project_id
  name                = "fedmcp-${var.name}"
  region              = var.region
  database_version    = "POSTGRES_16"
  deletion_protection = var.deletion_protection

  settings {
    tier              = var.database_tier
    availability_type = "REGIONAL"
    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network
    }
    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }
  }
}

resource "google_sql_database" "this" {
  name     = var.name
  instance = google_sql_database_instance.this.name
}

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "google_sql_user" "this" {
  name     = var.name
  instance = google_sql_database_instance.this.name
  password = random_password.database.result
}

resource "google_secret_manager_secret" "database_url" {
  project = var.project_id
  secret_id = "fedmcp-${var.name}-database-url"
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "database_url" {
  secret      = google_secret_manager_secret.database_url.id
  secret_data = "postgres://${google_sql_user.this.name}:${random_password.database.result}@${google_sql_database_instance.this.private_ip_address}:5432/${google_sql_database.this.name}"
}

locals {
  secrets = merge({ DATABASE_URL = google_secret_manager_secret.database_url.secret_id }, var.secret_env)
  env = merge(var.env, {
    PUBLIC_URL          = var.public_url
    OTEL_SERVICE_NAME   = var.otel_service_name
    SHUTDOWN_TIMEOUT_MS = tostring(var.shutdown_timeout_ms)
  })
}

resource "google_secret_manager_secret_iam_member" "access" {
  for_each  = local.secrets
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.this.email}"
  depends_on = [google_secret_manager_secret_version.database_url]
}

resource "google_cloud_run_v2_service" "this" {
  project = var.project_id
  name                = var.name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    service_account                  = google_service_account.this.email
    timeout                          = "${var.request_timeout_seconds}s"
    max_instance_request_concurrency = var.concurrency

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    vpc_access {
      egress = "PRIVATE_RANGES_ONLY"
      network_interfaces {
        network    = var.network
        subnetwork = var.subnetwork
      }
    }

    containers {
      image = var.image

      ports {
        container_port = var.port
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        # The order service's recovery loop runs between requests.
        cpu_idle = var.name != "order"
      }

      dynamic "env" {
        for_each = local.env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secrets
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

      startup_probe {
        http_get {
          path = "/health"
          port = var.port
        }
        period_seconds    = 2
        failure_threshold = 30
        timeout_seconds   = 2
      }

      liveness_probe {
        http_get {
          path = "/health"
          port = var.port
        }
        period_seconds    = 10
        failure_threshold = 3
        timeout_seconds   = 3
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.access]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  count    = var.allow_unauthenticated ? 1 : 0
  name     = google_cloud_run_v2_service.this.name
  location = google_cloud_run_v2_service.this.location
  role     = "roles/run.invoker"
  member   = "allUsers"
}

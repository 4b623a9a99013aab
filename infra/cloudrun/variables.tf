variable "project_id" {
  description = "Google Cloud project that hosts the platform."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run services, Cloud SQL instances and Memorystore."
  type        = string
  default     = "europe-west1"
}

variable "image_registry" {
  description = "Artifact Registry path the images were pushed to, e.g. europe-west1-docker.pkg.dev/my-project/fedmcp. Images are <registry>/<service>:<tag>."
  type        = string
}

variable "image_tag" {
  description = "Image tag deployed for every service (each service can be pinned with image_tags)."
  type        = string
  default     = "latest"
}

variable "image_tags" {
  description = "Per-service image tag overrides, e.g. { payment = \"0.2.1\" }: services are deployed independently."
  type        = map(string)
  default     = {}
}

variable "auth_issuer" {
  description = "Issuer URL of the OAuth 2.1 / OIDC authorization server that issues RFC 9068 JWT access tokens (Keycloak, Auth0, Entra ID, Okta...)."
  type        = string
}

variable "auth_jwks_url" {
  description = "Where the services fetch the issuer's signing keys, when not discoverable from the issuer's metadata. Empty = discover."
  type        = string
  default     = ""
}

variable "order_client_id" {
  description = "Client id of the order service's confidential client (client-credentials grant) at the authorization server."
  type        = string
  default     = "order-service"
}

variable "order_client_secret" {
  description = "Client secret of the order service's confidential client. Stored in Secret Manager, never in plain environment."
  type        = string
  sensitive   = true
}

variable "otlp_endpoint" {
  description = "OTLP/HTTP endpoint for traces (e.g. an OpenTelemetry Collector in the VPC). Empty = no export."
  type        = string
  default     = ""
}

variable "enable_redis" {
  description = "Create a Memorystore for Redis instance shared as cache and rate-limit store. Without it each instance caches in process."
  type        = bool
  default     = false
}

variable "min_instances" {
  description = "Minimum instances per service (1 keeps the saga recovery loop of the order service running and avoids cold starts)."
  type        = number
  default     = 1
}

variable "max_instances" {
  description = "Maximum instances per service."
  type        = number
  default     = 10
}

variable "concurrency" {
  description = "Concurrent requests per instance (the services are async I/O bound: 80 is Cloud Run's default)."
  type        = number
  default     = 80
}

variable "database_tier" {
  description = "Cloud SQL machine tier of each service's own PostgreSQL instance."
  type        = string
  default     = "db-custom-1-3840"
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instances from terraform destroy."
  type        = bool
  default     = true
}

variable "allow_unauthenticated" {
  description = "Let anyone reach the services at the Cloud Run layer (allUsers invoker): the services are OAuth protected resources and check the bearer token themselves, which MCP clients need."
  type        = bool
  default     = true
}

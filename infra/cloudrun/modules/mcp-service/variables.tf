variable "project_id" {
  description = "Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of the service and its database."
  type        = string
}

variable "name" {
  description = "Service name: customer, order, product or payment (the Cloud Run service, database and user name)."
  type        = string
}

variable "port" {
  description = "Container port the service listens on (its PORT)."
  type        = number
}

variable "otel_service_name" {
  description = "OpenTelemetry service.name, e.g. order-service."
  type        = string
}

variable "image" {
  description = "Full image reference."
  type        = string
}

variable "public_url" {
  description = "Canonical URL of this MCP server (PUBLIC_URL): the audience its access tokens must carry."
  type        = string
}

variable "env" {
  description = "Plain environment variables."
  type        = map(string)
  default     = {}
}

variable "secret_env" {
  description = "Environment variables from Secret Manager: variable name => secret id (latest version)."
  type        = map(string)
  default     = {}
}

variable "network" {
  description = "VPC the service egresses into (Direct VPC egress) to reach its database and Redis."
  type        = string
}

variable "subnetwork" {
  description = "Subnetwork for Direct VPC egress."
  type        = string
}

variable "min_instances" {
  description = "Minimum instances."
  type        = number
}

variable "max_instances" {
  description = "Maximum instances."
  type        = number
}

variable "concurrency" {
  description = "Concurrent requests per instance."
  type        = number
}

variable "database_tier" {
  description = "Cloud SQL machine tier."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance from deletion."
  type        = bool
}

variable "allow_unauthenticated" {
  description = "Grant roles/run.invoker to allUsers (the service checks OAuth bearer tokens itself)."
  type        = bool
}

variable "request_timeout_seconds" {
  description = "Cloud Run request timeout: above the 5 s tool budget (TOOL_TIMEOUT_MS) with room for the SDK's streaming answers."
  type        = number
  default     = 30
}

variable "shutdown_timeout_ms" {
  description = "SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for in-flight requests (Cloud Run allows 10 s after SIGTERM)."
  type        = number
  default     = 8000
}

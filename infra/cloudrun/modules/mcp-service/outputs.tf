output "mcp_url" {
  description = "The service's MCP endpoint (its PUBLIC_URL)."
  value       = var.public_url
}

output "uri" {
  description = "Base URL Cloud Run assigned to the service."
  value       = google_cloud_run_v2_service.this.uri
}

output "database_instance" {
  description = "Connection name of the service's own Cloud SQL instance."
  value       = google_sql_database_instance.this.connection_name
}

output "mcp_urls" {
  description = "MCP endpoint of each server (also its canonical PUBLIC_URL, the audience of its tokens)."
  value       = { for name, svc in module.service : name => svc.mcp_url }
}

output "database_instances" {
  description = "Cloud SQL instance connection name of each service's own database."
  value       = { for name, svc in module.service : name => svc.database_instance }
}

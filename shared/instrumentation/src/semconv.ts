/**
 * Telemetry names used across the platform. Services, dashboards and alert
 * rules refer to these constants (or to the names they hold); nothing else
 * should spell a metric or span attribute as a string literal.
 */

/** OpenTelemetry MCP semantic-convention attribute keys. */
export const ATTR = {
  MCP_METHOD_NAME: 'mcp.method.name',
  MCP_PROTOCOL_VERSION: 'mcp.protocol.version',
  MCP_SESSION_ID: 'mcp.session.id',
  MCP_RESOURCE_URI: 'mcp.resource.uri',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_PROMPT_NAME: 'gen_ai.prompt.name',
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  JSONRPC_REQUEST_ID: 'jsonrpc.request.id',
  JSONRPC_PROTOCOL_VERSION: 'jsonrpc.protocol.version',
  RPC_RESPONSE_STATUS_CODE: 'rpc.response.status_code',
  ERROR_TYPE: 'error.type',
  NETWORK_TRANSPORT: 'network.transport',
  NETWORK_PROTOCOL_NAME: 'network.protocol.name',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  DB_SYSTEM_NAME: 'db.system.name',
  DB_OPERATION_NAME: 'db.operation.name',
  DB_COLLECTION_NAME: 'db.collection.name',
  DB_NAMESPACE: 'db.namespace',
  DB_QUERY_TEXT: 'db.query.text',
  /** Our own: the domain error code of a failed tool call. */
  MCP_TOOL_ERROR_CODE: 'mcp.tool.error_code',
  /** The authenticated caller: the access token's `sub` (never the token). */
  ENDUSER_ID: 'enduser.id',
  /** Our own: the OAuth client the caller used (`client_id`). */
  ENDUSER_CLIENT_ID: 'enduser.client_id',
  /** Our own: the end user an upstream caller acts for (`_meta` io.fedmcp/on_behalf_of). */
  ENDUSER_ON_BEHALF_OF: 'enduser.on_behalf_of',
} as const;

export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';
/** `error.type` value for a tool result with `isError: true`. */
export const ERROR_TYPE_TOOL_ERROR = 'tool_error';
export const DB_SYSTEM_POSTGRESQL = 'postgresql';

/** Prometheus metric names every service exposes (SPEC, Telemetry). */
export const METRIC = {
  REQUESTS_TOTAL: 'mcp_requests_total',
  TOOL_CALLS_TOTAL: 'mcp_tool_calls_total',
  TOOL_ERRORS_TOTAL: 'mcp_tool_errors_total',
  TOOL_CALL_DURATION_SECONDS: 'mcp_tool_call_duration_seconds',
  TIMEOUTS_TOTAL: 'mcp_timeouts_total',
  CACHE_HITS_TOTAL: 'mcp_cache_hits_total',
  CACHE_MISSES_TOTAL: 'mcp_cache_misses_total',
  DB_QUERY_DURATION_SECONDS: 'mcp_db_query_duration_seconds',
  DB_CONNECTIONS_ACTIVE: 'mcp_db_connections_active',
  DB_CONNECTIONS_MAX: 'mcp_db_connections_max',
  READINESS_STATUS: 'mcp_readiness_status',
  DEPENDENCY_UP: 'mcp_dependency_up',
  UPSTREAM_CALLS_TOTAL: 'mcp_upstream_calls_total',
  UPSTREAM_CALL_DURATION_SECONDS: 'mcp_upstream_call_duration_seconds',
  AUDIT_EVENTS_DROPPED_TOTAL: 'mcp_audit_events_dropped_total',
  AUDIT_BUFFER_ROWS: 'mcp_audit_buffer_rows',
  UPSTREAM_CONTRACT_VIOLATIONS: 'mcp_upstream_contract_violations',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

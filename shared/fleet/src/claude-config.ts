import type { FleetService } from './services';

/** How to connect Claude Code and Claude Desktop to the running servers. */
export function claudeInstructions(services: { svc: FleetService; mcpUrl: string }[]): string {
  const code = services.map(({ svc, mcpUrl }) => `  claude mcp add --transport http ${svc.name} ${mcpUrl}`).join('\n');
  const desktop = {
    mcpServers: Object.fromEntries(services.map(({ svc, mcpUrl }) => [svc.name, { command: 'npx', args: ['-y', 'mcp-remote', mcpUrl] }])),
  };
  const project = { mcpServers: Object.fromEntries(services.map(({ svc, mcpUrl }) => [svc.name, { type: 'http', url: mcpUrl }])) };
  return [
    'Claude Code (run once):',
    code,
    '',
    'or a project .mcp.json:',
    JSON.stringify(project, null, 2),
    '',
    'Claude Desktop (claude_desktop_config.json):',
    JSON.stringify(desktop, null, 2),
  ].join('\n');
}

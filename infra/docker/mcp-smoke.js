// One real MCP tool call against a running server, for the image and compose
// tests: connects with the repo's test client (Streamable HTTP, current
// protocol), lists the tools, calls one read tool and fails unless it succeeds.
//
//   node infra/docker/mcp-smoke.js http://127.0.0.1:4801/mcp search_customers '{"query":"a"}'
//
// Run from the repository root after `npm install` + build (@fedmcp/testing).
const { connectClient } = require('@fedmcp/testing');

async function main() {
  const [url, tool, args = '{}'] = process.argv.slice(2);
  if (!url || !tool) throw new Error('usage: mcp-smoke.js <mcp-url> <tool> [json-args]');
  const client = await connectClient(url);
  try {
    const tools = (await client.listTools()).map((t) => t.name);
    if (!tools.includes(tool)) throw new Error(`${tool} not among the server's tools (${tools.join(', ')})`);
    const result = await client.call(tool, JSON.parse(args));
    if (result.isError) throw new Error(`${tool} failed: ${result.text}`);
    process.stdout.write(`${tool}: ok (${tools.length} tools)\n`);
  } finally {
    await client.close();
  }
}

main().catch((error) => {
  process.stderr.write(`mcp-smoke: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

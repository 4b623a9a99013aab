/**
 * The physical baseline: a bare express endpoint that answers every POST
 * /mcp with the same cached JSON text the real service returns for a cached
 * get_product. Same framework, same bytes, no MCP, no telemetry, no database.
 * Run as its own process so it can be pinned to a core like the service.
 * argv: <port> <file holding the response body>
 */
const fs = require('node:fs');
const express = require('express');

const [port, bodyFile] = process.argv.slice(2);
const body = fs.readFileSync(bodyFile, 'utf8');
const app = express();
app.post('/mcp', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
  JSON.parse(req.body.toString('utf8')); // a real endpoint reads its request
  res.type('application/json').send(body);
});
app.listen(Number(port), '127.0.0.1', () => process.send?.('ready'));

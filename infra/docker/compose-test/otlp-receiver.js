// The stack's trace collector in the compose test, in place of Jaeger: the
// OTLP/HTTP JSON receiver of @fedmcp/testing listening on :4318, and every
// span it received as JSON on :16686 (GET /spans) for the test to query.
const http = require('node:http');
const { OtlpReceiver } = require('/receiver/otlp-receiver.js');

async function main() {
  const receiver = await new OtlpReceiver().start({ host: '0.0.0.0', port: 4318 });
  const query = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.url === '/spans' ? receiver.spans : { spans: receiver.spans.length }));
  });
  query.listen(16686, '0.0.0.0');
  const stop = () => void receiver.close().then(() => query.close(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`otlp-receiver: ${String(error)}\n`);
  process.exit(1);
});

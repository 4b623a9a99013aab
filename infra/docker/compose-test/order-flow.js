// The compose test's client side (run on the host, from the repository root,
// against the stack's published ports):
//
//   node order-flow.js place <customer-mcp> <product-mcp> <order-mcp>
//     places one order for a demo customer and product (pm_card_ok), follows a
//     pending order with get_order, prints {"status", "failure", "ms"} as JSON
//   node order-flow.js trace <spans-url>
//     reads the spans the stand-in collector received and prints the services
//     of the create_order trace that reached the most of them
const { connectClient } = require('@fedmcp/testing');

async function place(customerUrl, productUrl, orderUrl) {
  const [customers, products, orders] = await Promise.all([connectClient(customerUrl), connectClient(productUrl), connectClient(orderUrl)]);
  try {
    const customer = (await customers.ok('search_customers', {})).items.find((c) => c.status === 'active');
    const product = (await products.ok('search_products', { in_stock_only: true })).items[0];
    if (!customer || !product) throw new Error('no active demo customer or in-stock demo product (SEED_DEMO_DATA)');
    const started = Date.now();
    const result = await orders.call('create_order', {
      customer_id: customer.customer_id,
      items: [{ product_id: product.product_id, quantity: 1 }],
      payment_method: 'pm_card_ok',
    });
    const ms = Date.now() - started;
    if (result.isError) return { status: 'error', failure: result.error ?? { message: result.text }, ms };
    let order = result.data;
    for (let i = 0; order.status === 'pending' && i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      order = await orders.ok('get_order', { order_id: order.order_id });
    }
    return { status: order.status, failure: order.failure ?? null, ms };
  } finally {
    await Promise.all([customers.close(), products.close(), orders.close()]);
  }
}

async function trace(spansUrl) {
  const spans = await (await fetch(spansUrl)).json();
  const byTrace = new Map();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  let best = { services: [], spans: 0 };
  for (const list of byTrace.values()) {
    if (!list.some((s) => s.service === 'order-service' && s.name.includes('create_order'))) continue;
    const services = [...new Set(list.map((s) => s.service))].sort();
    if (services.length > best.services.length) best = { services, spans: list.length };
  }
  return { ...best, received: spans.length };
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'place' && args.length === 3) return place(...args);
  if (mode === 'trace' && args.length === 1) return trace(...args);
  throw new Error('usage: order-flow.js place <customer-mcp> <product-mcp> <order-mcp> | trace <spans-url>');
}

main().then(
  (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
  (error) => {
    process.stderr.write(`order-flow: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

import type { Platform, TestClient } from '@fedmcp/testing';

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

export async function newCustomer(platform: Platform, status: 'active' | 'inactive' | 'suspended' = 'active'): Promise<string> {
  const created = await platform.clients.customer.call<{ customer_id: string }>('create_customer', { name: 'Test Buyer', email: `buyer-${unique()}@example.com` });
  if (created.isError) throw new Error(created.text);
  if (status !== 'active') await platform.clients.customer.call('update_customer', { customer_id: created.data.customer_id, status });
  return created.data.customer_id;
}

export async function newProduct(platform: Platform, stock: number, priceCents = 1250): Promise<string> {
  const created = await platform.clients.product.call<{ product_id: string }>('create_product', { sku: `SKU-${unique()}`.toUpperCase(), name: 'Test widget', price_cents: priceCents, stock });
  if (created.isError) throw new Error(created.text);
  return created.data.product_id;
}

export interface ProductState {
  stock_on_hand: number;
  stock_reserved: number;
  stock_available: number;
}

export async function productState(platform: Platform, productId: string): Promise<ProductState> {
  const result = await platform.clients.product.call<ProductState>('get_product', { product_id: productId });
  if (result.isError) throw new Error(result.text);
  return result.data;
}

export interface PaymentView {
  payment_id: string;
  status: string;
  amount_cents: number;
  captured_cents: number;
  refunded_cents: number;
}

export async function paymentsOf(platform: Platform, orderId: string): Promise<PaymentView[]> {
  const result = await platform.clients.payment.call<{ items: PaymentView[] }>('list_payments', { order_id: orderId });
  if (result.isError) throw new Error(result.text);
  return result.data.items;
}

export interface OrderView {
  order_id: string;
  status: string;
  total_cents: number | null;
  payment_id: string | null;
  failure: { code: string; message: string } | null;
  timeline?: { step: string; status: string }[];
}

export async function placeOrder(client: TestClient, args: Record<string, unknown>): Promise<OrderView> {
  const result = await client.call<OrderView>('create_order', args);
  if (result.isError) throw new Error(`create_order failed: ${result.text}`);
  return result.data;
}

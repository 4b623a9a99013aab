import { unique } from '@fedmcp/testing';
import type { Platform, TestClient } from '@fedmcp/testing';

export async function newCustomer(platform: Platform, status: 'active' | 'inactive' | 'suspended' = 'active'): Promise<string> {
  const { customer_id } = await platform.clients.customer.ok<{ customer_id: string }>('create_customer', { name: 'Test Buyer', email: `buyer-${unique()}@example.com` });
  if (status !== 'active') await platform.clients.customer.ok('update_customer', { customer_id, status });
  return customer_id;
}

export async function newProduct(platform: Platform, stock: number, priceCents = 1250): Promise<string> {
  const { product_id } = await platform.clients.product.ok<{ product_id: string }>('create_product', { sku: `SKU-${unique()}`.toUpperCase(), name: 'Test widget', price_cents: priceCents, stock });
  return product_id;
}

export interface ProductState {
  stock_on_hand: number;
  stock_reserved: number;
  stock_available: number;
}

export async function productState(platform: Platform, productId: string): Promise<ProductState> {
  return platform.clients.product.ok<ProductState>('get_product', { product_id: productId });
}

export interface PaymentView {
  payment_id: string;
  status: string;
  amount_cents: number;
  captured_cents: number;
  refunded_cents: number;
}

export async function paymentsOf(platform: Platform, orderId: string): Promise<PaymentView[]> {
  return (await platform.clients.payment.ok<{ items: PaymentView[] }>('list_payments', { order_id: orderId })).items;
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
  return client.ok<OrderView>('create_order', args);
}

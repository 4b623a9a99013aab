import { unique } from '@fedmcp/testing';
import type { TestClient } from '@fedmcp/testing';
import { CREATE_PRODUCT, GET_PRODUCT, RESERVE_INVENTORY } from '../src/product.tools';
import type { Product } from '../src/product.repository';
import type { Reservation } from '../src/reservation.repository';

export { unique };

export const orderId = () => `ord_${unique()}`;

/** Creates a product with a fresh SKU; override any field. */
export async function newProduct(client: TestClient, overrides: Record<string, unknown> = {}): Promise<Product> {
  return client.ok<Product>(CREATE_PRODUCT, { sku: `TST-${unique()}`.toUpperCase(), name: 'Test widget', price_cents: 1250, stock: 10, ...overrides });
}

export async function getProduct(client: TestClient, productId: string): Promise<Product> {
  return client.ok<Product>(GET_PRODUCT, { product_id: productId });
}

/** on hand / reserved / available of one product, for compact assertions. */
export async function stockOf(client: TestClient, productId: string) {
  const { stock_on_hand, stock_reserved, stock_available } = await getProduct(client, productId);
  return { stock_on_hand, stock_reserved, stock_available };
}

export async function reserve(client: TestClient, items: { product_id: string; quantity: number }[], order = orderId()): Promise<Reservation> {
  return client.ok<Reservation>(RESERVE_INVENTORY, { order_id: order, items });
}

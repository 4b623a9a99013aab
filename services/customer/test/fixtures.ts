import { unique } from '@fedmcp/testing';
import type { TestClient } from '@fedmcp/testing';
import type { Customer } from '../src/customer.repository';

export { unique };

export function newCustomer(client: TestClient, fields: Partial<Pick<Customer, 'name' | 'email' | 'tier'>> & { phone?: string } = {}): Promise<Customer> {
  return client.ok<Customer>('create_customer', { name: 'Test Customer', email: `test-${unique()}@example.com`, ...fields });
}

/** The current value of one series of a prom-client metric. */
export async function metricValue(registry: { getSingleMetric(name: string): unknown }, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name) as { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> } | undefined;
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

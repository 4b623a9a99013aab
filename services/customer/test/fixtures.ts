import type { TestClient, ToolOutcome } from '@fedmcp/testing';
import type { Customer } from '../src/customer.repository';

let seq = 0;
/** A suffix unique within this run, so tests never collide on emails. */
export const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

/** Calls a tool that must succeed and returns its structured result. */
export async function ok<T = Record<string, unknown>>(client: TestClient, tool: string, args: Record<string, unknown>): Promise<T> {
  const result: ToolOutcome<T> = await client.call<T>(tool, args);
  if (result.isError) throw new Error(`${tool} failed: ${result.text}`);
  return result.data;
}

export function newCustomer(client: TestClient, fields: Partial<Pick<Customer, 'name' | 'email' | 'tier'>> & { phone?: string } = {}): Promise<Customer> {
  return ok<Customer>(client, 'create_customer', { name: 'Test Customer', email: `test-${unique()}@example.com`, ...fields });
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

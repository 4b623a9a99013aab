import { eq, ilike, or, sql, SQL } from 'drizzle-orm';
import { AppDatabase, CursorCodec, keysetPage, conflict, isUniqueViolation, likePattern, newId, notFound, Transact } from '@fedmcp/service-kit';
import { CustomerRow, customers, schema } from './customer.schema';

export type Tier = CustomerRow['tier'];
export type Status = CustomerRow['status'];

/** The customer as tools return it. */
export interface Customer {
  customer_id: string;
  name: string;
  email: string;
  phone: string | null;
  tier: Tier;
  status: Status;
  created_at: string;
  updated_at: string;
}

export function toCustomer(row: CustomerRow): Customer {
  return {
    customer_id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    tier: row.tier,
    status: row.status,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const emailTaken = (email: string) =>
  conflict(`A customer with email "${email}" already exists (emails are unique, case-insensitive). Use search_customers to find it, or pick another email.`, { field: 'email' });

export interface NewCustomer {
  name: string;
  email: string;
  phone?: string;
  tier?: Tier;
}

export interface CustomerSearch {
  query?: string;
  tier?: Tier;
  status?: Status;
  limit: number;
  cursor?: string;
}

export class CustomerRepository {
  private readonly cursors = new CursorCodec('customer:search');

  constructor(private readonly db: AppDatabase<typeof schema>) {}

  /** Writes go through `transact` (the tool's audited transaction). */
  async create(input: NewCustomer, transact: Transact): Promise<Customer> {
    try {
      return await transact(async (tx, touch) => {
        const [row] = await tx
          .insert(customers)
          .values({ id: newId('cus'), name: input.name, email: input.email, phone: input.phone ?? null, tier: input.tier ?? 'free' })
          .returning();
        touch(row.id);
        return toCustomer(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(input.email);
      throw error;
    }
  }

  async find(id: string): Promise<Customer | undefined> {
    const [row] = await this.db.select().from(customers).where(eq(customers.id, id)).limit(1);
    return row ? toCustomer(row) : undefined;
  }

  async update(id: string, changes: Partial<Pick<CustomerRow, 'name' | 'email' | 'phone' | 'tier' | 'status'>>, transact: Transact): Promise<Customer> {
    try {
      return await transact(async (tx) => {
        const [row] = await tx
          .update(customers)
          .set({ ...changes, updatedAt: sql`now()` })
          .where(eq(customers.id, id))
          .returning();
        if (!row) throw notFound('customer', id, 'Use search_customers to find valid ids.');
        return toCustomer(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken(changes.email ?? '');
      throw error;
    }
  }

  async search(input: CustomerSearch): Promise<{ items: Customer[]; next_cursor: string | null }> {
    const filters: (SQL | undefined)[] = [
      input.query ? or(ilike(customers.name, likePattern(input.query)), ilike(customers.email, likePattern(input.query))) : undefined,
      input.tier ? eq(customers.tier, input.tier) : undefined,
      input.status ? eq(customers.status, input.status) : undefined,
    ];
    return keysetPage(this.db, customers, filters, input, this.cursors, toCustomer);
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(customers);
    return Number(row.n);
  }

  async insertMany(rows: (NewCustomer & { status?: Status })[]): Promise<void> {
    await this.db.insert(customers).values(rows.map((r) => ({ id: newId('cus'), name: r.name, email: r.email, phone: r.phone ?? null, tier: r.tier ?? 'free', status: r.status ?? 'active' })));
  }
}

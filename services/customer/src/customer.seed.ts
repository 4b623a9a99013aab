import { CustomerRepository, NewCustomer, Status, Tier } from './customer.repository';

const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'John', 'Radia', 'Tim', 'Hedy', 'Edsger', 'Katherine', 'Donald', 'Sophie', 'Guido', 'Anita', 'Bjarne', 'Shafi', 'Leslie', 'Joan', 'Niklaus', 'Lynn'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'McCarthy', 'Perlman', 'Berners-Lee', 'Lamarr', 'Dijkstra', 'Johnson', 'Knuth', 'Wilson', 'van Rossum', 'Borg', 'Stroustrup', 'Goldwasser', 'Lamport', 'Clarke', 'Wirth', 'Conway'];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'acme.example', 'globex.example'];
const TIERS: Tier[] = ['free', 'free', 'pro', 'pro', 'enterprise'];

/** About fifty plausible customers, the same on every machine. */
export function demoCustomers(count = 50): (NewCustomer & { status: Status })[] {
  return Array.from({ length: count }, (_, i) => {
    const first = FIRST[i % FIRST.length];
    const last = LAST[(i * 7) % LAST.length];
    const slug = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
    return {
      name: `${first} ${last}`,
      email: `${slug}${i >= FIRST.length ? i : ''}@${DOMAINS[i % DOMAINS.length]}`,
      phone: `+1 415 555 ${String(100 + i).padStart(4, '0')}`,
      tier: TIERS[i % TIERS.length],
      // A few accounts that cannot order, so the saga's CUSTOMER_INACTIVE path can be tried.
      status: i % 17 === 16 ? 'suspended' : i % 11 === 10 ? 'inactive' : 'active',
    };
  });
}

export async function seedDemoCustomers(repo: CustomerRepository): Promise<number> {
  if ((await repo.count()) > 0) return 0;
  const rows = demoCustomers();
  await repo.insertMany(rows);
  return rows.length;
}

/**
 * oidc-provider's storage adapter: an in-memory store shared by every
 * provider instance of one server (a key rotation swaps the provider, not
 * the data). Registered clients, grants and refresh tokens are also written
 * to the state store, so Claude's registration and sign-in survive a restart;
 * short-lived artefacts (codes, sessions, interactions, access tokens) do not.
 */
import { StateStore } from './state';

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

interface Entry {
  payload: Payload;
  /** Epoch ms; undefined = no expiry. */
  expiresAt?: number;
}

const PERSISTED = new Set(['Client', 'Grant', 'RefreshToken']);

/** What oidc-provider calls on an adapter (see its docs, "adapter"). */
export interface ProviderAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export class AdapterStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly state: StateStore) {
    const saved = state.read<Record<string, Entry>>('persisted-entities') ?? {};
    for (const [key, entry] of Object.entries(saved)) this.entries.set(key, entry);
  }

  /** The adapter class oidc-provider instantiates once per model name. */
  adapterClass(): new (name: string) => ProviderAdapter {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    return class {
      constructor(private readonly name: string) {}
      async upsert(id: string, payload: Payload, expiresIn?: number) {
        store.set(this.name, id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      }
      async find(id: string) {
        return store.get(this.name, id);
      }
      async findByUserCode(userCode: string) {
        return store.findBy(this.name, (p) => p.userCode === userCode);
      }
      async findByUid(uid: string) {
        return store.findBy(this.name, (p) => p.uid === uid);
      }
      async consume(id: string) {
        const payload = store.get(this.name, id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
        store.changed(this.name);
      }
      async destroy(id: string) {
        store.delete(this.name, id);
      }
      async revokeByGrantId(grantId: string) {
        store.deleteWhere((p) => p.grantId === grantId);
      }
    };
  }

  /** Drops expired entries (codes, sessions, access tokens nobody asks for again). */
  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
  }

  private key = (name: string, id: string) => `${name}:${id}`;

  private get(name: string, id: string): Payload | undefined {
    const entry = this.entries.get(this.key(name, id));
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.delete(name, id);
      return undefined;
    }
    return entry.payload;
  }

  private findBy(name: string, match: (p: Payload) => boolean): Payload | undefined {
    for (const [key, entry] of this.entries) {
      if (key.startsWith(`${name}:`) && match(entry.payload)) return this.get(name, key.slice(name.length + 1));
    }
    return undefined;
  }

  private set(name: string, id: string, entry: Entry): void {
    this.entries.set(this.key(name, id), entry);
    this.changed(name);
  }

  private delete(name: string, id: string): void {
    if (this.entries.delete(this.key(name, id))) this.changed(name);
  }

  private deleteWhere(match: (p: Payload) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (match(entry.payload)) {
        this.entries.delete(key);
        this.changed(key.split(':')[0]);
      }
    }
  }

  private changed(name: string): void {
    if (!PERSISTED.has(name)) return;
    const now = Date.now();
    const kept = [...this.entries].filter(([key, e]) => PERSISTED.has(key.split(':')[0]) && (e.expiresAt === undefined || e.expiresAt > now));
    this.state.write('persisted-entities', Object.fromEntries(kept));
  }
}

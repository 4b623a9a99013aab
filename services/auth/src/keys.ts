/**
 * Signing keys: ES256 key pairs generated at first start and kept in the
 * state store, newest first. The newest signs; every kept key stays in the
 * published JWKS so tokens signed before a rotation still verify.
 */
import { createHash, generateKeyPairSync, JsonWebKey, randomBytes } from 'node:crypto';
import { StateStore } from './state';

type JWK = JsonWebKey & { kid?: string; alg?: string; use?: string };

export const SIGNING_ALG = 'ES256';

/** Keys kept after a rotation (the signing key and the previous ones, for tokens still in flight). */
const KEPT_KEYS = 3;

/** RFC 7638 thumbprint of an EC key: the key id. */
const thumbprint = (jwk: JWK) => createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');

// node:crypto rather than jose: jose is an ES module, which jest cannot require.
function newSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: thumbprint(jwk), alg: SIGNING_ALG, use: 'sig' };
}

export class KeyRing {
  private constructor(
    private readonly store: StateStore,
    private keys: JWK[],
  ) {}

  /** Loads the kept keys, generating (and saving) the first one when there are none. */
  static async open(store: StateStore): Promise<KeyRing> {
    const saved = store.read<{ keys: JWK[] }>('signing-keys');
    const ring = new KeyRing(store, saved?.keys ?? []);
    if (ring.keys.length === 0) await ring.rotate();
    return ring;
  }

  /** Private keys for the provider, the signing key first. */
  get privateJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => ({ ...k })) };
  }

  get signingKid(): string {
    return this.keys[0].kid!;
  }

  /** Adds a new signing key in front; the previous ones stay published. */
  async rotate(): Promise<void> {
    this.keys = [newSigningKey(), ...this.keys].slice(0, KEPT_KEYS);
    this.store.write('signing-keys', { keys: this.keys });
  }
}

/** Keys that sign the provider's cookies; kept so sessions survive a restart. */
export function cookieKeys(store: StateStore): string[] {
  const saved = store.read<string[]>('cookie-keys');
  if (saved?.length) return saved;
  const keys = [randomBytes(32).toString('base64url')];
  store.write('cookie-keys', keys);
  return keys;
}

/**
 * The order service's client secret: the configured one, else the one saved
 * at first start, else a new one (saved).
 */
export function orderClientSecret(store: StateStore, clientId: string, configured: string | undefined): string {
  if (configured) return configured;
  const saved = store.read<{ client_id: string; client_secret: string }>('order-service-client');
  if (saved?.client_secret && saved.client_id === clientId) return saved.client_secret;
  const secret = randomBytes(32).toString('base64url');
  store.write('order-service-client', { client_id: clientId, client_secret: secret });
  return secret;
}

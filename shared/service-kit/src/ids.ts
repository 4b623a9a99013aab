import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/**
 * Random bytes drawn from the CSPRNG 4 KB at a time (as crypto.randomUUID
 * does): one randomBytes(16) call per id cost more than the rest of newId.
 * Every byte is handed out once.
 */
const entropy = Buffer.alloc(4096);
let entropyOffset = entropy.length;

function encodeRandom(): string {
  if (entropyOffset + 16 > entropy.length) {
    randomFillSync(entropy);
    entropyOffset = 0;
  }
  let out = '';
  for (let i = entropyOffset; i < entropyOffset + 16; i++) out += CROCKFORD[entropy[i] % 32];
  entropyOffset += 16;
  return out;
}

/**
 * A new opaque id with a type prefix (`cus_`, `ord_`, …). The body is a ULID,
 * so ids sort by creation time (`at`, default now) and make stable
 * keyset-pagination keys.
 */
export function newId(prefix: string, at: number = Date.now()): string {
  return `${prefix}_${encodeTime(at)}${encodeRandom()}`.toLowerCase();
}

/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string: the hash `percent:` scopes use, so
 * any client in any language that hashes `flag:targetingKey` the same way puts a key in the
 * same bucket. ASCII strings (nearly every key) are hashed straight from their char codes.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function murmur3(s: string, seed = 0): number {
  return new PrefixHash('', seed).hash(s);
}

/**
 * `murmur3(prefix + key)` for one fixed prefix and many keys: the prefix's whole 4-byte blocks
 * are mixed once, so each call hashes only the key. What `percent:` scopes use per flag.
 */
export class PrefixHash {
  private readonly h0: number;
  private readonly pending: number;
  private readonly pendingBytes: number;
  private readonly prefixLength: number;

  constructor(prefix: string, seed = 0) {
    const bytes = new TextEncoder().encode(prefix);
    const blocks = bytes.length & ~3;
    let h = seed | 0;
    for (let i = 0; i < blocks; i += 4) h = mixBlock(h, bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    let pending = 0;
    for (let i = blocks; i < bytes.length; i++) pending |= bytes[i] << (8 * (i - blocks));
    this.h0 = h;
    this.pending = pending;
    this.pendingBytes = bytes.length - blocks;
    this.prefixLength = bytes.length;
  }

  hash(key: string): number {
    if (!isAscii(key)) return this.hashBytes(new TextEncoder().encode(key));
    let h = this.h0;
    let k = this.pending;
    let n = this.pendingBytes;
    const len = key.length;
    for (let i = 0; i < len; i++) {
      k |= key.charCodeAt(i) << (8 * n);
      if (++n === 4) {
        h = mixBlock(h, k);
        k = 0;
        n = 0;
      }
    }
    return finish(h, k, n, this.prefixLength + len);
  }

  private hashBytes(bytes: Uint8Array): number {
    let h = this.h0;
    let k = this.pending;
    let n = this.pendingBytes;
    for (let i = 0; i < bytes.length; i++) {
      k |= bytes[i] << (8 * n);
      if (++n === 4) {
        h = mixBlock(h, k);
        k = 0;
        n = 0;
      }
    }
    return finish(h, k, n, this.prefixLength + bytes.length);
  }
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Mixes the last 1–3 bytes (`k`, `n` of them) and the length in. */
function finish(h: number, k: number, n: number, length: number): number {
  if (n > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

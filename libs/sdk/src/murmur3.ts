/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string: the hash `percent:` scopes use, so
 * any client in any language that hashes `flag:targetingKey` the same way puts a key in the
 * same bucket. ASCII strings (nearly every key) are hashed straight from their char codes.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function murmur3(s: string, seed = 0): number {
  if (!isAscii(s)) return murmur3Bytes(utf8(s), seed);
  const len = s.length;
  const blocks = len & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = s.charCodeAt(blocks);
    if (rest > 1) k |= s.charCodeAt(blocks + 1) << 8;
    if (rest > 2) k |= s.charCodeAt(blocks + 2) << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return finish(h, len);
}

function murmur3Bytes(b: Uint8Array, seed: number): number {
  const len = b.length;
  const blocks = len & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = b[blocks];
    if (rest > 1) k |= b[blocks + 1] << 8;
    if (rest > 2) k |= b[blocks + 2] << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return finish(h, len);
}

function finish(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * `murmur3(prefix + key)` without building the joined string: the `percent:` hot path hashes
 * `flag:` + targeting key on every evaluation. Falls back to the plain hash for non-ASCII input.
 */
export function murmur3Joined(prefix: string, key: string, seed = 0): number {
  if (!isAscii(key) || !isAscii(prefix)) return murmur3(prefix + key, seed);
  const pl = prefix.length;
  const len = pl + key.length;
  const at = (i: number) => (i < pl ? prefix.charCodeAt(i) : key.charCodeAt(i - pl));
  const blocks = len & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = at(blocks);
    if (rest > 1) k |= at(blocks + 1) << 8;
    if (rest > 2) k |= at(blocks + 2) << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return finish(h, len);
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

  constructor(private readonly prefix: string, private readonly seed = 0) {
    const ascii = isAscii(prefix);
    const bytes = ascii ? null : utf8(prefix);
    const len = ascii ? prefix.length : bytes!.length;
    const at = (i: number) => (ascii ? prefix.charCodeAt(i) : bytes![i]);
    let h = seed | 0;
    const blocks = len & ~3;
    for (let i = 0; i < blocks; i += 4) h = mixBlock(h, at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24));
    let pending = 0;
    for (let i = blocks; i < len; i++) pending |= at(i) << (8 * (i - blocks));
    this.h0 = h;
    this.pending = pending;
    this.pendingBytes = len - blocks;
    this.prefixLength = len;
  }

  hash(key: string): number {
    let h = this.h0;
    let k = this.pending;
    let n = this.pendingBytes;
    const len = key.length;
    for (let i = 0; i < len; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) return murmur3(this.prefix + key, this.seed);
      k |= c << (8 * n);
      if (++n === 4) {
        h = mixBlock(h, k);
        k = 0;
        n = 0;
      }
    }
    if (n > 0) {
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
    }
    return finish(h, this.prefixLength + len);
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

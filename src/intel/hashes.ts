/**
 * Hash normalization and the in-memory index: trimmed, lower-case hex, algorithm from the length
 * (32 md5, 40 sha1, 64 sha256); one Map per algorithm. A hash listed by several feeds keeps every
 * feed's entry.
 */
import type { HashAlgorithm, IntelEntry } from './types.js';

const LENGTHS: Readonly<Record<number, HashAlgorithm>> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/** Lower-case hex of a known length, or null. */
export function normalizeHash(text: string): string | null {
  const h = text.trim().toLowerCase();
  return /^[0-9a-f]+$/.test(h) && LENGTHS[h.length] ? h : null;
}

export function hashAlgorithm(hash: string): HashAlgorithm | null {
  return LENGTHS[hash.length] ?? null;
}

export class HashIndex {
  private readonly maps: Record<HashAlgorithm, Map<string, IntelEntry[]>> = { md5: new Map(), sha1: new Map(), sha256: new Map() };

  /** Add a hash (any case, surrounding space); false when it is not a md5/sha1/sha256 hex string. */
  add(hash: string, entry: IntelEntry): boolean {
    const h = normalizeHash(hash);
    if (!h) return false;
    const m = this.maps[hashAlgorithm(h)!];
    const have = m.get(h);
    if (!have) m.set(h, [entry]);
    else if (!have.some((e) => e.feed === entry.feed && e.name === entry.name)) have.push(entry);
    return true;
  }

  lookup(hash: string): IntelEntry[] {
    const h = normalizeHash(hash);
    return h ? (this.maps[hashAlgorithm(h)!].get(h) ?? []) : [];
  }

  /** Every (hash, entries) pair (to serialize the index: cluster/control.ts). */
  *entries(): IterableIterator<[string, readonly IntelEntry[]]> {
    for (const m of Object.values(this.maps)) yield* m.entries();
  }

  get size(): number {
    return this.maps.md5.size + this.maps.sha1.size + this.maps.sha256.size;
  }

  counts(): Record<HashAlgorithm, number> {
    return { md5: this.maps.md5.size, sha1: this.maps.sha1.size, sha256: this.maps.sha256.size };
  }
}

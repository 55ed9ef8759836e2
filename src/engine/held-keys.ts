/**
 * The join keys of the state a sequence holds (its partials and pending candidates), kept up to
 * date at each insert and delete of the state instead of listed again on every change: a rule
 * whose first stage matches often holds thousands of partials and changes them on most events,
 * and a hunt asks about the held keys once per deferred line (hunt/join-gate.ts). Each key is
 * also split once, when it comes to be held, into its parts (keyString form, joined by
 * KEY_SEP), so "is this executable path the key part of some held partial" is one lookup.
 */
import { KEY_SEP } from './values.js';

/** Values of one key part held now, each with the number of distinct keys held that have it. */
export type PartValues = ReadonlyMap<string, number>;

export interface HeldKeys {
  /** Number of distinct keys held. */
  readonly size: number;
  /**
   * Changes whenever the state held changes, keys or not (a partial started, advanced, replaced
   * or dropped; a candidate pending or released): what is computed from the state (its horizon)
   * holds while it stays the same.
   */
  readonly version: number;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  /**
   * The values of part `i` of the keys held, when every key held has `width` parts; null when
   * one has another number (a string value holding KEY_SEP splits into more: it cannot be told
   * apart). Live: the same map changes with the state.
   */
  part(i: number, width: number): PartValues | null;
}

const NO_VALUES: PartValues = new Map();

/** Held keys with a count per key (a key held at several stages, or pending, counts once each). */
export class KeyCounts implements HeldKeys {
  version = 0;
  private readonly counts = new Map<string, number>();
  /** Number of distinct keys held by their number of parts. */
  private readonly widths = new Map<number, number>();
  /** parts[i]: value of part i → number of distinct keys held with it. */
  private readonly parts: Map<string, number>[] = [];

  static of(keys: Iterable<string>): KeyCounts {
    const c = new KeyCounts();
    for (const k of keys) c.add(k);
    return c;
  }

  get size(): number {
    return this.counts.size;
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  keys(): IterableIterator<string> {
    return this.counts.keys();
  }

  part(i: number, width: number): PartValues | null {
    if (this.counts.size === 0) return NO_VALUES;
    if (this.widths.size !== 1 || !this.widths.has(width)) return null;
    return this.parts[i] ?? NO_VALUES;
  }

  /** One more holder of `key`: O(its length) when it was not held, O(1) otherwise. */
  add(key: string): void {
    this.version++;
    const c = this.counts.get(key);
    if (c !== undefined) {
      this.counts.set(key, c + 1);
      return;
    }
    this.counts.set(key, 1);
    this.index(key, 1);
  }

  /** One holder of `key` fewer (it must be held). */
  delete(key: string): void {
    this.version++;
    const c = this.counts.get(key);
    if (c === undefined) throw new Error(`held keys: ${JSON.stringify(key)} released but not held`);
    if (c > 1) {
      this.counts.set(key, c - 1);
      return;
    }
    this.counts.delete(key);
    this.index(key, -1);
  }

  /** Hold nothing. */
  clear(): void {
    this.version++;
    this.counts.clear();
    this.widths.clear();
    this.parts.length = 0;
  }

  private index(key: string, d: 1 | -1): void {
    let n = 0;
    for (let from = 0; ; n++) {
      const j = key.indexOf(KEY_SEP, from);
      bump((this.parts[n] ??= new Map()), j < 0 ? (from === 0 ? key : key.slice(from)) : key.slice(from, j), d);
      if (j < 0) break;
      from = j + 1;
    }
    bump(this.widths, n + 1, d);
  }
}

function bump<K>(m: Map<K, number>, k: K, d: 1 | -1): void {
  const c = (m.get(k) ?? 0) + d;
  if (c > 0) m.set(k, c);
  else if (c === 0) m.delete(k);
  else throw new Error('held keys: a key part released but not held');
}

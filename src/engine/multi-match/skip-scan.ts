/**
 * Wu–Manber scan for a keyword search's needles: every occurrence of every needle in a text's
 * lower-cased form, reading only about one character in (shortest needle − 2) when the text has
 * none of them.
 *
 * Hand-written for the hot path: a Sigma keyword rule (`win_alert_mimikatz_keywords`) makes every
 * string of every event a subject, ~400 characters per event, where an Aho–Corasick pass must read
 * each character. Here a window as long as the shortest needle slides over the text; the last 3
 * characters of the window (a block, case-folded, hashed) say how far it may slide without
 * skipping an occurrence; where that is 0, the needles whose first `m` characters end with the
 * block are compared in place.
 *
 * Never missing an occurrence without lower-casing: only needles of ASCII characters are accepted
 * (suits), and `toLowerCase` maps a text's characters one to one, an ASCII character to its lower
 * case and any other character to non-ASCII, except U+0130 (İ → i̇, two code units) and U+212A
 * (Kelvin sign → k). The scan folds A–Z to a–z, İ to i and the Kelvin sign to k: every occurrence
 * in the lower-cased text is found (an İ can only end an occurrence there, the combining dot
 * after its i being non-ASCII); an İ inside a needle's span is reported though the lower-cased
 * text holds i̇ there — one more candidate, never one fewer, which is all the matcher asks
 * (its rules are decided by their own tests). After an İ, positions are the text's, not the
 * lower-cased text's: callers use this scan only for keyword needles, which are unanchored.
 * A text shorter than the shortest needle holds none (its lower-cased form holds no longer ASCII
 * run) and is not read.
 */
import type { Needle } from './aho-corasick.js';

const BLOCK = 3;
const HASH_BITS = 15;
const HASH_MASK = (1 << HASH_BITS) - 1;

/** Case-folds a code unit: A–Z → a–z, İ (U+0130) → i, Kelvin sign (U+212A) → k; others as they are. */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c < 128 ? c : c === 0x130 ? 105 : c === 0x212a ? 107 : c;
}

function hash3(a: number, b: number, c: number): number {
  return ((a << 10) ^ (b << 5) ^ c ^ (a >>> 5) ^ (b >>> 9)) & HASH_MASK;
}

export class SkipScanner {
  /** Shortest needle length: the window (a shorter text holds no needle). */
  readonly m: number;
  private readonly shift: Uint8Array;
  /** Needles whose first m characters end with a block of hash h: cand[candStart[h] .. candStart[h+1]). */
  private readonly candStart: Int32Array;
  private readonly cand: Int32Array;
  private readonly texts: string[];
  private readonly payloads: Int32Array;

  /** Whether these needles can be scanned this way: all ASCII (lower-case), none shorter than 4 characters. */
  static suits(needles: readonly Needle[]): boolean {
    if (needles.length === 0) return false;
    for (const n of needles) {
      if (n.text.length < BLOCK + 1) return false;
      for (let i = 0; i < n.text.length; i++) {
        const c = n.text.charCodeAt(i);
        if (c >= 128 || (c >= 65 && c <= 90)) return false;
      }
    }
    return true;
  }

  constructor(needles: readonly Needle[]) {
    if (!SkipScanner.suits(needles)) throw new Error('SkipScanner: needles must be lower-case ASCII of 4 characters or more');
    let m = Infinity;
    for (const n of needles) m = Math.min(m, n.text.length);
    this.m = Math.min(m, 255 + BLOCK - 1);
    const M = this.m;
    const shift = new Uint8Array(HASH_MASK + 1).fill(M - BLOCK + 1);
    const lists: number[][] = [];
    needles.forEach((n, k) => {
      const t = n.text;
      for (let q = BLOCK - 1; q < M; q++) {
        const h = hash3(t.charCodeAt(q - 2), t.charCodeAt(q - 1), t.charCodeAt(q));
        const s = M - 1 - q;
        if (s < shift[h]!) shift[h] = s;
        if (s === 0) (lists[h] ??= []).push(k);
      }
    });
    const candStart = new Int32Array(HASH_MASK + 2);
    for (let h = 0; h <= HASH_MASK; h++) candStart[h + 1] = candStart[h]! + (lists[h]?.length ?? 0);
    const cand = new Int32Array(candStart[HASH_MASK + 1]!);
    for (let h = 0; h <= HASH_MASK; h++) if (lists[h]) cand.set(lists[h]!, candStart[h]!);
    this.shift = shift;
    this.candStart = candStart;
    this.cand = cand;
    this.texts = needles.map((n) => n.text);
    this.payloads = Int32Array.from(needles.map((n) => n.payload));
  }

  /**
   * Calls `hit(payload, start, end)` for every occurrence of every needle in `text.toLowerCase()`
   * (and possibly a few more around an İ: see above).
   */
  scan(text: string, hit: (payload: number, start: number, end: number) => void): void {
    const n = text.length;
    const M = this.m;
    const shift = this.shift;
    let pos = M - 1;
    while (pos < n) {
      const h = hash3(fold(text.charCodeAt(pos - 2)), fold(text.charCodeAt(pos - 1)), fold(text.charCodeAt(pos)));
      const s = shift[h]!;
      if (s !== 0) {
        pos += s;
        continue;
      }
      this.verify(text, pos - M + 1, h, hit);
      pos++;
    }
  }

  private verify(text: string, start: number, h: number, hit: (payload: number, start: number, end: number) => void): void {
    const n = text.length;
    const end = this.candStart[h + 1]!;
    for (let i = this.candStart[h]!; i < end; i++) {
      const k = this.cand[i]!;
      const t = this.texts[k]!;
      const L = t.length;
      if (start + L > n) continue;
      let j = 0;
      while (j < L && fold(text.charCodeAt(start + j)) === t.charCodeAt(j)) j++;
      if (j === L) hit(this.payloads[k]!, start, start + L);
    }
  }
}

/**
 * Lower-casing memo for case-insensitive matching.
 *
 * Many rules read the same field of the same event (2,400 Sigma rules over one event), and each
 * case-insensitive test needs the value lower-cased. Each field path gets a slot remembering the
 * last string it saw and its lower-case form; a repeat of the same string (the same event read by
 * the next rule) costs one identity comparison instead of a `toLowerCase` and an allocation. The
 * memo is keyed by the string itself, never by the event, so mutated or reused event objects
 * cannot get a stale answer.
 */
import type { PathStep } from '../ir/types.js';

const slotsByPath = new Map<string, number>();
const raws: (string | undefined)[] = [];
const lowers: string[] = [];

/** The memo slot for a field path (shared by every rule reading that path). */
export function lowerSlot(path: readonly PathStep[]): number {
  const key = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  let slot = slotsByPath.get(key);
  if (slot === undefined) {
    slot = raws.length;
    raws.push(undefined);
    lowers.push('');
    slotsByPath.set(key, slot);
  }
  return slot;
}

/** `s.toLowerCase()`, remembered per slot. */
export function lowerIn(slot: number, s: string): string {
  if (raws[slot] === s) return lowers[slot]!;
  const l = s.toLowerCase();
  raws[slot] = s;
  lowers[slot] = l;
  return l;
}

/** Recently lower-cased strings of any origin (keyword search walks whole events); cleared when full. */
const recent = new Map<string, string>();
const RECENT_MAX = 8192;

/** `s.toLowerCase()` through a bounded content-keyed cache (for values with no field path). */
export function lowerAny(s: string): string {
  let l = recent.get(s);
  if (l === undefined) {
    l = s.toLowerCase();
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(s, l);
  }
  return l;
}

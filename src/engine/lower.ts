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
import { textSlot } from './text-slot.js';

const slotsByPath = new Map<string, number>();
const raws: (string | undefined)[] = [];
const lowers: string[] = [];
/**
 * Behind each slot's last string, its recent strings by content (RECENT_PER_SLOT entries per slot,
 * direct-mapped by text-slot.ts): a value met in an earlier event (the same process or path again)
 * gets the same lower-cased string as then — no `toLowerCase` and no allocation, and the string's
 * hash, computed by the first Set or Map lookup of it, is kept for the next lookups.
 */
const RECENT_PER_SLOT = 32;
const recentRaws: (string | undefined)[] = [];
const recentLowers: string[] = [];

/** The memo slot for a field path (shared by every rule reading that path). */
export function lowerSlot(path: readonly PathStep[]): number {
  const key = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  let slot = slotsByPath.get(key);
  if (slot === undefined) {
    slot = raws.length;
    raws.push(undefined);
    lowers.push('');
    for (let i = 0; i < RECENT_PER_SLOT; i++) {
      recentRaws.push(undefined);
      recentLowers.push('');
    }
    slotsByPath.set(key, slot);
  }
  return slot;
}

/** `s.toLowerCase()`, remembered per slot. */
export function lowerIn(slot: number, s: string): string {
  if (raws[slot] === s) return lowers[slot]!;
  const i = slot * RECENT_PER_SLOT + textSlot(s, RECENT_PER_SLOT - 1);
  let l: string;
  if (recentRaws[i] === s) l = recentLowers[i]!;
  else {
    l = s.toLowerCase();
    recentRaws[i] = s;
    recentLowers[i] = l;
  }
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

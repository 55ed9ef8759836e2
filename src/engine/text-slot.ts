/**
 * Slots of a table of recent texts by content (the multi-rule matcher's memo front,
 * multi-match/index.ts): from a text's length and seven of its characters — cheap, where a Map
 * must hash every character of a fresh string first, and a parsed event's texts are fresh strings,
 * hashed anew for each event. Values of one field share prefixes (`c:\windows\system32\`) and
 * suffixes (`.exe`), so characters across the text count. Any slot is correct (the table compares
 * the whole text); this only spreads them. Tables are two-way: the slot is even, and a text sits
 * in it or in the next one (`slot ^ 1`), the newer first, so two frequent texts of one pair do not
 * push each other out.
 */
export function textSlot(t: string, mask: number): number {
  const n = t.length;
  if (n === 0) return 0;
  let h = Math.imul(n ^ t.charCodeAt(0), 0x9e3779b1);
  h = Math.imul(h ^ t.charCodeAt(n - 1), 0x85ebca6b);
  h = Math.imul(h ^ t.charCodeAt(n >> 1), 0xc2b2ae35);
  h = Math.imul(h ^ t.charCodeAt(n >> 2), 0x27d4eb2f);
  h = Math.imul(h ^ t.charCodeAt((n * 3) >> 2), 0x165667b1);
  h = Math.imul(h ^ t.charCodeAt(n >> 3), 0x9e3779b1);
  h = Math.imul(h ^ t.charCodeAt((n * 7) >> 3), 0x85ebca6b);
  return (h ^ (h >>> 15) ^ (h >>> 24)) & mask & ~1;
}

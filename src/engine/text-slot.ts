/**
 * Direct-mapped tables of recent texts (the matcher's memo front, lower-casing and pattern-test
 * memos): a text's slot from its length and five of its characters, cheap where a Map must hash
 * every character of a fresh string first — and a parsed event's texts are fresh strings, hashed
 * anew for each event. Values of one field share prefixes (`c:\windows\system32\`) and suffixes
 * (`.exe`), so the middle characters count too. Any slot is correct (a table compares the whole
 * text); this only spreads them.
 */
export function textSlot(t: string, mask: number): number {
  const n = t.length;
  if (n === 0) return 0;
  const h = n * 0x9e3779b1 + t.charCodeAt(n >> 1) * 0x85ebca6b + t.charCodeAt(n - 1) * 0xc2b2ae35 + t.charCodeAt((n * 3) >> 2) * 0x27d4eb2f + t.charCodeAt(n >> 2) * 0x165667b1 + t.charCodeAt(0);
  return (h ^ (h >>> 13)) & mask;
}

/**
 * A pure string test remembered for its last `slots` texts (a power of two) by textSlot: for
 * tests that cost more than a string comparison (many wildcard patterns, regexes) on values that
 * repeat from event to event. The test must depend on the text alone.
 */
export function rememberTest(test: (s: string) => boolean, slots = 64): (s: string) => boolean {
  const mask = slots - 1;
  const texts = new Array<string | undefined>(slots).fill(undefined);
  const results = new Uint8Array(slots);
  return (s) => {
    const i = textSlot(s, mask);
    if (texts[i] === s) return results[i] === 1;
    const r = test(s);
    texts[i] = s;
    results[i] = r ? 1 : 0;
    return r;
  };
}

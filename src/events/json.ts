/**
 * JSON parsing that keeps 64-bit integers exact.
 *
 * `JSON.parse` turns 131485996510000000 (a FILETIME) into a float that is off by up to 16.
 * Lines that contain an integer literal of 16+ digits outside strings are rewritten so those
 * literals become marker strings, parsed, and the markers turned into `bigint`. Lines without
 * such literals (nearly all) take the plain `JSON.parse` path at full speed.
 */

const BIG_MARK = '\u0000big:';
// A 16+ digit integer literal right after ':' ',' or '[' (a long digit run inside a string
// rarely looks like this; when one does, the exact scan below sorts it out).
const MAYBE_BIG = /[:,[]\s*-?\d{16}/;

export function parseJsonExact(text: string): unknown {
  if (!MAYBE_BIG.test(text)) return JSON.parse(text);
  const marked = quoteBigIntegers(text);
  if (marked.count === 0) return JSON.parse(text);
  // Plain JSON.parse, then the few marker strings turned into numbers: a reviver would be
  // called for every value of the document (~5x slower on flat nxlog lines, whose Keywords is
  // a 64-bit integer on every line).
  return reviveMarkers(JSON.parse(marked.text), marked.count);
}

/** Replace the `count` marker strings in `root` by their integers (bigint beyond 2^53). */
function reviveMarkers(root: unknown, count: number): unknown {
  if (typeof root === 'string') return root.startsWith(BIG_MARK) ? bigValue(root) : root;
  let left = count;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && left > 0; i++) {
        const x: unknown = v[i];
        if (typeof x === 'string') {
          if (x.startsWith(BIG_MARK)) {
            v[i] = bigValue(x);
            left--;
          }
        } else if (x !== null && typeof x === 'object') walk(x);
      }
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k in o) {
        if (left === 0) return;
        const x = o[k];
        if (typeof x === 'string') {
          if (x.startsWith(BIG_MARK)) {
            o[k] = bigValue(x);
            left--;
          }
        } else if (x !== null && typeof x === 'object') walk(x);
      }
    }
  };
  walk(root);
  return root;
}

function bigValue(marker: string): number | bigint {
  const b = BigInt(marker.slice(BIG_MARK.length));
  // Keep plain numbers where they are exact.
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
}

/**
 * Wrap integer literals of 16+ digits that stand outside strings in marker strings. Strings are
 * skipped from quote to quote with indexOf (native speed); only the text between strings is
 * looked at character by character, and only for a long digit run.
 */
function quoteBigIntegers(text: string): { text: string; count: number } {
  let out = '';
  let last = 0;
  let count = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const q = text.indexOf('"', i);
    const stop = q < 0 ? n : q;
    // Text outside strings: [i, stop).
    for (let k = i; k < stop; k++) {
      const c = text.charCodeAt(k);
      if (c !== 45 /* - */ && (c < 48 || c > 57)) continue;
      let j = k + (c === 45 ? 1 : 0);
      while (j < stop && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      const next = text.charCodeAt(j);
      const isInteger = next !== 46 /* . */ && next !== 101 && next !== 69; /* e E */
      if (isInteger && j - k >= 16) {
        out += text.slice(last, k) + '"\\u0000big:' + text.slice(k, j) + '"';
        last = j;
        count++;
      }
      // Skip a fraction and exponent whole, so their digits are not taken for an integer.
      if (next === 46) for (j++; j < stop && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57; j++);
      if (text.charCodeAt(j) === 101 || text.charCodeAt(j) === 69) {
        j++;
        if (text.charCodeAt(j) === 43 || text.charCodeAt(j) === 45) j++;
        while (j < stop && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      }
      k = j - 1;
    }
    if (q < 0) break;
    // Skip the string: its closing quote is the next one not escaped by an odd run of backslashes.
    let e = q + 1;
    for (;;) {
      e = text.indexOf('"', e);
      if (e < 0) {
        i = n;
        break;
      }
      let b = e - 1;
      while (text.charCodeAt(b) === 92 /* \\ */) b--;
      if ((e - 1 - b) % 2 === 0) {
        i = e + 1;
        break;
      }
      e++;
    }
  }
  return { text: count === 0 ? text : out + text.slice(last), count };
}

/** Deepest nesting of objects and arrays a record may have; deeper records are skipped by the readers (docs/sources.md). */
export const MAX_JSON_DEPTH = 100;

/**
 * True when the JSON text nests objects/arrays deeper than `max`. Fast path: a text with fewer
 * than `max` opening brackets cannot, and counting them is a few native `indexOf` calls per line;
 * only texts with that many get the string-aware scan.
 */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let opens = 0;
  for (let i = text.indexOf('{'); i >= 0 && opens <= max; i = text.indexOf('{', i + 1)) opens++;
  for (let i = text.indexOf('['); i >= 0 && opens <= max; i = text.indexOf('[', i + 1)) opens++;
  if (opens <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

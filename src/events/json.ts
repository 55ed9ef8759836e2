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
  const rewritten = quoteBigIntegers(text);
  if (rewritten === text) return JSON.parse(text);
  return JSON.parse(rewritten, reviveBig);
}

function reviveBig(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith(BIG_MARK)) {
    const digits = value.slice(BIG_MARK.length);
    const b = BigInt(digits);
    // Keep plain numbers where they are exact.
    return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
  }
  return value;
}

/** Wrap integer literals of 16+ digits that stand outside strings in marker strings. */
function quoteBigIntegers(text: string): string {
  let out = '';
  let last = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inStr = false;
      continue;
    }
    if (c === 34) {
      inStr = true;
      continue;
    }
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + (c === 45 ? 1 : 0);
      while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      const next = text.charCodeAt(j);
      const isInteger = next !== 46 /* . */ && next !== 101 && next !== 69; /* e E */
      if (isInteger && j - i >= 16) {
        out += text.slice(last, i) + '"\\u0000big:' + text.slice(i, j) + '"';
        last = j;
      }
      // Skip a fraction and exponent whole, so their digits are not taken for an integer.
      if (next === 46) for (j++; j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57; j++);
      if (text.charCodeAt(j) === 101 || text.charCodeAt(j) === 69) {
        j++;
        if (text.charCodeAt(j) === 43 || text.charCodeAt(j) === 45) j++;
        while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      }
      i = j - 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
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

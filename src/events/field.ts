/**
 * Field access on plain JSON events.
 *
 * Events may be nested (`{process: {pid: 4}}`), flat with dotted keys (`{"process.pid": 4}`),
 * or a mix of both (`{process: {"code_signature.trusted": true}}`). Array indexes are path steps
 * of type number (`args[0]` → `['args', 0]`). Nothing is flattened up front: a path is resolved
 * when a rule asks for it, nested first (the common, fast case), then through dotted keys.
 */
import type { PathStep } from '../ir/types.js';

export type JsonValue = string | number | boolean | null | bigint | JsonValue[] | { [k: string]: JsonValue };
export type Event = Record<string, unknown>;

/** Parse a dotted field reference with optional indexes: `a.b[0].c` → `['a','b',0,'c']`. */
export function parseFieldPath(text: string): PathStep[] {
  const out: PathStep[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(Number(m[2]));
  }
  return out;
}

/**
 * Set on an event (by `markIfNested`) whose keys, at every level, hold no dot: a path missing from
 * its nested shape is missing, with no dotted-key search. Events must not gain dotted keys after.
 */
export const NO_DOTTED_KEYS: unique symbol = Symbol('spoor.noDottedKeys');

function nestedOnly(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== 'object' || depth > 32) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!nestedOnly(v[i], depth + 1)) return false;
    return true;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (k.indexOf('.') >= 0) return false;
    const x = o[k];
    if (x !== null && typeof x === 'object' && !nestedOnly(x, depth + 1)) return false;
  }
  return true;
}

/** Whether no key of `v`, at any level, contains a dot (what markIfNested records). */
export function noDottedKeys(v: unknown): boolean {
  return nestedOnly(v, 0);
}

/**
 * Record what markIfNested would find, known by whoever built `ev` (normalize/index.ts: the ECS
 * view of a Windows record has dotted keys only where its EventData has them). markIfNested then
 * does not walk it again.
 */
export function setNoDottedKeys(ev: Event, none: boolean): void {
  (ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] = none;
}

/**
 * Whether the JSON text `text` certainly holds no object key with a dot in it, at any level: true
 * only when it is so; false when some key may hold one (a dot inside a string whose closing quote
 * is followed by `:`, a string starting with `:` after a number with a dot, or a `\u002e` escape).
 * Only the dots are visited (two `indexOf` per string holding any): about a third of the cost of
 * walking the parsed object (noDottedKeys), and exact where it says true
 * (test/events/field.test.ts holds it against the walk).
 */
export function jsonTextHasNoDottedKey(text: string): boolean {
  if (text.indexOf('\\u002e') >= 0 || text.indexOf('\\u002E') >= 0) return false;
  for (let d = text.indexOf('.'); d >= 0; ) {
    // The first quote after the dot that is not escaped: the end of the string holding the dot
    // (or, for a dot outside strings, the start of the next string).
    let q = text.indexOf('"', d);
    if (q < 0) return true;
    for (;;) {
      let b = 0;
      while (text.charCodeAt(q - 1 - b) === 92) b++;
      if ((b & 1) === 0) break;
      q = text.indexOf('"', q + 1);
      if (q < 0) return true;
    }
    let j = q + 1;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++j);
    if (c === 58) return false; // `":`: a key holding the dot (or a string starting with ':')
    d = text.indexOf('.', q + 1);
  }
  return true;
}

/**
 * Mark a value just parsed from `text` (an object, as the NDJSON reader parses a line) with
 * NO_DOTTED_KEYS when the text shows no dotted key (jsonTextHasNoDottedKey): markIfNested then
 * has nothing to walk. Code that later adds a dotted key to such an object must clear the mark
 * (normalize/index.ts does for the one normalization that completes a record in place from others).
 */
export function markParsedJson(value: unknown, text: string): void {
  // Not enumerable: the reader's events compare equal to plain parsed JSON (and a spread copy,
  // which may then gain keys, does not inherit the mark).
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && jsonTextHasNoDottedKey(text)) Object.defineProperty(value, NO_DOTTED_KEYS, { value: true, writable: true });
}

/** Undo a mark whose object may have gained dotted keys since (markIfNested walks it again). */
export function clearNoDottedKeys(ev: Event): void {
  if ((ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] !== undefined) (ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] = undefined;
}

/** Mark `ev` with NO_DOTTED_KEYS when no key at any level contains a dot (one walk; hot path of hunts). */
export function markIfNested(ev: Event): void {
  if ((ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] === undefined)
    (ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] = nestedOnly(ev, 0);
}

/** Resolve `path` in `ev`; `undefined` when absent. Handles nested, dotted and mixed shapes. */
export function getField(ev: unknown, path: readonly PathStep[]): unknown {
  // Fast path: fully nested.
  let cur: unknown = ev;
  let i = 0;
  for (; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') break;
    const next: unknown = (cur as Record<string | number, unknown>)[path[i] as string];
    if (next === undefined) break;
    cur = next;
  }
  if (i === path.length) return cur;
  if ((ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] === true) return undefined;
  return resolveFrom(ev, path, 0);
}

/** Dotted joins of a path's string steps, `joins[i][j]` = steps i..j joined by '.', built once per path. */
const joinCache = new WeakMap<readonly PathStep[], string[][]>();

function joinsOf(path: readonly PathStep[]): string[][] {
  let j = joinCache.get(path);
  if (!j) {
    j = path.map((_, i) => {
      const row: string[] = [];
      let acc = '';
      for (let k = i; k < path.length && typeof path[k] === 'string'; k++) {
        acc = k === i ? (path[k] as string) : `${acc}.${path[k] as string}`;
        row[k] = acc;
      }
      return row;
    });
    joinCache.set(path, j);
  }
  return j;
}

/** General resolution: at each object level, try every dotted join of the next string steps. */
function resolveFrom(cur: unknown, path: readonly PathStep[], start: number, joins: string[][] = joinsOf(path)): unknown {
  if (start === path.length) return cur;
  if (cur === null || typeof cur !== 'object') return undefined;
  const step = path[start]!;
  if (typeof step === 'number') {
    if (!Array.isArray(cur)) return undefined;
    return resolveFrom(cur[step], path, start + 1, joins);
  }
  const obj = cur as Record<string, unknown>;
  const row = joins[start]!;
  // Try the longest dotted key first ("a.b.c"), then shorter ones ("a.b", then "a").
  for (let j = row.length - 1; j >= start; j--) {
    const v = obj[row[j]!];
    if (v !== undefined) {
      const r = resolveFrom(v, path, j + 1, joins);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** Format a path for messages: `['a', 0, 'b']` → `a[0].b`. */
export function formatFieldPath(path: readonly PathStep[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s === '' ? p : `.${p}`;
  }
  return s;
}

/**
 * Conditions an event's raw JSON text must meet for a rule condition to hold, checked on the text
 * without parsing it (hunt/prefilter.ts decides with them which NDJSON lines to parse).
 *
 * They are read from the top-level conjuncts of a condition (and from `or`s of such conjuncts):
 * an equality with literals (`==`, `in`, `:` with plain patterns) on a field. A check may only be
 * too generous, never too strict, so anything not understood means "no condition":
 * - a field present in the text is found by its key (`"pid": 4`, or a dotted key `"process.pid"`);
 *   any occurrence of the key whose value matches, or cannot be read here (an escape, an object, a
 *   different type that the engine may coerce), meets the check: keys like `"type"` occur for
 *   several objects, and taking any of them is a superset of taking the right one;
 * - a field that normalization may add to an ECS event (normalize/ecs.ts ECS_DERIVED_FIELDS)
 *   is looked for as text: a process name derived from the executable's path ends some raw string
 *   (`System"`), a lower-cased host id equals one ignoring case. Fields derived in ways the text
 *   does not show (arguments split from a command line) give no condition.
 * The caller keeps lines with the escapes a writer may have used for the text looked for (escapesFor).
 */
import type { Expr, Literal } from '../ir/types.js';
import { ECS_DERIVED_FIELDS } from '../normalize/index.js';
import { anchorOf } from '../sources/search.js';

export type TextCheck =
  /** Some `"key": value` in the text has one of `values` (`ci`: strings compared ignoring case); `path`: the field's. */
  | { kind: 'value'; key: string; values: readonly Literal[]; ci: boolean; path?: string }
  /**
   * Some `"key": value` in the text gives, through `read` (a normalization mapping, see
   * windows-checks.ts), one of `values`; `source` names the mapping (read is not comparable).
   */
  | { kind: 'raw'; key: string; read: (raw: unknown) => unknown; source: string; values: readonly Literal[]; ci: boolean }
  /** The text contains one of `needles` (`ci`: any case; `folded` are the same, as regular expressions); `path`: the field's. */
  | { kind: 'text'; needles: readonly string[]; ci: boolean; folded?: readonly RegExp[]; path?: string }
  | { kind: 'all'; checks: readonly TextCheck[] }
  | { kind: 'any'; checks: readonly TextCheck[] };

/** The check a condition implies on the event's text, or null when it implies none. */
export function textCheckOf(e: Expr): TextCheck | null {
  switch (e.kind) {
    case 'and': {
      const checks = e.exprs.map(textCheckOf).filter((c): c is TextCheck => c !== null);
      // Key lookups first: they fail fast on most lines, a text search reads the whole line.
      checks.sort((a, b) => cost(a) - cost(b));
      return checks.length === 0 ? null : checks.length === 1 ? checks[0]! : { kind: 'all', checks };
    }
    case 'or': {
      const checks = e.exprs.map(textCheckOf);
      if (checks.some((c) => c === null)) return null;
      return checks.length === 1 ? checks[0]! : { kind: 'any', checks: checks as TextCheck[] };
    }
    case 'compare': {
      if (e.op !== '==') return null;
      const [field, lit] = e.left.kind === 'field' ? [e.left, e.right] : [e.right, e.left];
      if (field.kind !== 'field' || lit.kind !== 'literal') return null;
      return fieldCheck(field.path, [lit.value], e.caseInsensitive);
    }
    case 'in': {
      if (e.negated || e.expr.kind !== 'field' || !e.values.every((v) => v.kind === 'literal')) return null;
      return fieldCheck(e.expr.path, e.values.map((v) => (v as { value: Literal }).value), e.caseInsensitive);
    }
    case 'wildcard': {
      if (e.expr.kind !== 'field' || !e.patterns.every((p) => p.every((t) => t.t === 'lit'))) return null;
      return fieldCheck(e.expr.path, e.patterns.map((p) => p.map((t) => (t as { v: string }).v).join('')), e.caseInsensitive);
    }
    default:
      return null;
  }
}

function fieldCheck(path: readonly (string | number)[], values: Literal[], ci: boolean): TextCheck | null {
  if (path.length === 0 || !path.every((s): s is string => typeof s === 'string')) return null;
  // null never equals a present value, but `x == null` holds for a missing field: no condition.
  if (values.some((v) => v === null || typeof v === 'bigint')) return null;
  const derived = ECS_DERIVED_FIELDS.get(path.join('.'));
  if (derived === 'opaque') return null;
  if (derived !== undefined) {
    if (!values.every((v): v is string => typeof v === 'string')) return null;
    const needles = values.map((v) => {
      const esc = JSON.stringify(v).slice(1, -1);
      return derived.at === 'suffix' ? `${esc}"` : `"${esc}"`;
    });
    return textCheck(needles, ci || derived.lowered, path.join('.'));
  }
  const key = path[path.length - 1]!;
  if (JSON.stringify(key) !== `"${key}"`) return null; // a key the text would escape
  return { kind: 'value', key, values: ci ? values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v)) : values, ci, path: path.join('.') };
}

/**
 * One check meeting any of `alternatives` (null: no check), simplified so a line pays for each
 * distinct condition once: an alternative implied by a weaker one goes, and the conditions all
 * alternatives share are tested first, once (`a∧b∧c ∨ a∧b∧d` → `a∧b∧(c∨d)`).
 */
export function anyOf(alternatives: readonly (TextCheck | null)[]): TextCheck | null {
  if (alternatives.length === 0 || alternatives.some((a) => a === null)) return null;
  const sets = alternatives.map((a) => conjuncts(a!));
  const keys = sets.map((set) => new Set(set.map(keyOf)));
  const unique = new Set<string>();
  const kept: number[] = [];
  sets.forEach((_, i) => {
    const sig = [...keys[i]!].sort().join('\n');
    if (unique.has(sig)) return;
    // Drop an alternative that has every condition of another, weaker one.
    const implied = sets.some((_, j) => j !== i && keys[j]!.size < keys[i]!.size && [...keys[j]!].every((k) => keys[i]!.has(k)));
    if (implied) return;
    unique.add(sig);
    kept.push(i);
  });
  if (kept.length === 1) return allOf(sets[kept[0]!]!);
  const shared = sets[kept[0]!]!.filter((c) => kept.every((i) => keys[i]!.has(keyOf(c))));
  const sharedKeys = new Set(shared.map(keyOf));
  const rests = kept.map((i) => allOf(sets[i]!.filter((c) => !sharedKeys.has(keyOf(c))))!);
  return allOf([...shared, { kind: 'any', checks: rests }]);
}

function conjuncts(c: TextCheck): readonly TextCheck[] {
  return c.kind === 'all' ? c.checks : [c];
}

function allOf(checks: readonly TextCheck[]): TextCheck | null {
  if (checks.length === 0) return null;
  if (checks.length === 1) return checks[0]!;
  return { kind: 'all', checks: [...checks].sort((a, b) => cost(a) - cost(b)) };
}

function keyOf(c: TextCheck): string {
  return JSON.stringify(c, (k, v: unknown) => (k === 'folded' || k === 'read' ? undefined : v));
}

/** Does `line` (one JSON document) meet `check`? */
export function textMeets(check: TextCheck, line: string): boolean {
  switch (check.kind) {
    case 'value':
    case 'raw':
      return valueFound(line, check);
    case 'text':
      // Exactly as written first (the common case, and a fast search), then in any case.
      for (const n of check.needles) if (valueTextFound(line, n)) return true;
      if (check.folded) for (const r of check.folded) if (foldedValueFound(line, r)) return true;
      return false;
    case 'all':
      for (const c of check.checks) if (!textMeets(c, line)) return false;
      return true;
    case 'any':
      for (const c of check.checks) if (textMeets(c, line)) return true;
      return false;
  }
}

/**
 * Does `needle` (ending with a quote) end some string value of the text? An occurrence followed
 * by `:` ends a key (evtx_dump's `"System": {…}`), which no derived field is read from.
 */
function valueTextFound(line: string, needle: string): boolean {
  // Searched from its rarest character (see anchorOf): `notepad.exe"` from its `x`, not at every `n`.
  const a = anchorOf(needle);
  const at = a.at;
  const tail = a.tail;
  for (let t = line.indexOf(tail, at); t >= 0; t = line.indexOf(tail, t + 1)) {
    const i = t - at;
    if (at > 0 && !line.startsWith(a.head, i)) continue;
    if (!keyEndsAt(line, i + needle.length)) return true;
  }
  return false;
}

function foldedValueFound(line: string, r: RegExp): boolean {
  const g = r; // global: lastIndex walks the occurrences
  g.lastIndex = 0;
  for (let m = g.exec(line); m !== null; m = g.exec(line)) if (!keyEndsAt(line, m.index + m[0].length)) return true;
  return false;
}

/** Is the text at `end` (just past a closing quote) a key's colon? */
function keyEndsAt(line: string, end: number): boolean {
  if (line.charCodeAt(end - 1) !== QUOTE) return false;
  return line.charCodeAt(skipSpace(line, end)) === 58 /* : */;
}

function textCheck(needles: string[], ci: boolean, path: string): TextCheck {
  const escape = (n: string): string => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return ci ? { kind: 'text', needles, ci, folded: needles.map((n) => new RegExp(escape(n), 'gi')), path } : { kind: 'text', needles, ci, path };
}

function cost(c: TextCheck): number {
  return c.kind === 'value' ? 0 : c.kind === 'text' ? 2 : 1;
}

/**
 * The escapes a JSON writer may use for the text a check looks for, so that the caller parses
 * lines holding them: `\u` where some writer escapes a character as \uXXXX (non-ASCII: Python;
 * `<>&`: Go; control characters), `\/` where one escapes a slash (PHP). Writers never escape
 * other printable ASCII, so checks on plain keys and values need neither.
 */
export function escapesFor(checks: readonly TextCheck[]): string[] {
  const texts: string[] = [];
  const walk = (c: TextCheck): void => {
    if (c.kind === 'value' || c.kind === 'raw') for (const v of c.values) texts.push(typeof v === 'string' ? v : '');
    else if (c.kind === 'text') texts.push(...c.needles);
    else c.checks.forEach(walk);
  };
  checks.forEach(walk);
  const out: string[] = [];
  if (texts.some((t) => /[^\x20-\x7e]|[<>&]/.test(t))) out.push('\\u');
  if (texts.some((t) => t.includes('/'))) out.push('\\/');
  return out;
}

const QUOTE = 34;
const DOT = 46;

type KeyCheck = Extract<TextCheck, { kind: 'value' | 'raw' }>;

/** `key"` per key: one string per key, whose hash anchorOf's cache does not compute again per line. */
const keyNeedles = new Map<string, string>();

function valueFound(line: string, c: KeyCheck): boolean {
  let needle = keyNeedles.get(c.key);
  if (needle === undefined) keyNeedles.set(c.key, (needle = `${c.key}"`));
  for (let j = valueAfterKey(line, needle, 0); j >= 0; j = valueAfterKey(line, needle, j)) if (valueMeets(line, j, c)) return true;
  return false;
}

/**
 * Where the value of the next `"key": …` at or after `from` starts (a dotted `"a.key"` counts
 * too), or -1. `needle` is the key followed by its closing quote (`key"`); pass the result back
 * as `from` to find the next one.
 */
export function valueAfterKey(text: string, needle: string, from: number): number {
  // Searched from its rarest character on (see anchorOf), the key's head compared after.
  const a = anchorOf(needle);
  const tail = a.tail;
  const at = a.at;
  for (let t = text.indexOf(tail, from + at); t >= 0; t = text.indexOf(tail, t + tail.length)) {
    const i = t - at;
    if (i <= 0 || (at > 0 && !text.startsWith(a.head, i))) continue;
    const before = text.charCodeAt(i - 1);
    if (before !== QUOTE && before !== DOT) continue; // the end of a longer key (`"subtype"`)
    const j = skipSpace(text, i + needle.length);
    if (text.charCodeAt(j) !== 58 /* : */) continue; // a string value, not a key
    return skipSpace(text, j + 1);
  }
  return -1;
}

function skipSpace(line: string, i: number): number {
  for (;;) {
    const ch = line.charCodeAt(i);
    if (ch !== 32 && ch !== 9 && ch !== 10 && ch !== 13) return i;
    i++;
  }
}

/** Does the JSON value at `i` meet the check? True too when it cannot be read here. */
function valueMeets(line: string, i: number, c: KeyCheck): boolean {
  const ch = line.charCodeAt(i);
  if (c.kind === 'raw' && ch !== 91 /* [ */) return rawMeets(line, i, c);
  if (ch === QUOTE) {
    const close = line.indexOf('"', i + 1);
    if (close < 0) return true;
    let s = line.slice(i + 1, close);
    if (s.includes('\\')) return true;
    if (c.ci) s = s.toLowerCase();
    for (const v of c.values) if (typeof v !== 'string' || v === s) return true;
    return false;
  }
  if (ch === 91 /* [ */) {
    let j = skipSpace(line, i + 1);
    if (line.charCodeAt(j) === 93 /* ] */) return false;
    for (;;) {
      const e = line.charCodeAt(j);
      if (e !== QUOTE && e !== 45 && !(e >= 48 && e <= 57) && e !== 116 && e !== 102 && e !== 110) return true;
      if (valueMeets(line, j, c)) return true;
      j = skipSpace(line, valueEnd(line, j));
      const sep = line.charCodeAt(j);
      if (sep === 93) return false;
      if (sep !== 44 /* , */) return true;
      j = skipSpace(line, j + 1);
    }
  }
  if (ch === 45 /* - */ || (ch >= 48 && ch <= 57)) {
    const end = valueEnd(line, i);
    if (end - i >= 16) return true; // beyond exact doubles: leave it to the parser
    const n = Number(line.slice(i, end));
    if (Number.isNaN(n)) return true;
    for (const v of c.values) if (typeof v !== 'number' || v === n) return true;
    return false;
  }
  if (line.startsWith('true', i) || line.startsWith('false', i)) {
    const b = ch === 116;
    for (const v of c.values) if (typeof v !== 'boolean' || v === b) return true;
    return false;
  }
  if (line.startsWith('null', i)) return false;
  return true; // an object, or not JSON we read
}

/** A raw scalar read through the mapping's `read` meets the check; true when it cannot be read here. */
function rawMeets(line: string, i: number, c: Extract<TextCheck, { kind: 'raw' }>): boolean {
  const ch = line.charCodeAt(i);
  let raw: unknown;
  if (ch === QUOTE) {
    const close = line.indexOf('"', i + 1);
    if (close < 0) return true;
    raw = line.slice(i + 1, close);
    if ((raw as string).includes('\\')) return true;
  } else if (ch === 45 || (ch >= 48 && ch <= 57)) {
    const end = valueEnd(line, i);
    if (end - i >= 16) return true;
    raw = Number(line.slice(i, end));
    if (Number.isNaN(raw)) return true;
  } else if (line.startsWith('true', i)) raw = true;
  else if (line.startsWith('false', i)) raw = false;
  else if (line.startsWith('null', i)) return false;
  else return true; // an object: not read here
  let v: unknown;
  try {
    v = c.read(raw);
  } catch {
    return true;
  }
  const vs = Array.isArray(v) ? v : [v];
  for (let x of vs) {
    if (x === undefined || x === null) continue;
    if (typeof x === 'string' && c.ci) x = x.toLowerCase();
    for (const want of c.values) if (typeof want !== typeof x || want === x) return true;
  }
  return false;
}

/** Where the scalar starting at `i` ends (a string through its closing quote). */
function valueEnd(line: string, i: number): number {
  if (line.charCodeAt(i) === QUOTE) {
    const close = line.indexOf('"', i + 1);
    return close < 0 ? line.length : close + 1;
  }
  let j = i;
  for (;;) {
    const ch = line.charCodeAt(j);
    if (ch === 44 || ch === 93 || ch === 125 || ch === 32 || ch === 9 || ch === 10 || ch === 13 || Number.isNaN(ch)) return j;
    j++;
  }
}

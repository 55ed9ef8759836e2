/**
 * One Sigma detection item (`Field|mod1|mod2: value(s)`) → IR expression.
 *
 * Values flow through the modifiers left to right; each modifier maps one value to one or more
 * values (windash, base64offset and expand multiply them). Flags (all, cased, neq, re's i/m/s)
 * only change how the final values are combined.
 */
import type { CompareOp, Expr, Literal, Pattern } from '../ir/types.js';
import { parseFieldPath } from '../events/field.js';
import { didYouMean } from '../eql/index.js';
import { checkRegex } from '../ir/regex.js';
import {
  base64OffsetVariants,
  literalPattern,
  parseSigmaString,
  plainText,
  utf16be,
  utf16le,
  utf16WithBom,
  windashVariants,
  withLeadingStar,
  withTrailingStar,
} from './strings.js';

/** A rule feature spoor cannot evaluate (reported as `unsupported`) or an invalid rule (`error`). */
export class SigmaRuleError extends Error {
  constructor(
    message: string,
    readonly severity: 'unsupported' | 'error',
  ) {
    super(message);
  }
}

const unsupported = (msg: string): SigmaRuleError => new SigmaRuleError(msg, 'unsupported');
const invalid = (msg: string): SigmaRuleError => new SigmaRuleError(msg, 'error');

/** A value while modifiers are being applied. Strings stay raw until a modifier needs the pattern. */
type Value =
  | { k: 'raw'; text: string } // YAML string not yet parsed for wildcards
  | { k: 'pattern'; p: Pattern }
  | { k: 'bytes'; b: Buffer }
  | { k: 'number'; n: number }
  | { k: 'bool'; b: boolean }
  | { k: 'null' }
  | { k: 're'; source: string }
  | { k: 'cidr'; cidr: string }
  | { k: 'cmp'; op: CompareOp; n: number }
  | { k: 'fieldref'; field: string }
  | { k: 'exists'; exists: boolean }
  | { k: 'timepart'; part: TimePart; value: Value };

/** The modifiers of the Sigma specification (v2), all handled by `compileItem`; for "did you mean". */
const SIGMA_MODIFIERS = [
  'all', 'cased', 'neq', 'i', 'm', 's', 're', 'contains', 'startswith', 'endswith', 'windash', 'base64', 'base64offset',
  'utf16le', 'wide', 'utf16be', 'utf16', 'lt', 'lte', 'gt', 'gte', 'cidr', 'expand', 'fieldref', 'exists',
  'minute', 'hour', 'day', 'week', 'month', 'year',
] as const;

type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
const TIME_PARTS = new Set<string>(['minute', 'hour', 'day', 'week', 'month', 'year']);

export interface ItemContext {
  placeholders?: Record<string, string[]>;
  /** Renames applied to field names (logsource field mappings, e.g. Image → NewProcessName). */
  rename?: Record<string, string>;
}

export function fieldExpr(name: string, ctx: ItemContext): Expr {
  const mapped = ctx.rename?.[name] ?? name;
  return { kind: 'field', path: parseFieldPath(mapped) };
}

/** Compile `key: value` of a detection map (key = field name plus modifiers; '' = keyword). */
export function compileItem(key: string, rawValue: unknown, ctx: ItemContext): Expr {
  const [fieldName = '', ...mods] = key.split('|');
  const values = Array.isArray(rawValue) ? rawValue : [rawValue];
  if (values.length === 0) throw invalid(`'${key}' has an empty value list`);

  let all = false;
  let cased = false;
  let neq = false;
  let reFlags = '';
  let seenRe = false;
  let current: Value[] = values.map((v) => {
    const value = toValue(v);
    if (!value) throw invalid(`'${key}' has a value that is neither a scalar nor null`);
    return value;
  });

  for (const mod of mods) {
    switch (mod) {
      case 'all':
        all = true;
        break;
      case 'cased':
        cased = true;
        break;
      case 'neq':
        neq = true;
        break;
      case 'i':
      case 'm':
      case 's':
        if (!seenRe) throw invalid(`modifier '${mod}' is only valid after 're'`);
        reFlags += mod;
        break;
      case 're':
        seenRe = true;
        current = current.map((v) => toRegex(v));
        break;
      case 'contains':
      case 'startswith':
      case 'endswith':
        current = current.map((v) => anchor(v, mod));
        break;
      case 'windash':
        current = current.flatMap((v) => windash(v));
        break;
      case 'base64':
        current = current.map((v) => ({ k: 'pattern', p: literalPattern(bytesOf(v, mod).toString('base64')) }));
        break;
      case 'base64offset':
        current = current.flatMap((v) =>
          base64OffsetVariants(bytesOf(v, mod)).map((s): Value => ({ k: 'pattern', p: literalPattern(s) })),
        );
        break;
      case 'utf16le':
      case 'wide':
        current = current.map((v) => ({ k: 'bytes', b: utf16le(stringOf(v, mod)) }));
        break;
      case 'utf16be':
        current = current.map((v) => ({ k: 'bytes', b: utf16be(stringOf(v, mod)) }));
        break;
      case 'utf16':
        current = current.map((v) => ({ k: 'bytes', b: utf16WithBom(stringOf(v, mod)) }));
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        current = current.map((v) => compareValue(v, mod));
        break;
      case 'cidr':
        current = current.map((v) => ({ k: 'cidr', cidr: checkCidr(stringOf(v, mod)) }));
        break;
      case 'expand':
        current = current.flatMap((v) => expand(v, ctx));
        break;
      case 'fieldref':
        current = current.map((v) => ({ k: 'fieldref', field: stringOf(v, mod) }));
        break;
      case 'exists':
        current = current.map((v): Value => {
          if (v.k === 'bool') return { k: 'exists', exists: v.b };
          if (v.k === 'raw' && /^(true|false)$/i.test(v.text)) return { k: 'exists', exists: /^true$/i.test(v.text) };
          throw invalid(`'exists' needs true or false`);
        });
        break;
      default:
        if (TIME_PARTS.has(mod)) {
          current = current.map((v): Value => ({ k: 'timepart', part: mod as TimePart, value: v }));
          break;
        }
        // Every modifier of the Sigma specification is handled above: anything else is a typo or
        // invented, so the rule is invalid (an error with the closest name), not "unsupported".
        throw invalid(`unknown modifier '${mod}' in '${key}'${didYouMean(mod, SIGMA_MODIFIERS)}`);
    }
  }

  if (fieldName === '') return keywordExpr(current, all, cased, key);
  const field = fieldExpr(fieldName, ctx);
  const exprs = current.map((v) => valueExpr(field, v, cased, reFlags, ctx, key));
  if (neq) {
    // `neq`: the field is present and equals none of the values.
    return and([{ kind: 'compare', op: '!=', left: field, right: lit(null), caseInsensitive: false }, not(or(exprs))]);
  }
  return all ? and(exprs) : mergeOr(exprs);
}

function toValue(v: unknown): Value | null {
  if (v === null || v === undefined) return { k: 'null' };
  if (typeof v === 'string') return { k: 'raw', text: v };
  if (typeof v === 'number') return { k: 'number', n: v };
  if (typeof v === 'bigint') return { k: 'number', n: Number(v) };
  if (typeof v === 'boolean') return { k: 'bool', b: v };
  return null;
}

function patternOf(v: Value, mod: string): Pattern {
  switch (v.k) {
    case 'raw':
      return parseSigmaString(v.text);
    case 'pattern':
      return v.p;
    case 'number':
      return literalPattern(String(v.n));
    case 'bool':
      return literalPattern(String(v.b));
    default:
      throw invalid(`modifier '${mod}' needs a string value`);
  }
}

/** Plain text of a value (no wildcards allowed; escapes resolved). */
function stringOf(v: Value, mod: string): string {
  if (v.k === 'raw') {
    const p = plainText(parseSigmaString(v.text));
    if (p !== null) return p;
    throw invalid(`modifier '${mod}' cannot be applied to a value with wildcards`);
  }
  const text = plainText(patternOf(v, mod));
  if (text === null) throw invalid(`modifier '${mod}' cannot be applied to a value with wildcards`);
  return text;
}

function bytesOf(v: Value, mod: string): Buffer {
  if (v.k === 'bytes') return v.b;
  return Buffer.from(stringOf(v, mod), 'utf8');
}

function anchor(v: Value, mod: 'contains' | 'startswith' | 'endswith'): Value {
  if (v.k === 're' || v.k === 'fieldref') throw unsupported(`'${mod}' combined with '${v.k}'`);
  const p = patternOf(v, mod);
  if (mod === 'contains') return { k: 'pattern', p: withTrailingStar(withLeadingStar(p)) };
  if (mod === 'startswith') return { k: 'pattern', p: withTrailingStar(p) };
  return { k: 'pattern', p: withLeadingStar(p) };
}

function windash(v: Value): Value[] {
  const variants = windashVariants(patternOf(v, 'windash'));
  if (variants === null) throw unsupported(`'windash' would produce too many variants`);
  return variants.map((p) => ({ k: 'pattern', p }));
}

function toRegex(v: Value): Value {
  if (v.k !== 'raw') throw invalid(`'re' needs a string value`);
  return { k: 're', source: v.text };
}

function compareValue(v: Value, mod: 'lt' | 'lte' | 'gt' | 'gte'): Value {
  if (v.k === 'timepart') return { ...v, value: compareValue(v.value, mod) };
  const n = v.k === 'number' ? v.n : v.k === 'raw' && v.text.trim() !== '' ? Number(v.text) : NaN;
  if (!Number.isFinite(n)) throw invalid(`'${mod}' needs a number`);
  const op: CompareOp = mod === 'lt' ? '<' : mod === 'lte' ? '<=' : mod === 'gt' ? '>' : '>=';
  return { k: 'cmp', op, n };
}

function expand(v: Value, ctx: ItemContext): Value[] {
  if (v.k !== 'raw') throw invalid(`'expand' needs a string value`);
  const names = [...v.text.matchAll(/%([^%\s]+)%/g)].map((m) => m[1]!);
  if (names.length === 0) return [v];
  let texts = [v.text];
  for (const name of new Set(names)) {
    const repl = ctx.placeholders?.[name];
    if (!repl || repl.length === 0) {
      throw unsupported(`placeholder %${name}% has no values (give them with the placeholders option)`);
    }
    texts = texts.flatMap((t) => repl.map((r) => t.split(`%${name}%`).join(r)));
  }
  return texts.map((text) => ({ k: 'raw', text }));
}

const CIDR_V4 = /^(\d{1,3})(\.\d{1,3}){3}\/(\d{1,2})$/;
function checkCidr(text: string): string {
  let t = text.trim();
  // A bare address is a one-address network, as Python's ipaddress reads it.
  if (!t.includes('/')) t += t.includes(':') ? '/128' : '/32';
  const slash = t.lastIndexOf('/');
  if (CIDR_V4.test(t)) {
    const parts = t.slice(0, slash).split('.').map(Number);
    const bits = Number(t.slice(slash + 1));
    if (parts.every((x) => x <= 255) && bits <= 32) return t;
  } else if (slash > 0 && t.includes(':')) {
    const bits = Number(t.slice(slash + 1));
    if (Number.isInteger(bits) && bits >= 0 && bits <= 128 && /^[0-9a-fA-F:.]+$/.test(t.slice(0, slash))) return t;
  }
  throw invalid(`'${text}' is not a valid CIDR network`);
}

const lit = (value: Literal): Expr => ({ kind: 'literal', value });
const asNumber = (e: Expr): Expr => ({ kind: 'call', name: 'number', args: [e], caseInsensitive: false });
const not = (expr: Expr): Expr => ({ kind: 'not', expr });

export function and(exprs: Expr[]): Expr {
  const flat = exprs.flatMap((e) => (e.kind === 'and' ? e.exprs : [e]));
  return flat.length === 1 ? flat[0]! : { kind: 'and', exprs: flat };
}

export function or(exprs: Expr[]): Expr {
  const flat = exprs.flatMap((e) => (e.kind === 'or' ? e.exprs : [e]));
  return flat.length === 1 ? flat[0]! : { kind: 'or', exprs: flat };
}

/** OR of expressions, with wildcard tests on the same field and case mode merged into one. */
function mergeOr(exprs: Expr[]): Expr {
  const out: Expr[] = [];
  for (const e of exprs) {
    // `Ip|cidr: [a, b, …]`: one test over every network (the same answer as an OR of one test
    // per network, missing field included), one address parse and one presence guard per event
    // instead of one each per network (SigmaHQ's private-range filters list 8 networks).
    if (e.kind === 'cidr') {
      const same = out.find((x): x is Extract<Expr, { kind: 'cidr' }> => x.kind === 'cidr' && JSON.stringify(x.expr) === JSON.stringify(e.expr));
      if (same) same.cidrs.push(...e.cidrs);
      else out.push({ ...e, cidrs: [...e.cidrs] });
      continue;
    }
    const prev = out.find(
      (x): x is Extract<Expr, { kind: 'wildcard' }> =>
        x.kind === 'wildcard' &&
        e.kind === 'wildcard' &&
        x.caseInsensitive === e.caseInsensitive &&
        JSON.stringify(x.expr) === JSON.stringify(e.expr),
    );
    if (prev && e.kind === 'wildcard') prev.patterns.push(...e.patterns);
    else out.push(e.kind === 'wildcard' ? { ...e, patterns: [...e.patterns] } : e);
  }
  return or(out);
}

/**
 * A number or boolean matches the same value typed natively (EVTX binary XML) or as text (XML,
 * flat JSON): the engine's wildcard test compares the value's text.
 */
function scalarEquals(field: Expr, value: number | boolean): Expr {
  return { kind: 'wildcard', expr: field, patterns: [literalPattern(String(value))], caseInsensitive: true };
}

function valueExpr(field: Expr, v: Value, cased: boolean, reFlags: string, ctx: ItemContext, key: string): Expr {
  switch (v.k) {
    case 'raw':
    case 'pattern': {
      const p = patternOf(v, key);
      return { kind: 'wildcard', expr: field, patterns: guidSpellings(p) ?? [p], caseInsensitive: !cased };
    }
    case 'number':
    case 'bool':
      return scalarEquals(field, v.k === 'number' ? v.n : v.b);
    case 'null':
      return { kind: 'compare', op: '==', left: field, right: lit(null), caseInsensitive: false };
    case 'bytes':
      throw unsupported(`'${key}': UTF-16 values must be followed by base64 or base64offset`);
    case 're': {
      const re = translateRegex(v.source, reFlags);
      return { kind: 'regex', expr: field, patterns: [re.source], flags: re.flags };
    }
    case 'cidr':
      return { kind: 'cidr', expr: field, cidrs: [v.cidr] };
    case 'cmp':
      // number(): numeric text ("10", "0x10") compares as a number too, as XML and flat JSON give it.
      return { kind: 'compare', op: v.op, left: asNumber(field), right: lit(v.n), caseInsensitive: false };
    case 'fieldref':
      return { kind: 'compare', op: '==', left: field, right: fieldExpr(v.field, ctx), caseInsensitive: !cased };
    case 'exists':
      return { kind: 'compare', op: v.exists ? '!=' : '==', left: field, right: lit(null), caseInsensitive: false };
    case 'timepart':
      return timePartExpr(field, v.part, v.value);
  }
}

const GUID_VALUE = /^(\{)?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})(\})?$/;

/**
 * A whole value that is a GUID matches it in both spellings: Windows XML and Winlogbeat write
 * `{0CCE9210-…}`, evtx_dump (and so spoor's EVTX and XML readers) `0CCE9210-…` without braces,
 * and rules use either. Case follows the test's own mode (case-insensitive unless `cased`).
 * Only exact values: a GUID inside a `contains`/wildcard pattern (a command line) is left as written.
 */
function guidSpellings(p: Pattern): Pattern[] | null {
  const text = plainText(p);
  const m = text === null ? null : GUID_VALUE.exec(text);
  if (!m || (m[1] === undefined) !== (m[3] === undefined)) return null;
  return [literalPattern(`{${m[2]}}`), literalPattern(m[2]!)];
}

/**
 * Python regex → JS RegExp: a leading inline-flag group `(?i)` becomes a flag, `(?P<n>` becomes
 * `(?<n>`, `(?P=n)` becomes `\k<n>`, `\A` and `\Z` become `^` and `$`. Anything JS rejects makes the rule unsupported (reported).
 */
export function translateRegex(source: string, subFlags: string): { source: string; flags: string } {
  let src = source;
  const flags = new Set(subFlags.split('').filter(Boolean));
  const inline = /^\(\?([imsx]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]!) flags.add(f);
    src = src.slice(inline[0].length);
  }
  if (flags.has('x')) throw unsupported(`regex verbose flag (?x) is not supported`);
  src = src
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1^')
    .replace(/(^|[^\\])\\Z/g, '$1$');
  const flagText = [...flags].sort().join('');
  try {
    new RegExp(src, flagText);
  } catch (e) {
    throw unsupported(`regex /${source}/ is not valid in JavaScript: ${(e as Error).message}`);
  }
  // Refused here, at load, what could not run in linear time (see ir/regex.ts, docs/sigma.md).
  const refused = checkRegex(src, flagText);
  if (refused !== undefined) throw unsupported(`regex /${source}/ refused: ${refused}`);
  return { source: src, flags: flagText };
}

/**
 * Time modifiers on a date field (`UtcTime|hour: 3`): the date text's component is matched by a
 * regex that enumerates the accepted numbers. `week` (ISO 8601 week number) is not expressible
 * that way: it compares the engine's internal `$isoWeek` of the date text.
 */
function timePartExpr(field: Expr, part: TimePart, value: Value): Expr {
  const ranges: Record<TimePart, [number, number]> = {
    minute: [0, 59],
    hour: [0, 23],
    day: [1, 31],
    week: [1, 53],
    month: [1, 12],
    year: [1601, 2200],
  };
  if (part === 'week') {
    const week: Expr = { kind: 'call', name: '$isoWeek', args: [field], caseInsensitive: false };
    const num = value.k === 'number' ? value.n : value.k === 'raw' && /^\d+$/.test(value.text) ? Number(value.text) : null;
    if (num !== null) return { kind: 'compare', op: '==', left: week, right: lit(num), caseInsensitive: false };
    if (value.k === 'cmp') return { kind: 'compare', op: value.op, left: week, right: lit(value.n), caseInsensitive: false };
    throw invalid(`time modifier 'week' needs a number`);
  }
  const [lo, hi] = ranges[part];
  let accept: (n: number) => boolean;
  if (value.k === 'number') accept = (n) => n === value.n;
  else if (value.k === 'raw' && /^\d+$/.test(value.text)) accept = (n) => n === Number(value.text);
  else if (value.k === 'cmp') {
    const c = value;
    accept = (n) => (c.op === '<' ? n < c.n : c.op === '<=' ? n <= c.n : c.op === '>' ? n > c.n : n >= c.n);
  } else throw invalid(`time modifier '${part}' needs a number`);
  const width = part === 'year' ? 4 : 2;
  const nums: string[] = [];
  for (let n = lo; n <= hi; n++) if (accept(n)) nums.push(String(n).padStart(width, '0'));
  if (nums.length === 0) return lit(false);
  const alt = `(?:${nums.join('|')})`;
  const prefix: Record<Exclude<TimePart, 'week'>, string> = {
    year: `^${alt}-`,
    month: `^\\d{4}-${alt}-`,
    day: `^\\d{4}-\\d{2}-${alt}`,
    hour: `^\\d{4}-\\d{2}-\\d{2}[T ]${alt}:`,
    minute: `^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:${alt}`,
  };
  return { kind: 'regex', expr: field, patterns: [prefix[part]], flags: '' };
}

function keywordExpr(values: Value[], all: boolean, cased: boolean, key: string): Expr {
  const patterns: Pattern[] = values.map((v) => {
    if (v.k === 'raw' || v.k === 'pattern' || v.k === 'number' || v.k === 'bool') {
      // Keyword search finds the value anywhere in a field's text, as full-text backends do.
      return withTrailingStar(withLeadingStar(patternOf(v, key)));
    }
    throw unsupported(`keyword search with a ${v.k} value`);
  });
  if (all) return and(patterns.map((p) => ({ kind: 'keyword', patterns: [p], caseInsensitive: !cased })));
  return { kind: 'keyword', patterns, caseInsensitive: !cased };
}

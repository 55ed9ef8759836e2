/**
 * Rule regular expressions → a small syntax tree that both safe back ends run from
 * (`regex.ts`: V8's own engine guarded by its linear-time fallback, `regex-pike.ts`: our
 * linear-time matcher). It reads JavaScript regex syntax without the `u` flag (UTF-16 code
 * units, Annex B leniency: a `{` that is no quantifier and `]`, `}` are literals) and refuses,
 * with a reason, Unicode property escapes (`\p{…}` needs the `u` flag, whose syntax we do not
 * read) and huge counted repetitions. Backreferences and lookaround parse to nodes that only a
 * backtracking engine runs; `regex.ts` allows them only where `backtrackBound` is small.
 *
 * Every character test is a set of UTF-16 code-unit ranges; case-insensitivity (`i`) is applied
 * here, once, by widening each set to the characters JavaScript's `i` flag (without `u`) makes
 * equal (ECMAScript Canonicalize: upper-case mapping that is one code unit and does not map
 * a non-ASCII character into ASCII), so the back ends never see the `i` flag.
 */
import { UnsupportedRegexError } from './errors.js';

/** Sorted, non-overlapping, non-adjacent inclusive code-unit ranges: [lo0, hi0, lo1, hi1, …]. */
export type CharRanges = readonly number[];

export type RegexNode =
  | { t: 'empty' }
  | { t: 'set'; ranges: CharRanges }
  | { t: 'seq'; items: RegexNode[] }
  | { t: 'alt'; alts: RegexNode[] }
  | { t: 'rep'; body: RegexNode; min: number; max: number }
  | { t: 'assert'; kind: 'start' | 'end' | 'word' | 'notword' }
  /** Backreferences and lookaround: only V8's backtracking engine runs them (see `backtrackBound`). */
  | { t: 'backref' }
  | { t: 'look'; body: RegexNode };

export interface RegexFlags {
  ignoreCase: boolean;
  dotAll: boolean;
  multiline: boolean;
}

/** Above this, a counted repetition (`{n,m}`) is refused: it would be unrolled into the matcher. */
export const MAX_REPEAT_COUNT = 1000;

const MAX_UNIT = 0xffff;
const LINE_TERMINATORS: CharRanges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];
const DIGIT: CharRanges = [0x30, 0x39];
const WORD: CharRanges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE: CharRanges = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f,
  0x3000, 0x3000, 0xfeff, 0xfeff,
];

/** Union of range lists (normalised: sorted, merged). */
export function unionRanges(...lists: CharRanges[]): number[] {
  const pairs: [number, number][] = [];
  for (const l of lists) for (let i = 0; i < l.length; i += 2) pairs.push([l[i]!, l[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

export function complementRanges(r: CharRanges): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i]! > next) out.push(next, r[i]! - 1);
    next = r[i + 1]! + 1;
  }
  if (next <= MAX_UNIT) out.push(next, MAX_UNIT);
  return out;
}

let canonTable: Uint16Array | undefined;
/** Code units sharing a canonical value with another one: canonical value → all of them. */
let caseGroups: Map<number, number[]> | undefined;

/** ECMAScript Canonicalize(ch) for a non-unicode, ignoreCase RegExp, for every code unit. */
function canon(): Uint16Array {
  if (canonTable) return canonTable;
  const t = new Uint16Array(MAX_UNIT + 1);
  const groups = new Map<number, number[]>();
  for (let c = 0; c <= MAX_UNIT; c++) {
    const u = String.fromCharCode(c).toUpperCase();
    t[c] = u.length !== 1 || (c >= 128 && u.charCodeAt(0) < 128) ? c : u.charCodeAt(0);
    if (t[c] !== c) {
      const g = groups.get(t[c]!);
      if (g) g.push(c);
      else groups.set(t[c]!, [t[c]!, c]);
    }
  }
  canonTable = t;
  caseGroups = groups;
  return t;
}

/** Every code unit that JavaScript's `i` flag makes equal to some member of `r`. */
export function foldRanges(r: CharRanges): number[] {
  const t = canon();
  let size = 0;
  for (let i = 0; i < r.length; i += 2) size += r[i + 1]! - r[i]! + 1;
  if (size <= 256) {
    // Small sets (literals, short classes): add each member's case group.
    const extra: number[] = [];
    for (let i = 0; i < r.length; i += 2) {
      for (let c = r[i]!; c <= r[i + 1]!; c++) for (const m of caseGroups!.get(t[c]!) ?? []) extra.push(m, m);
    }
    return unionRanges(r, extra);
  }
  const seen = new Uint8Array(MAX_UNIT + 1);
  for (let i = 0; i < r.length; i += 2) for (let c = r[i]!; c <= r[i + 1]!; c++) seen[t[c]!] = 1;
  const out: number[] = [];
  for (let c = 0; c <= MAX_UNIT; c++) {
    if (!seen[t[c]!]) continue;
    const n = out.length;
    if (n > 0 && out[n - 1] === c - 1) out[n - 1] = c;
    else out.push(c, c);
  }
  return out;
}

function refuse(source: string, reason: string): never {
  throw new UnsupportedRegexError(`regex /${source}/: ${reason}`, reason);
}

/** Parse `source` (JavaScript syntax, no `u` flag) with `flags`; throws UnsupportedRegexError. */
export function parseRegex(source: string, flags: RegexFlags): RegexNode {
  let pos = 0;
  const fail = (reason: string): never => refuse(source, reason);
  const peek = (): string | undefined => source[pos];
  const setNode = (ranges: CharRanges): RegexNode => ({ t: 'set', ranges: flags.ignoreCase ? foldRanges(ranges) : ranges });
  const unit = (c: number): CharRanges => [c, c];

  function disjunction(): RegexNode {
    const alts = [sequence()];
    while (peek() === '|') {
      pos++;
      alts.push(sequence());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  function sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (pos < source.length && peek() !== '|' && peek() !== ')') {
      const atom = term();
      if (atom) items.push(quantified(atom));
    }
    return items.length === 0 ? { t: 'empty' } : items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  /** A quantifier after `atom`, if any (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy). */
  function quantified(atom: RegexNode): RegexNode {
    let min: number;
    let max: number;
    const c = peek();
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(source.slice(pos));
      if (!m) return atom; // Annex B: a literal `{`, read by the next term
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) fail(`numbers out of order in {${m[1]},${m[3]}} quantifier`);
      if (min > MAX_REPEAT_COUNT || (max !== Infinity && max > MAX_REPEAT_COUNT)) {
        fail(`counted repetition ${m[0]} is larger than ${MAX_REPEAT_COUNT}`);
      }
      pos += m[0].length - 1;
    } else return atom;
    pos++;
    if (peek() === '?') pos++; // lazy: the same set of matching strings
    if (atom.t === 'assert' || atom.t === 'look') fail('a quantifier cannot follow an assertion');
    return { t: 'rep', body: atom, min, max };
  }

  function term(): RegexNode | undefined {
    const c = source[pos++]!;
    switch (c) {
      case '^':
        return { t: 'assert', kind: 'start' };
      case '$':
        return { t: 'assert', kind: 'end' };
      case '.':
        return { t: 'set', ranges: flags.dotAll ? [0, MAX_UNIT] : complementRanges(LINE_TERMINATORS) };
      case '(':
        return group();
      case '[': {
        const { ranges, negated } = charClass();
        // Negation applies after case folding: [^a] with `i` excludes `A` too.
        const folded = flags.ignoreCase ? foldRanges(ranges) : ranges;
        return { t: 'set', ranges: negated ? complementRanges(folded) : folded };
      }
      case '\\':
        return atomEscape();
      case '*':
      case '+':
      case '?':
        return fail(`nothing to repeat at offset ${pos - 1}`);
      case '{':
        if (/^\d+(,\d*)?\}/.test(source.slice(pos))) fail(`nothing to repeat at offset ${pos - 1}`);
        return setNode(unit(0x7b));
      default:
        return setNode(unit(c.charCodeAt(0)));
    }
  }

  function group(): RegexNode {
    if (peek() === '?') {
      const head = source.slice(pos, pos + 3);
      if (head.startsWith('?:')) pos += 2;
      else if (head.startsWith('?=') || head.startsWith('?!') || head === '?<=' || head === '?<!') {
        pos += head.startsWith('?<') ? 3 : 2;
        const body = disjunction();
        if (source[pos] !== ')') fail(`unterminated group`);
        pos++;
        return { t: 'look', body };
      } else if (head.startsWith('?<')) {
        const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(source.slice(pos));
        if (!m) fail(`invalid group name at offset ${pos}`);
        pos += m![0].length;
      } else fail(`invalid group (${head}…) at offset ${pos - 1}`);
    }
    const body = disjunction();
    if (source[pos] !== ')') fail(`unterminated group`);
    pos++;
    return body;
  }

  function atomEscape(): RegexNode {
    const c = source[pos];
    if (c === undefined) return fail('\\ at end of pattern');
    if (c === 'b' || c === 'B') {
      pos++;
      return { t: 'assert', kind: c === 'b' ? 'word' : 'notword' };
    }
    if (/[1-9]/.test(c)) {
      while (/[0-9]/.test(peek() ?? '')) pos++;
      return { t: 'backref' };
    }
    if (c === 'k' && source[pos + 1] === '<') {
      pos = source.indexOf('>', pos) + 1;
      if (pos === 0) fail('invalid named reference');
      return { t: 'backref' };
    }
    return setNode(classEscape());
  }

  /** An escape valid in and out of classes (after the `\`): a class shorthand or one code unit. */
  function classEscape(): CharRanges {
    const c = source[pos++]!;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complementRanges(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complementRanges(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complementRanges(SPACE);
      case 't':
        return unit(9);
      case 'n':
        return unit(10);
      case 'v':
        return unit(11);
      case 'f':
        return unit(12);
      case 'r':
        return unit(13);
      case 'p':
      case 'P':
        if (peek() === '{') fail(`Unicode property escape \\${c}{…} is not supported (it needs the 'u' flag)`);
        return unit(c.charCodeAt(0));
      case 'c': {
        const l = peek();
        if (l !== undefined && /[A-Za-z]/.test(l)) {
          pos++;
          return unit(l.charCodeAt(0) % 32);
        }
        pos--; // Annex B: `\c` not followed by a letter is a literal backslash, then `c`
        return unit(0x5c);
      }
      case 'x':
      case 'u': {
        const len = c === 'x' ? 2 : 4;
        const hex = source.slice(pos, pos + len);
        if (hex.length === len && /^[0-9A-Fa-f]+$/.test(hex)) {
          pos += len;
          return unit(parseInt(hex, 16));
        }
        if (c === 'u' && peek() === '{') fail(`\\u{…} escapes need the 'u' flag, which is not supported; write \\uXXXX`);
        return unit(c.charCodeAt(0));
      }
      case '0':
        if (/[0-7]/.test(peek() ?? '')) return octal(0);
        return unit(0);
      default:
        if (/[1-7]/.test(c)) return octal(c.charCodeAt(0) - 0x30); // only reached inside a class
        return unit(c.charCodeAt(0)); // identity escape
    }
  }

  /** Annex B legacy octal escape (inside classes, or `\0NN`). */
  function octal(first: number): CharRanges {
    let v = first;
    for (let i = 0; i < 2 && /[0-7]/.test(peek() ?? '') && v * 8 + Number(peek()) <= 0xff; i++) v = v * 8 + Number(source[pos++]);
    return unit(v);
  }

  /** After `[`: the class's ranges (before negation and case folding). */
  function charClass(): { ranges: CharRanges; negated: boolean } {
    let negated = false;
    if (peek() === '^') {
      negated = true;
      pos++;
    }
    const parts: CharRanges[] = [];
    const classAtom = (): { ranges: CharRanges; single?: number } => {
      const c = source[pos++];
      if (c === undefined) return fail('unterminated character class');
      if (c !== '\\') return { ranges: unit(c.charCodeAt(0)), single: c.charCodeAt(0) };
      if (peek() === 'b') {
        pos++;
        return { ranges: unit(8), single: 8 };
      }
      if (peek() === '-') {
        pos++;
        return { ranges: unit(0x2d), single: 0x2d };
      }
      const r = classEscape();
      return r.length === 2 && r[0] === r[1] ? { ranges: r, single: r[0]! } : { ranges: r };
    };
    while (peek() !== ']') {
      if (pos >= source.length) fail('unterminated character class');
      const a = classAtom();
      if (peek() === '-' && source[pos + 1] !== ']' && pos + 1 < source.length) {
        pos++;
        const b = classAtom();
        if (a.single === undefined || b.single === undefined) {
          // Annex B: a class shorthand on either side makes `-` a literal.
          parts.push(a.ranges, unit(0x2d), b.ranges);
        } else {
          if (b.single < a.single) fail('range out of order in character class');
          parts.push([a.single, b.single]);
        }
      } else parts.push(a.ranges);
    }
    pos++;
    return { ranges: unionRanges(...parts), negated };
  }

  const tree = disjunction();
  if (pos < source.length) fail(`unmatched ')' at offset ${pos}`);
  return tree;
}

/**
 * An upper bound on the number of paths a backtracking engine may try from one start position
 * (Infinity when a quantifier is unbounded). A pattern with a small bound backtracks a bounded
 * amount per position, so even V8's backtracking engine runs it in linear time.
 */
export function backtrackBound(n: RegexNode): number {
  switch (n.t) {
    case 'empty':
    case 'set':
    case 'assert':
    case 'backref':
      return 1;
    case 'look':
      return backtrackBound(n.body);
    case 'seq':
      return n.items.reduce((acc, it) => acc * backtrackBound(it), 1);
    case 'alt':
      return n.alts.reduce((acc, it) => acc + backtrackBound(it), 0);
    case 'rep':
      return n.max === Infinity ? Infinity : (n.max - n.min + 1) * backtrackBound(n.body) ** n.max;
  }
}

/** True when the tree holds a backreference or lookaround (nodes only a backtracking engine runs). */
export function needsBacktracking(n: RegexNode): boolean {
  switch (n.t) {
    case 'backref':
    case 'look':
      return true;
    case 'seq':
      return n.items.some(needsBacktracking);
    case 'alt':
      return n.alts.some(needsBacktracking);
    case 'rep':
      return needsBacktracking(n.body);
    default:
      return false;
  }
}

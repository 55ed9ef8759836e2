/**
 * Wildcard patterns compiled to the cheapest string test: equality, startsWith, endsWith,
 * includes, prefix+suffix, or a RegExp for everything else. Case-insensitive patterns are
 * lower-cased once here; the caller lower-cases the subject once per evaluation.
 */
import type { Pattern } from '../ir/types.js';

export type StringTest = (s: string) => boolean;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Merge adjacent literals and collapse runs of `*`. */
function normalise(p: Pattern, lower: boolean): Pattern {
  const out: Pattern = [];
  for (const part of p) {
    const prev = out[out.length - 1];
    if (part.t === 'lit') {
      const v = lower ? part.v.toLowerCase() : part.v;
      if (v === '') continue;
      if (prev && prev.t === 'lit') out[out.length - 1] = { t: 'lit', v: prev.v + v };
      else out.push({ t: 'lit', v });
    } else if (part.t === 'star') {
      if (!prev || prev.t !== 'star') out.push(part);
    } else out.push(part);
  }
  return out;
}

export function patternToRegexSource(p: Pattern): string {
  let src = '';
  for (const part of p) {
    if (part.t === 'lit') src += escapeRegex(part.v);
    else if (part.t === 'star') src += '[\\s\\S]*';
    else src += '[\\s\\S]';
  }
  return `^${src}$`;
}

type Part = Pattern[number];

/** Matcher for a pattern of literals and stars only, applied to `s` from code unit `from`. */
function starOnly(p: Part[]): (s: string, from: number) => boolean {
  const lits = p.filter((x): x is { t: 'lit'; v: string } => x.t === 'lit').map((x) => x.v);
  const starts = p.length > 0 && p[0]!.t === 'star';
  const ends = p.length > 0 && p[p.length - 1]!.t === 'star';
  if (p.length === 0) return (s, from) => s.length === from;
  if (lits.length === 0) return () => true; // just `*`
  if (lits.length === 1) {
    const v = lits[0]!;
    if (!starts && !ends) return (s, from) => s.length - from === v.length && s.startsWith(v, from);
    if (!starts && ends) return (s, from) => s.startsWith(v, from);
    if (starts && !ends) return (s, from) => s.length - from >= v.length && s.endsWith(v);
    return (s, from) => s.includes(v, from);
  }
  // Anchored prefix, ordered middle parts, anchored suffix.
  const first = starts ? null : lits[0]!;
  const last = ends ? null : lits[lits.length - 1]!;
  const middle = lits.slice(first === null ? 0 : 1, last === null ? lits.length : lits.length - 1);
  return (s, from) => {
    let pos = from;
    let end = s.length;
    if (first !== null) {
      if (!s.startsWith(first, pos)) return false;
      pos += first.length;
    }
    if (last !== null) {
      if (s.length - last.length < pos || !s.endsWith(last)) return false;
      end = s.length - last.length;
    }
    for (let i = 0; i < middle.length; i++) {
      const m = middle[i]!;
      const at = s.indexOf(m, pos);
      if (at < 0 || at + m.length > end) return false;
      pos = at + m.length;
    }
    return true;
  };
}

/** Compile one pattern into a test on an (already lower-cased when `lower`) string. */
export function compilePattern(pattern: Pattern, lower: boolean): StringTest {
  const p = normalise(pattern, lower);
  let leadingOnes = 0;
  while (leadingOnes < p.length && p[leadingOnes]!.t === 'one') leadingOnes++;
  const rest = p.slice(leadingOnes);
  if (rest.some((x) => x.t === 'one')) return globMatcher(p);
  const tail = starOnly(rest);
  if (leadingOnes === 0) {
    // Common shapes get a direct test; `tail(s, 0)` covers the rest.
    const lits = rest.filter((x): x is { t: 'lit'; v: string } => x.t === 'lit').map((x) => x.v);
    const starts = rest.length > 0 && rest[0]!.t === 'star';
    const ends = rest.length > 0 && rest[rest.length - 1]!.t === 'star';
    if (lits.length === 1 && rest.length <= 3) {
      const v = lits[0]!;
      if (!starts && !ends) return (s) => s === v;
      if (!starts && ends) return (s) => s.startsWith(v);
      if (starts && !ends) return (s) => s.endsWith(v);
      return (s) => s.includes(v);
    }
    if (lits.length === 2 && !starts && !ends && rest.length === 3) {
      const [a, b] = lits as [string, string];
      const min = a.length + b.length;
      return (s) => s.length >= min && s.startsWith(a) && s.endsWith(b);
    }
    return (s) => tail(s, 0);
  }
  // `?` stands for one code point (the RegExp 'u' semantics): skip that many, then the rest.
  const n = leadingOnes;
  return (s) => {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (pos >= s.length) return false;
      const c = s.charCodeAt(pos);
      pos += c >= 0xd800 && c <= 0xdbff && pos + 1 < s.length && isLowSurrogate(s.charCodeAt(pos + 1)) ? 2 : 1;
    }
    return tail(s, pos);
  };
}

/** Code units of the code point at `i` (2 for a surrogate pair, as RegExp's 'u' flag reads it). */
function codePointLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1)) ? 2 : 1;
}

/**
 * `*` and `?` (one code point) anywhere: the classic greedy matcher that remembers only the last
 * `*` (each part matches a fixed width at a given position, so the leftmost placement of what
 * follows a star is always the best). O(text × pattern) at worst, never exponential: a RegExp
 * `^[\s\S]*a[\s\S][\s\S]*a…$` backtracks polynomially (`*a?*a?*a?*a?*b` took 36 s on 200 characters).
 */
function globMatcher(p: Part[]): StringTest {
  return (s) => {
    let si = 0;
    let pi = 0;
    let starPi = -1;
    let starSi = 0;
    while (si < s.length || pi < p.length) {
      if (pi < p.length) {
        const part = p[pi]!;
        if (part.t === 'star') {
          starPi = pi++;
          starSi = si;
          continue;
        }
        if (part.t === 'one') {
          if (si < s.length) {
            si += codePointLength(s, si);
            pi++;
            continue;
          }
        } else if (literalAt(s, part.v, si)) {
          si += part.v.length;
          pi++;
          continue;
        }
      }
      // Mismatch (or text left over): let the last star take one more code point.
      if (starPi < 0 || starSi >= s.length) return false;
      starSi += codePointLength(s, starSi);
      si = starSi;
      pi = starPi + 1;
    }
    return true;
  };
}

/** `lit` at `i`, on code point boundaries (a literal never matches half of a surrogate pair). */
function literalAt(s: string, lit: string, i: number): boolean {
  if (!s.startsWith(lit, i)) return false;
  if (i > 0 && isLowSurrogate(s.charCodeAt(i)) && codePointLength(s, i - 1) === 2) return false;
  const end = i + lit.length;
  return !(end < s.length && isLowSurrogate(s.charCodeAt(end)) && codePointLength(s, end - 1) === 2);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * A list of patterns split into the texts of its wildcard-free ones (lower-cased when `lower`),
 * which one Set lookup answers, and the patterns with wildcards.
 */
export function splitExact(patterns: readonly Pattern[], lower: boolean): { exact: Set<string>; rest: Pattern[] } {
  const exact = new Set<string>();
  const rest: Pattern[] = [];
  for (const p of patterns) {
    if (p.every((x) => x.t === 'lit')) {
      const text = p.map((x) => (x as { v: string }).v).join('');
      exact.add(lower ? text.toLowerCase() : text);
    } else rest.push(p);
  }
  return { exact, rest };
}

/** Several patterns ORed together; wildcard-free ones share one Set lookup. */
export function compilePatterns(patterns: readonly Pattern[], lower: boolean): StringTest {
  const { exact, rest } = splitExact(patterns, lower);
  const tests = rest.map((p) => compilePattern(p, lower));
  if (exact.size <= 1 && tests.length === 0 && patterns.length === 1) return compilePattern(patterns[0]!, lower);
  if (exact.size === 0 && tests.length === 1) return tests[0]!;
  if (tests.length === 0) return (s) => exact.has(s);
  return (s) => {
    if (exact.has(s)) return true;
    for (const t of tests) if (t(s)) return true;
    return false;
  };
}

/** Parse EQL/glob text (`*`, `?`, no escapes) into a Pattern; used by the `wildcard()` function. */
export { globToPattern } from '../ir/glob.js';

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

/** Compile one pattern into a test on an (already lower-cased when `lower`) string. */
export function compilePattern(pattern: Pattern, lower: boolean): StringTest {
  const p = normalise(pattern, lower);
  const hasOne = p.some((x) => x.t === 'one');
  if (!hasOne) {
    const lits = p.filter((x): x is { t: 'lit'; v: string } => x.t === 'lit').map((x) => x.v);
    const starts = p.length > 0 && p[0]!.t === 'star';
    const ends = p.length > 0 && p[p.length - 1]!.t === 'star';
    if (p.length === 0) return (s) => s === '';
    if (lits.length === 0) return () => true; // just `*`
    if (lits.length === 1) {
      const v = lits[0]!;
      if (!starts && !ends) return (s) => s === v;
      if (!starts && ends) return (s) => s.startsWith(v);
      if (starts && !ends) return (s) => s.endsWith(v);
      return (s) => s.includes(v);
    }
    if (lits.length === 2 && !starts && !ends && p.length === 3) {
      const [a, b] = lits as [string, string];
      const min = a.length + b.length;
      return (s) => s.length >= min && s.startsWith(a) && s.endsWith(b);
    }
    // General star-only pattern: anchored prefix, ordered middle parts, anchored suffix.
    const first = starts ? null : lits[0]!;
    const last = ends ? null : lits[lits.length - 1]!;
    const middle = lits.slice(first === null ? 0 : 1, last === null ? lits.length : lits.length - 1);
    return (s) => {
      let pos = 0;
      let end = s.length;
      if (first !== null) {
        if (!s.startsWith(first)) return false;
        pos = first.length;
      }
      if (last !== null) {
        if (!s.endsWith(last) || s.length - last.length < pos) return false;
        end = s.length - last.length;
      }
      for (const m of middle) {
        const at = s.indexOf(m, pos);
        if (at < 0 || at + m.length > end) return false;
        pos = at + m.length;
      }
      return true;
    };
  }
  const re = new RegExp(patternToRegexSource(p), 'u');
  return (s) => re.test(s);
}

/** Several patterns ORed together; wildcard-free ones share one Set lookup. */
export function compilePatterns(patterns: readonly Pattern[], lower: boolean): StringTest {
  const exact = new Set<string>();
  const rest: Pattern[] = [];
  for (const p of patterns) {
    if (p.every((x) => x.t === 'lit')) {
      const text = p.map((x) => (x as { v: string }).v).join('');
      exact.add(lower ? text.toLowerCase() : text);
    } else rest.push(p);
  }
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
export function globToPattern(text: string, withOne: boolean): Pattern {
  const out: Pattern = [];
  let lit = '';
  for (const ch of text) {
    if (ch === '*' || (withOne && ch === '?')) {
      if (lit) out.push({ t: 'lit', v: lit });
      lit = '';
      out.push(ch === '*' ? { t: 'star' } : { t: 'one' });
    } else lit += ch;
  }
  if (lit) out.push({ t: 'lit', v: lit });
  return out;
}

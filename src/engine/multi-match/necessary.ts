/**
 * Necessary literals of a condition: what an event's field texts must contain for the condition
 * to be true, read from the IR.
 *
 * The answer is a conjunction of clauses, each a disjunction of atoms (`Image` ends with
 * `\cmd.exe`, `CommandLine` contains ` -enc`): if the condition is true, every clause has an atom
 * that holds. An empty conjunction constrains nothing (the rule must always be evaluated).
 *
 * Soundness rests on the engine's semantics (engine/expr.ts, engine/pattern.ts): a
 * case-insensitive wildcard test lower-cases the subject text and each literal part of the
 * pattern (`toLowerCase`) and matches them, so a true test means the lowered subject contains
 * every lowered literal part at its place (the first one at the start when the pattern starts
 * with it, the last one at the end when it ends with it, the whole text when the pattern is one
 * literal). Only such tests on plain fields, case-insensitive keyword searches (on every
 * string of the event, KEYWORD_PATH) and regexes with a mandatory literal run (regexLiteral)
 * give atoms; `not`, other regexes, CIDRs, comparisons,
 * keyword searches and case-sensitive (`|cased`) tests give none, which is always sound.
 */
import type { Expr, Pattern, PathStep } from '../../ir/types.js';

export type AtomKind = 'exact' | 'prefix' | 'suffix' | 'contains';

export interface Atom {
  path: readonly PathStep[];
  /** Lower-cased literal text the lower-cased field text must equal / start / end with / contain. */
  text: string;
  kind: AtomKind;
}

export type Clause = Atom[];

/**
 * The path of keyword atoms: not a field but every string and number of the event, walked as the
 * engine's keyword search walks it (engine/expr.ts `compileKeyword`). Compared by identity.
 */
export const KEYWORD_PATH: readonly PathStep[] = Object.freeze(['\u0000keywords']) as readonly PathStep[];

/** Beyond this many clauses an OR keeps one clause per branch (the most selective). */
const MAX_CLAUSES = 32;
/** Longest needle kept by default (see patternAtom). */
const MAX_NEEDLE = 20;

/**
 * The necessary clauses of `e` (see the file header); [] when nothing is necessary. `maxNeedle`:
 * the longest needle an atom keeps (a longer literal part is cut to it: still necessary, less
 * selective); the EQL matcher asks for longer ones, where registry and file paths share their
 * first 20 characters (`hklm\software\micros…`) across hundreds of patterns.
 */
export function necessaryClauses(e: Expr, maxNeedle = MAX_NEEDLE): Clause[] {
  switch (e.kind) {
    case 'wildcard': {
      if (!e.caseInsensitive || e.expr.kind !== 'field') return [];
      const atoms: Atom[] = [];
      for (const p of e.patterns) {
        const a = patternAtom(e.expr.path, p, maxNeedle);
        if (!a) return [];
        atoms.push(a);
      }
      return atoms.length > 0 ? [dedupe(atoms)] : [];
    }
    case 'regex': {
      // Sigma `|re` searches the field's text (not lower-cased) for the regex.
      if (e.expr.kind !== 'field') return [];
      const atoms: Atom[] = [];
      for (const source of e.patterns) {
        const lit = regexLiteral(source, e.flags.includes('i'));
        if (lit === null) return [];
        atoms.push({ path: e.expr.path, kind: 'contains', text: lit.length <= maxNeedle ? lit : lit.slice(0, maxNeedle) });
      }
      return atoms.length > 0 ? [dedupe(atoms)] : [];
    }
    case 'keyword': {
      // Sigma keywords: some string (or number) anywhere in the event matches a pattern.
      if (!e.caseInsensitive) return [];
      const atoms: Atom[] = [];
      for (const p of e.patterns) {
        const a = patternAtom(KEYWORD_PATH, p, maxNeedle);
        if (!a) return [];
        atoms.push(a);
      }
      return atoms.length > 0 ? [dedupe(atoms)] : [];
    }
    case 'and':
      return e.exprs.flatMap((x) => necessaryClauses(x, maxNeedle));
    case 'or': {
      const branches = e.exprs.map((x) => necessaryClauses(x, maxNeedle));
      if (branches.some((b) => b.length === 0)) return [];
      let size = 1;
      for (const b of branches) size *= b.length;
      if (size > MAX_CLAUSES) return [dedupeSame(branches.flatMap((b) => bestClause(b)))];
      // (a1 ∧ a2) ∨ (b1 ∧ b2) ⇒ (a1 ∨ b1) ∧ (a1 ∨ b2) ∧ (a2 ∨ b1) ∧ (a2 ∨ b2)
      let out: Clause[] = [[]];
      for (const b of branches) out = out.flatMap((acc) => b.map((c) => [...acc, ...c]));
      return out.map(dedupeSame);
    }
    default:
      return [];
  }
}

/** The atom that a match of `p` requires: the whole text, or its longest literal part (anchored where it stands). */
function patternAtom(path: readonly PathStep[], p: Pattern, maxNeedle: number): Atom | null {
  if (p.length === 0) return { path, kind: 'exact', text: '' };
  if (p.length === 1 && p[0]!.t === 'lit') return { path, kind: 'exact', text: p[0]!.v.toLowerCase() };
  // Unmerged literal parts (the front ends merge them) are lower-cased whole or part by part
  // depending on the engine's path; rare enough to give no atom rather than reason about both.
  if (p.every((x) => x.t === 'lit')) return null;
  let best: Atom | null = null;
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!;
    if (part.t !== 'lit' || part.v === '') continue;
    // As compilePattern's normalise: each literal part lower-cased on its own.
    const kind: AtomKind = i === 0 ? 'prefix' : i === p.length - 1 ? 'suffix' : 'contains';
    // A needle longer than maxNeedle is cut (its start for prefix/contains, its end for suffix):
    // still necessary, hardly less selective, and the automata stay small.
    const full = part.v.toLowerCase();
    const text = full.length <= maxNeedle ? full : kind === 'suffix' ? full.slice(-maxNeedle) : full.slice(0, maxNeedle);
    const cand: Atom = { path, kind, text };
    if (!best || score(cand) < score(best)) best = cand;
  }
  return best;
}

/** A rough chance that an atom holds for a random value: lower is more selective. */
export function score(a: Atom): number {
  const base = a.kind === 'exact' ? 0.05 : a.kind === 'contains' ? 1 : 0.5;
  return base * Math.pow(0.6, Math.min(a.text.length, 12));
}

function clauseScore(c: Clause): number {
  let s = 0;
  for (const a of c) s += score(a);
  return s;
}

function bestClause(cs: Clause[]): Clause {
  let best = cs[0]!;
  for (const c of cs) if (clauseScore(c) < clauseScore(best)) best = c;
  return best;
}

export function atomKey(a: Atom): string {
  return `${pathKey(a.path)}\u0000${a.kind}\u0000${a.text}`;
}

const pathKeys = new WeakMap<readonly PathStep[], string>();

export function pathKey(path: readonly PathStep[]): string {
  let k = pathKeys.get(path);
  if (k === undefined) {
    k = JSON.stringify(path);
    pathKeys.set(path, k);
  }
  return k;
}

/**
 * An OR's clauses drop repeated atom objects only: atoms equal by content from different branches
 * stay (the matcher interns atoms by content, and a repeated atom in a clause changes nothing but
 * one more entry in its atom → clause table). Building content keys here was ~30% of the build.
 */
function dedupeSame(c: Clause): Clause {
  return c.length < 2 ? c : [...new Set(c)];
}

function dedupe(c: Clause): Clause {
  const seen = new Set<string>();
  return c.filter((a) => {
    const k = atomKey(a);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The longest run of ASCII characters every match of a JavaScript regex (searched, as Sigma's
 * `|re`) must contain, lower-cased; null when none is certain. Conservative by construction: a
 * top-level `|` gives up; groups, classes, `.`, anchors and escapes other than an escaped
 * punctuation character end a run; a quantifier removes the character it applies to. Only ASCII
 * characters join a run (lower-casing the subject maps them one to one), and with the `i` flag
 * not `k` or `s` either (under Unicode case folding they also match K (U+212A) and ſ (U+017F),
 * which do not lower-case to ASCII).
 */
export function regexLiteral(source: string, ignoreCase: boolean): string | null {
  const runs: string[] = [];
  let run = '';
  const end = (): void => {
    if (run !== '') runs.push(run);
    run = '';
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '|') return null;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      // An escaped ASCII punctuation character is that character (identity escape).
      if (n !== '' && n.charCodeAt(0) < 128 && n.charCodeAt(0) >= 32 && !/[A-Za-z0-9]/.test(n)) {
        run += n;
        i += 2;
        continue;
      }
      // \d, \w, \b, \xHH, \uHHHH, \u{…}, \cX, \1, \k<name>, \p{…}: no certain literal; skip the operand.
      end();
      i += 2;
      if (n === 'k' && source[i] === '<') i = source.indexOf('>', i) + 1 || source.length;
      else if ((n === 'u' || n === 'p' || n === 'P') && source[i] === '{') i = source.indexOf('}', i) + 1 || source.length;
      else if (n === 'c') i++;
      else if (n === 'x') i += 2;
      else if (n === 'u') i += 4;
      else if (/[0-9]/.test(n)) while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      continue;
    }
    if (c === '(' || c === '[') {
      end();
      i = skipGroup(source, i);
      if (i < 0) return null;
      continue;
    }
    if (c === '*' || c === '?' || c === '+' || c === '{') {
      // The quantifier applies to the previous character (or group): it is no longer certain alone.
      run = run.slice(0, -1);
      end();
      if (c === '{') {
        const close = source.indexOf('}', i);
        i = close < 0 ? i + 1 : close + 1;
      } else i++;
      continue;
    }
    if (c === '.' || c === '^' || c === '$') {
      end();
      i++;
      continue;
    }
    const code = c.charCodeAt(0);
    const letter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    if (code >= 128 || code < 32 || (ignoreCase && letter && /[ks]/i.test(c))) {
      end();
      i++;
      continue;
    }
    run += c;
    i++;
  }
  end();
  // A quantifier after a run's last character was handled; one after an escaped character too.
  let best = '';
  for (const r of runs) if (r.length > best.length) best = r;
  return best === '' ? null : best.toLowerCase();
}

/**
 * The alternatives of an anchored pattern `^(?:X)$` (the form the EQL front end gives `regex`
 * patterns, eql/parser.ts): X split at its top-level `|` (outside groups and classes), each a
 * pattern every match of one branch matches when searched; null for any other shape. A match of
 * the whole pattern is a match of one branch, so a literal every branch's match contains
 * (regexLiteral) is necessary for one of them.
 */
export function anchoredBranches(source: string): string[] | null {
  if (!source.startsWith('^(?:') || !source.endsWith(')$') || skipGroup(source, 1) !== source.length - 1) return null;
  const inner = source.slice(4, -2);
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '\\') i++;
    else if (c === '(' || c === '[') {
      const end = skipGroup(inner, i);
      if (end < 0) return null;
      i = end - 1;
    } else if (c === '|') {
      out.push(inner.slice(from, i));
      from = i + 1;
    }
  }
  out.push(inner.slice(from));
  return out;
}

/** The index after the group or class opening at `i` (nesting, escapes and classes respected), or -1. */
function skipGroup(source: string, i: number): number {
  let depth = 0;
  let inClass = false;
  for (; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        if (depth === 0) return i + 1;
      }
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

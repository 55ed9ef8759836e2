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
 * literal). Only such tests on plain fields, and case-insensitive keyword searches (on every
 * string of the event, KEYWORD_PATH), give atoms; `not`, regexes, CIDRs, comparisons,
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
/** Longest needle kept (see patternAtom). */
const MAX_NEEDLE = 20;

/** The necessary clauses of `e` (see the file header); [] when nothing is necessary. */
export function necessaryClauses(e: Expr): Clause[] {
  switch (e.kind) {
    case 'wildcard': {
      if (!e.caseInsensitive || e.expr.kind !== 'field') return [];
      const atoms: Atom[] = [];
      for (const p of e.patterns) {
        const a = patternAtom(e.expr.path, p);
        if (!a) return [];
        atoms.push(a);
      }
      return atoms.length > 0 ? [dedupe(atoms)] : [];
    }
    case 'keyword': {
      // Sigma keywords: some string (or number) anywhere in the event matches a pattern.
      if (!e.caseInsensitive) return [];
      const atoms: Atom[] = [];
      for (const p of e.patterns) {
        const a = patternAtom(KEYWORD_PATH, p);
        if (!a) return [];
        atoms.push(a);
      }
      return atoms.length > 0 ? [dedupe(atoms)] : [];
    }
    case 'and':
      return e.exprs.flatMap(necessaryClauses);
    case 'or': {
      const branches = e.exprs.map(necessaryClauses);
      if (branches.some((b) => b.length === 0)) return [];
      let size = 1;
      for (const b of branches) size *= b.length;
      if (size > MAX_CLAUSES) return [dedupe(branches.flatMap((b) => bestClause(b)))];
      // (a1 ∧ a2) ∨ (b1 ∧ b2) ⇒ (a1 ∨ b1) ∧ (a1 ∨ b2) ∧ (a2 ∨ b1) ∧ (a2 ∨ b2)
      let out: Clause[] = [[]];
      for (const b of branches) out = out.flatMap((acc) => b.map((c) => [...acc, ...c]));
      return out.map(dedupe);
    }
    default:
      return [];
  }
}

/** The atom that a match of `p` requires: the whole text, or its longest literal part (anchored where it stands). */
function patternAtom(path: readonly PathStep[], p: Pattern): Atom | null {
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
    // A needle longer than MAX_NEEDLE is cut (its start for prefix/contains, its end for suffix):
    // still necessary, hardly less selective, and the automata stay small.
    const full = part.v.toLowerCase();
    const text = full.length <= MAX_NEEDLE ? full : kind === 'suffix' ? full.slice(-MAX_NEEDLE) : full.slice(0, MAX_NEEDLE);
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

function dedupe(c: Clause): Clause {
  const seen = new Set<string>();
  return c.filter((a) => {
    const k = atomKey(a);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

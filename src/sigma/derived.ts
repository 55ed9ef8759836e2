/**
 * Facts derived from a loaded rule's IR that the hunt would otherwise derive in every thread on
 * every run (Rule.derived): the multi-rule matcher's necessary clauses and the telemetry needs.
 * For SigmaHQ's 2,407 Windows rules deriving them cost ~0.4 CPU-s per thread, most of a cached
 * load's compile step; kept in the load cache (load-cache.ts, whose key covers the code that
 * derives them), a cached load reads them back instead.
 */
import type { PathStep, Rule } from '../ir/types.js';
import { telemetryNeeds } from '../ir/analyze.js';
import { KEYWORD_PATH, necessaryClauses, type Atom, type Clause } from '../engine/multi-match/necessary.js';

type Derived = NonNullable<Rule['derived']>;

/** Fill `rule.derived` (single-event native-view rules: the ones the multi-rule matcher takes). */
export function derive(rule: Rule): void {
  if (rule.derived) return;
  const needs = telemetryNeeds(rule).map((n) => ({ stage: n.stage, category: n.category, condition: n.condition }));
  const q = rule.query;
  const atoms: Derived['atoms'] = [];
  const clauses: number[][] = [];
  if (q.kind === 'event' && rule.view === 'native') {
    const ids = new Map<Atom, number>();
    for (const c of necessaryClauses(q.query.where)) {
      clauses.push(
        c.map((a) => {
          let i = ids.get(a);
          if (i === undefined) {
            i = atoms.length;
            ids.set(a, i);
            atoms.push([a.path === KEYWORD_PATH ? null : [...a.path], a.kind, a.text]);
          }
          return i;
        }),
      );
    }
  }
  rule.derived = { atoms, clauses, needs };
}

/** Paths interned across rules, so that the matcher's per-path caches see one array per field. */
const paths = new Map<string, readonly PathStep[]>();

/**
 * The necessary clauses `derive` kept for `rule` (as `necessaryClauses` of its condition gives
 * them: the keyword path is KEYWORD_PATH again), or undefined when the rule has none kept.
 */
export function derivedClauses(rule: Rule): Clause[] | undefined {
  const d = rule.derived;
  if (!d || rule.query.kind !== 'event' || rule.view !== 'native') return undefined;
  const atoms: Atom[] = d.atoms.map(([p, kind, text]) => {
    let path = KEYWORD_PATH;
    if (p !== null) {
      const k = JSON.stringify(p);
      path = paths.get(k) ?? (paths.set(k, p), p);
    }
    return { path, kind, text };
  });
  return d.clauses.map((c) => c.map((i) => atoms[i]!));
}

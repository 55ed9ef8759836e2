/** Small constructors for the IR conditions that lists and exceptions add to rules. */
import type { Expr, Pattern } from '../ir/types.js';
import { parseFieldPath } from '../events/field.js';
import { globToPattern } from '../ir/glob.js';

/** A list/exception pattern: `*` is any run, `?` one character, everything else literal. */
export function toPattern(text: string): Pattern {
  return globToPattern(text, true);
}

export function field(dotted: string): Expr {
  return { kind: 'field', path: parseFieldPath(dotted) };
}

/** `field : (patterns…)` — case-insensitive wildcard match, like EQL `:`. */
export function matchesAny(dotted: string, patterns: readonly string[]): Expr {
  return { kind: 'wildcard', expr: field(dotted), patterns: patterns.map(toPattern), caseInsensitive: true };
}

export function isTrue(dotted: string): Expr {
  return { kind: 'compare', op: '==', left: field(dotted), right: { kind: 'literal', value: true }, caseInsensitive: false };
}

/** `field != null`: a presence test, never null itself. */
export function present(dotted: string): Expr {
  return { kind: 'compare', op: '!=', left: field(dotted), right: { kind: 'literal', value: null }, caseInsensitive: false };
}

/**
 * An exclusion clause that is false (never null) when a field it tests is missing: `present(f…)
 * and clause`. Under three-valued logic `not (missing == true)` is null and would drop the event,
 * so an unguarded exclusion would silently disable the rule on data without those fields
 * (Sysmon and Security events carry no signature). Elasticsearch keeps such events (its `not` is a
 * must_not, which matches documents lacking the field); the guard gives that result in any engine.
 */
export function guarded(fields: readonly string[], clause: Expr): Expr {
  const parts = clause.kind === 'and' ? clause.exprs : [clause];
  return { kind: 'and', exprs: [...[...new Set(fields)].map(present), ...parts] };
}

export function and(...exprs: Expr[]): Expr {
  return exprs.length === 1 ? exprs[0]! : { kind: 'and', exprs };
}

export function or(exprs: Expr[]): Expr {
  return exprs.length === 1 ? exprs[0]! : { kind: 'or', exprs };
}

/** `where and not (excluded)`: the only way lists and exceptions change a rule, so they never widen it. */
export function andNot(where: Expr, excluded: Expr): Expr {
  const not: Expr = { kind: 'not', expr: excluded };
  return where.kind === 'and' ? { kind: 'and', exprs: [...where.exprs, not] } : { kind: 'and', exprs: [where, not] };
}

/** Wildcard matching with the same semantics as the IR (case-insensitive), for alert-level checks. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let re = '^';
  for (const part of toPattern(pattern)) {
    if (part.t === 'star') re += '[\\s\\S]*';
    else if (part.t === 'one') re += '[\\s\\S]';
    else re += part.v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 'i').test(value);
}

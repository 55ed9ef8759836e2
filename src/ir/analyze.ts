/**
 * Questions about a rule answered by walking its IR (walk.ts): which values a field must hold for
 * a condition to be true, and what telemetry each stage needs (the part of its condition that
 * says which log, event code, category or writer — not which behaviour).
 */
import type { Expr, Literal, Rule } from './types.js';
import { conjuncts, eventQueries } from './walk.js';

const isField = (e: Expr, path: readonly string[]): boolean =>
  e.kind === 'field' && e.path.length === path.length && e.path.every((s, i) => s === path[i]);

/**
 * Literal values `field` must equal for `e` to be true, or null when unconstrained: equality,
 * `in` and wildcard patterns without `*`/`?` count; `and` needs any conjunct constrained, `or`
 * every branch, `not` never. Values are as written (numbers stay numbers).
 */
export function requiredValues(e: Expr, field: readonly string[]): Set<Literal> | null {
  switch (e.kind) {
    case 'compare': {
      if (e.op !== '==') return null;
      const [f, v] = isField(e.left, field) ? [e.left, e.right] : isField(e.right, field) ? [e.right, e.left] : [null, null];
      return f && v?.kind === 'literal' && v.value !== null ? new Set([v.value]) : null;
    }
    case 'in': {
      if (e.negated || !isField(e.expr, field)) return null;
      const out = new Set<Literal>();
      for (const v of e.values) {
        if (v.kind !== 'literal' || v.value === null) return null;
        out.add(v.value);
      }
      return out;
    }
    case 'wildcard': {
      if (!isField(e.expr, field)) return null;
      const out = new Set<Literal>();
      for (const p of e.patterns) {
        if (p.length !== 1 || p[0]!.t !== 'lit') return null;
        out.add(p[0]!.v);
      }
      return out;
    }
    case 'and': {
      let acc: Set<Literal> | null = null;
      for (const x of e.exprs) {
        const r = requiredValues(x, field);
        if (!r) continue;
        const prev: Set<Literal> | null = acc;
        acc = prev ? new Set([...prev].filter((v: Literal) => [...r].some((w) => looseEqual(v, w)))) : r;
      }
      return acc;
    }
    case 'or': {
      const out = new Set<Literal>();
      for (const x of e.exprs) {
        const r = requiredValues(x, field);
        if (!r) return null;
        for (const v of r) out.add(v);
      }
      return out;
    }
    default:
      return null;
  }
}

/** `11` and `"11"` name the same event id. */
function looseEqual(a: Literal, b: Literal): boolean {
  return a === b || String(a) === String(b);
}

/** Event ids (`EventID` or `event.code`, as numbers) an event must have, or null. */
export function requiredEventIds(e: Expr, field: readonly string[] = ['EventID']): Set<number> | null {
  const vals = requiredValues(e, field);
  if (!vals) return null;
  const out = new Set<number>();
  for (const v of vals) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) return null;
    out.add(n);
  }
  return out;
}

/**
 * Fields that say which telemetry an event is (log, provider, event code, category, kind of
 * event), not what happened. `values`: the field counts only when tested against these (the writer
 * PID 4 / `System` names the SMB-write telemetry; another PID is behaviour).
 */
export const TELEMETRY_FIELDS: readonly { path: readonly string[]; values?: readonly Literal[] }[] = [
  { path: ['event', 'code'] },
  { path: ['event', 'module'] },
  { path: ['event', 'dataset'] },
  { path: ['event', 'provider'] },
  { path: ['event', 'category'] },
  { path: ['event', 'type'] },
  { path: ['winlog', 'event_id'] },
  { path: ['winlog', 'channel'] },
  { path: ['winlog', 'provider_name'] },
  { path: ['process', 'pid'], values: [4, '4'] },
  { path: ['process', 'name'], values: ['System'] },
  { path: ['EventID'] },
  { path: ['Channel'] },
  { path: ['Provider_Name'] },
  { path: ['ProcessId'], values: [4, '4'] },
  { path: ['Image'], values: ['System'] },
];

function telemetryField(e: Expr): (typeof TELEMETRY_FIELDS)[number] | undefined {
  return e.kind === 'field' ? TELEMETRY_FIELDS.find((t) => isField(e, t.path)) : undefined;
}

function allowed(t: (typeof TELEMETRY_FIELDS)[number], values: Literal[]): boolean {
  return !t.values || values.every((v) => v === null || t.values!.some((w) => looseEqual(v, w)));
}

/**
 * The part of `e` that only describes telemetry (see TELEMETRY_FIELDS), or null when none: a
 * condition every event the rule can match also meets. `and` keeps its telemetry conjuncts, `or`
 * needs one in every branch, anything else (not, functions, other fields) is dropped.
 */
export function telemetryCondition(e: Expr): Expr | null {
  switch (e.kind) {
    case 'and': {
      const parts = conjuncts(e).map(telemetryCondition).filter((x): x is Expr => x !== null);
      return parts.length === 0 ? null : parts.length === 1 ? parts[0]! : { kind: 'and', exprs: parts };
    }
    case 'or': {
      const parts = e.exprs.map(telemetryCondition);
      if (parts.some((p) => p === null)) return null;
      return { kind: 'or', exprs: parts as Expr[] };
    }
    case 'compare': {
      if (e.op !== '==' || e.right.kind !== 'literal') return null;
      const t = telemetryField(e.left);
      return t && allowed(t, [e.right.value]) ? e : null;
    }
    case 'in': {
      const t = telemetryField(e.expr);
      if (!t || e.negated || !e.values.every((v) => v.kind === 'literal')) return null;
      return allowed(t, e.values.map((v) => (v as { value: Literal }).value)) ? e : null;
    }
    case 'wildcard': {
      const t = telemetryField(e.expr);
      if (!t) return null;
      const lits = e.patterns.map((p) => (p.length === 1 && p[0]!.t === 'lit' ? p[0]!.v : undefined));
      if (t.values && lits.some((l) => l === undefined)) return null;
      return allowed(t, lits.filter((l): l is string => l !== undefined)) ? e : null;
    }
    default:
      return null;
  }
}

/** What one stage of a rule needs to see at all: its category and telemetry condition. */
export interface TelemetryNeed {
  ruleId: string;
  /** Where in the rule (`stage 1`, `rule <id> / query`). */
  stage: string;
  view: Rule['view'];
  language: Rule['language'];
  /** ECS event category the stage queries (`file`, `process`); null for `any` / native rules. */
  category: string | null;
  /** The telemetry part of the stage's condition; null when the category alone says it. */
  condition: Expr | null;
}

/**
 * The telemetry each positive stage of `rule` needs, derived from its IR. Stages that need the
 * same telemetry are listed once (the first stage names it). Missing-event stages and `until`
 * are left out: a match needs their absence.
 */
export function telemetryNeeds(rule: Rule): TelemetryNeed[] {
  // Derived when the rule loaded (Rule.derived: the Sigma load cache keeps them).
  if (rule.derived) return rule.derived.needs.map((n) => ({ ruleId: rule.id, stage: n.stage, view: rule.view, language: rule.language, category: n.category, condition: n.condition }));
  const out: TelemetryNeed[] = [];
  const seen = new Set<string>();
  for (const s of eventQueries(rule.query)) {
    if (s.negative) continue;
    const condition = telemetryCondition(s.query.where);
    if (s.query.category === null && condition === null) continue; // any event will do: nothing to miss
    const key = JSON.stringify([s.query.category, condition], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ruleId: rule.id, stage: s.label, view: rule.view, language: rule.language, category: s.query.category, condition });
  }
  return out;
}

/**
 * Target-independent steps before printing: rename fields for the target's data (fields.ts),
 * write numeric literals on keyword fields as text, simplify what renaming made redundant
 * (`coalesce(a, a)` → `a`, duplicate `in` values), and turn a Sigma `temporal_ordered`
 * correlation into the sequence it means.
 */
import type { Expr, Literal, Query } from '../ir/types.js';
import { mapExpr } from '../ir/walk.js';
import { requiredValues } from '../ir/analyze.js';
import { UnsupportedByTarget } from './errors.js';
import { mapField, type FieldMapping } from './fields.js';

const fieldName = (e: Expr): string | null => (e.kind === 'field' && e.path.every((s) => typeof s === 'string') ? e.path.join('.') : null);

function textLiteral(e: Expr): Expr {
  return e.kind === 'literal' && (typeof e.value === 'number' || typeof e.value === 'bigint') ? { kind: 'literal', value: String(e.value) } : e;
}

function dedupeLiterals(values: Expr[]): Expr[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    if (v.kind !== 'literal') return true;
    const k = `${typeof v.value}:${String(v.value as Literal)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Rename every field of `e`; numeric literals compared with keyword fields become text. */
export function mapFields(e: Expr, mapping: FieldMapping, target: string, channel?: string): Expr {
  return mapExpr(e, (x) => {
    if (x.kind === 'field') {
      const name = fieldName(x);
      if (name === null) throw new UnsupportedByTarget(target, `the indexed field path ${JSON.stringify(x.path)}`);
      const to = mapField(mapping, name, channel);
      if (to === null) throw new UnsupportedByTarget(target, `field ${name} (no mapping to the target's data)`);
      return { ...x, path: to.split('.') };
    }
    const text = (f: Expr): boolean => mapping.textFields.has(fieldName(f) ?? '');
    const numeric = (f: Expr): boolean => mapping.numericFields?.has(fieldName(f) ?? '') === true;
    if (x.kind === 'wildcard' && numeric(x.expr)) {
      const nums = x.patterns.map((p) => (p.length === 1 && p[0]!.t === 'lit' && /^\d+$/.test(p[0]!.v) ? Number(p[0]!.v) : null));
      if (nums.some((n) => n === null)) throw new UnsupportedByTarget(target, `a text pattern on the numeric field ${fieldName(x.expr)}`);
      return { kind: 'in', expr: x.expr, values: nums.map((n) => ({ kind: 'literal', value: n! })), caseInsensitive: false, negated: false };
    }
    if (x.kind === 'compare' && numeric(x.left) && x.right.kind === 'literal' && typeof x.right.value === 'string') {
      if (!/^\d+$/.test(x.right.value)) throw new UnsupportedByTarget(target, `a text comparison on the numeric field ${fieldName(x.left)}`);
      return { ...x, right: { kind: 'literal', value: Number(x.right.value) } };
    }
    if (x.kind === 'compare' && text(x.left)) return { ...x, right: textLiteral(x.right) };
    if (x.kind === 'in') return { ...x, values: dedupeLiterals(text(x.expr) ? x.values.map(textLiteral) : x.values) };
    if (x.kind === 'call' && x.name.toLowerCase() === 'coalesce') {
      const names = new Set(x.args.map((a) => fieldName(a)));
      if (names.size === 1 && !names.has(null)) return x.args[0]!;
    }
    return x;
  });
}

/** The query with every field renamed (stages, join keys, pipes, correlation base rules). */
export function mapQueryFields(q: Query, mapping: FieldMapping, target: string): Query {
  // Channel-specific renames apply when the query names exactly one channel (Sigma logsources do).
  const wheres = q.kind === 'event' ? [q.query.where] : q.kind === 'correlation' ? [] : q.stages.map((s) => s.query.where);
  const chans = new Set(wheres.flatMap((w) => [...(requiredValues(w, ['Channel']) ?? [])].map(String)));
  const channel = chans.size === 1 ? [...chans][0] : undefined;
  const m = (e: Expr): Expr => mapFields(e, mapping, target, channel);
  switch (q.kind) {
    case 'event':
      return { ...q, query: { ...q.query, where: m(q.query.where) }, pipes: q.pipes.map((p) => (p.kind === 'filter' ? { ...p, expr: m(p.expr) } : 'by' in p ? { ...p, by: p.by.map(m) } : p)) };
    case 'sequence':
    case 'sample':
    case 'join': {
      const stage = <S extends { query: { category: string | null; where: Expr }; by: Expr[] }>(s: S): S => ({ ...s, query: { ...s.query, where: m(s.query.where) }, by: s.by.map(m) });
      const out = { ...q, by: q.by.map(m), stages: q.stages.map(stage) } as typeof q;
      if ('until' in q && q.until) (out as { until?: typeof q.until }).until = stage(q.until);
      return out;
    }
    case 'correlation':
      return { ...q, rules: q.rules.map((r) => ({ ...r, query: mapQueryFields(r.query, mapping, target) })), groupBy: q.groupBy.map((g) => g.map(m)), ...(q.valueField ? { valueField: q.valueField.map(m) } : {}) };
  }
}

/**
 * A `temporal_ordered` correlation of single-event base rules, without a threshold, is a sequence:
 * each base rule a stage joined by its own group-by keys, within the timespan. Anything else
 * (counts, unordered temporal, thresholds) has no sequence form.
 */
export function correlationAsSequence(q: Query, target: string): Query {
  if (q.kind !== 'correlation') return q;
  if (q.type !== 'temporal_ordered') throw new UnsupportedByTarget(target, `a Sigma ${q.type} correlation (only temporal_ordered has a sequence form)`);
  if (q.condition && q.condition.length > 0) throw new UnsupportedByTarget(target, 'a temporal_ordered correlation with a count condition');
  if (q.generate) throw new UnsupportedByTarget(target, 'a correlation with generate: true (base rule matches as alerts of their own)');
  const stages = q.rules.map((r, i) => {
    if (r.query.kind !== 'event' || r.query.pipes.length > 0) throw new UnsupportedByTarget(target, `correlation base rule ${r.id} that is not a single-event rule`);
    return { query: r.query.query, by: q.groupBy[i] ?? [] };
  });
  return { kind: 'sequence', by: [], maxspanNs: q.timespanNs, stages, pipes: [] };
}

/** Fold literal true/false through and/or/not (after a target replaced tests it handles itself). */
export function simplify(e: Expr): Expr {
  return mapExpr(e, (x) => {
    const isLit = (y: Expr, v: boolean): boolean => y.kind === 'literal' && y.value === v;
    if (x.kind === 'and') {
      if (x.exprs.some((y) => isLit(y, false))) return { kind: 'literal', value: false };
      const rest = x.exprs.filter((y) => !isLit(y, true));
      return rest.length === 0 ? { kind: 'literal', value: true } : rest.length === 1 ? rest[0]! : { ...x, exprs: rest };
    }
    if (x.kind === 'or') {
      if (x.exprs.some((y) => isLit(y, true))) return { kind: 'literal', value: true };
      const rest = x.exprs.filter((y) => !isLit(y, false));
      return rest.length === 0 ? { kind: 'literal', value: false } : rest.length === 1 ? rest[0]! : { ...x, exprs: rest };
    }
    if (x.kind === 'not' && x.expr.kind === 'literal' && typeof x.expr.value === 'boolean') return { kind: 'literal', value: !x.expr.value };
    return x;
  });
}

/**
 * The condition as it reads for events whose `field` is `value`: every equality, list or plain
 * literal test on that field becomes true or false (compared ignoring case, numbers as text), then
 * folded. Used to split a Sigma rule's logsource variants (Channel, EventID) into per-table queries.
 */
export function pinField(e: Expr, field: string, value: Literal): Expr {
  const same = (v: Expr): boolean => v.kind === 'literal' && v.value !== null && String(v.value).toLowerCase() === String(value).toLowerCase();
  const on = (x: Expr): boolean => fieldName(x) === field;
  return simplify(
    mapExpr(e, (x) => {
      if (x.kind === 'compare' && (x.op === '==' || x.op === '!=') && on(x.left) && x.right.kind === 'literal') return { kind: 'literal', value: same(x.right) === (x.op === '==') };
      if (x.kind === 'in' && on(x.expr) && x.values.every((v) => v.kind === 'literal')) return { kind: 'literal', value: x.values.some(same) !== x.negated };
      if (x.kind === 'wildcard' && on(x.expr) && x.patterns.every((p) => p.length === 1 && p[0]!.t === 'lit')) {
        return { kind: 'literal', value: x.patterns.some((p) => same({ kind: 'literal', value: (p[0] as { v: string }).v })) };
      }
      return x;
    }),
  );
}

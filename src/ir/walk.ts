/**
 * Walking the IR (like eql/walkers.py): the one place that knows which expressions hold which
 * sub-expressions and which queries hold which event queries. Questions about a rule are answered
 * with these walks, never by searching its JSON text.
 */
import type { EventQuery, Expr, Query, Rule, Stage } from './types.js';

/** The direct sub-expressions of `e` (lineage queries' conditions included). */
export function childExprs(e: Expr): Expr[] {
  switch (e.kind) {
    case 'literal':
    case 'field':
    case 'keyword':
      return [];
    case 'not':
    case 'neg':
      return [e.expr];
    case 'and':
    case 'or':
      return e.exprs;
    case 'compare':
    case 'arith':
      return [e.left, e.right];
    case 'in':
      return [e.expr, ...e.values];
    case 'wildcard':
    case 'regex':
    case 'cidr':
      return [e.expr];
    case 'call':
      return e.args;
    case 'lineage':
      return [e.query.where];
  }
}

/** True when `pred` holds for `e` or any expression inside it. */
export function someExpr(e: Expr, pred: (x: Expr) => boolean): boolean {
  if (pred(e)) return true;
  for (const c of childExprs(e)) if (someExpr(c, pred)) return true;
  return false;
}

/** Every expression inside `e`, `e` first (pre-order). */
export function forEachExpr(e: Expr, visit: (x: Expr) => void): void {
  visit(e);
  for (const c of childExprs(e)) forEachExpr(c, visit);
}

/** Rebuild `e` bottom-up: `fn` sees each node with its children already mapped. */
export function mapExpr(e: Expr, fn: (x: Expr) => Expr): Expr {
  let out: Expr;
  switch (e.kind) {
    case 'not':
    case 'neg':
      out = { ...e, expr: mapExpr(e.expr, fn) };
      break;
    case 'and':
    case 'or':
      out = { ...e, exprs: e.exprs.map((x) => mapExpr(x, fn)) };
      break;
    case 'compare':
    case 'arith':
      out = { ...e, left: mapExpr(e.left, fn), right: mapExpr(e.right, fn) } as Expr;
      break;
    case 'in':
      out = { ...e, expr: mapExpr(e.expr, fn), values: e.values.map((x) => mapExpr(x, fn)) };
      break;
    case 'wildcard':
    case 'regex':
    case 'cidr':
      out = { ...e, expr: mapExpr(e.expr, fn) } as Expr;
      break;
    case 'call':
      out = { ...e, args: e.args.map((x) => mapExpr(x, fn)) };
      break;
    case 'lineage':
      out = { ...e, query: { ...e.query, where: mapExpr(e.query.where, fn) } };
      break;
    default:
      out = e;
  }
  return fn(out);
}

/** The top-level conjuncts of `e` (`a and (b and c)` → a, b, c). */
export function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.exprs.flatMap(conjuncts) : [e];
}

/** One event query of a rule, with where it sits. */
export interface QueryStage {
  /** Human label: `query`, `stage 2`, `until`, `rule <id>` (correlation base rule), nested with ` / `. */
  label: string;
  query: EventQuery;
  /** Stage of a sequence/sample/join, if any. */
  stage?: Stage;
  /** A missing-event stage (`![…]`) or `until`: what must NOT happen, so not telemetry a match needs. */
  negative: boolean;
}

/** Every event query of a query, in order (correlation base rules recursively). */
export function eventQueries(q: Query, prefix = ''): QueryStage[] {
  const at = (label: string): string => (prefix ? `${prefix} / ${label}` : label);
  switch (q.kind) {
    case 'event':
      return [{ label: at('query'), query: q.query, negative: false }];
    case 'sequence':
    case 'sample':
    case 'join': {
      const out: QueryStage[] = q.stages.map((s, i) => ({ label: at(`stage ${i + 1}`), query: s.query, stage: s, negative: s.missing === true }));
      if ('until' in q && q.until) out.push({ label: at('until'), query: q.until.query, stage: q.until, negative: true });
      return out;
    }
    case 'correlation':
      return q.rules.flatMap((r) => eventQueries(r.query, at(`rule ${r.id}`)));
  }
}

/** Every expression of a rule (stage conditions, join keys, pipes), for `someExpr`-style questions. */
export function ruleExprs(rule: Rule): Expr[] {
  const out: Expr[] = [];
  const fromQuery = (q: Query): void => {
    if (q.kind === 'correlation') {
      for (const r of q.rules) fromQuery(r.query);
      for (const g of q.groupBy) out.push(...g);
      if (q.valueField) out.push(...q.valueField);
      return;
    }
    if (q.kind === 'event') out.push(q.query.where);
    else {
      for (const s of [...q.stages, ...('until' in q && q.until ? [q.until] : [])]) out.push(s.query.where, ...s.by);
      out.push(...q.by);
    }
    for (const p of q.pipes) {
      if (p.kind === 'filter') out.push(p.expr);
      else if ('by' in p) out.push(...p.by);
    }
  };
  fromQuery(rule.query);
  return out;
}

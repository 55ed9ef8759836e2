/**
 * Constant folding over the rule IR: evaluates sub-expressions made only of literals and
 * simplifies `and`/`or` around constant operands, following EQL's three-valued logic.
 *
 * It also rewrites the Endgame `wildcard(x, "pattern", …)` function with literal patterns into the
 * IR `wildcard` match, so `x == "a*"` and `wildcard(x, "a*")` fold to the same thing.
 *
 * Conservative by design: whatever could depend on an engine choice is left alone — function
 * calls, comparisons of mismatched types, integer division or modulo with negative operands
 * (truncating vs flooring), bigint arithmetic, and `not not x` (which would drop a truthiness
 * conversion). Folding never changes a query's result; it only makes it cheaper.
 */
import type { EventQuery, Expr, Literal, Pattern, Pipe, Query, Stage } from '../ir/types.js';
import { toPattern } from './pattern.js';
import { compileRegex } from '../ir/regex.js';

type Lit = Extract<Expr, { kind: 'literal' }>;

const TRUE: Lit = { kind: 'literal', value: true };
const FALSE: Lit = { kind: 'literal', value: false };
const NULL: Lit = { kind: 'literal', value: null };

function bool(b: boolean): Lit {
  return b ? TRUE : FALSE;
}

function isLit(e: Expr): e is Lit {
  return e.kind === 'literal';
}

/** Fold every expression of a query (conditions, keys, lineage subqueries, filter pipes). */
export function foldQuery(q: Query): Query {
  switch (q.kind) {
    case 'event':
      return { ...q, query: foldEventQuery(q.query), pipes: q.pipes.map(foldPipe) };
    case 'sequence':
    case 'join': {
      const out = { ...q, by: q.by.map(foldExpr), stages: q.stages.map(foldStage), pipes: q.pipes.map(foldPipe) };
      if (q.until) out.until = foldStage(q.until);
      return out;
    }
    case 'sample':
      return { ...q, by: q.by.map(foldExpr), stages: q.stages.map(foldStage), pipes: q.pipes.map(foldPipe) };
    case 'correlation':
      return q;
  }
}

function foldEventQuery(q: EventQuery): EventQuery {
  return { ...q, where: foldExpr(q.where) };
}

function foldStage(s: Stage): Stage {
  return { ...s, query: foldEventQuery(s.query), by: s.by.map(foldExpr) };
}

function foldPipe(p: Pipe): Pipe {
  switch (p.kind) {
    case 'filter':
      return { ...p, expr: foldExpr(p.expr) };
    case 'count':
    case 'unique':
    case 'unique_count':
    case 'sort':
      return { ...p, by: p.by.map(foldExpr) };
    default:
      return p;
  }
}

/** Fold one expression; returns an equivalent, possibly smaller, expression. */
export function foldExpr(e: Expr): Expr {
  switch (e.kind) {
    case 'literal':
    case 'field':
    case 'keyword':
      return e;
    case 'not': {
      const inner = foldExpr(e.expr);
      if (isLit(inner)) {
        if (inner.value === null) return NULL;
        if (typeof inner.value === 'boolean') return bool(!inner.value);
      }
      return { kind: 'not', expr: inner };
    }
    case 'and':
      return foldJunction('and', e.exprs.map(foldExpr));
    case 'or':
      return foldJunction('or', e.exprs.map(foldExpr));
    case 'compare': {
      const left = foldExpr(e.left);
      const right = foldExpr(e.right);
      if (isLit(left) && isLit(right)) {
        const r = compareLiterals(e.op, left.value, right.value, e.caseInsensitive);
        if (r !== undefined) return r === null ? NULL : bool(r);
      }
      return { ...e, left, right };
    }
    case 'in': {
      const expr = foldExpr(e.expr);
      const values = e.values.map(foldExpr);
      if (isLit(expr) && expr.value !== null && values.every(isLit)) {
        let found: boolean | undefined = false;
        for (const v of values) {
          const eq = compareLiterals('==', expr.value, v.value, e.caseInsensitive);
          if (eq === undefined) {
            found = undefined;
            break;
          }
          if (eq === true) found = true;
        }
        if (found !== undefined) return bool(e.negated ? !found : found);
      }
      return { ...e, expr, values };
    }
    case 'wildcard': {
      const expr = foldExpr(e.expr);
      if (isLit(expr) && typeof expr.value === 'string') {
        const s = e.caseInsensitive ? expr.value.toLowerCase() : expr.value;
        return bool(e.patterns.some((p) => wildcardRegex(p, e.caseInsensitive).test(s)));
      }
      if (isLit(expr) && expr.value === null) return NULL;
      return { ...e, expr };
    }
    case 'regex': {
      const expr = foldExpr(e.expr);
      if (isLit(expr) && typeof expr.value === 'string') {
        try {
          const text = expr.value;
          return bool(e.patterns.some((p) => compileRegex(p, e.flags).test(text)));
        } catch {
          return { ...e, expr };
        }
      }
      return { ...e, expr };
    }
    case 'arith': {
      const left = foldExpr(e.left);
      const right = foldExpr(e.right);
      if (isLit(left) && isLit(right)) {
        const r = arith(e.op, left, right);
        if (r !== undefined) return r;
      }
      return { ...e, left, right };
    }
    case 'neg': {
      const inner = foldExpr(e.expr);
      if (isLit(inner)) {
        if (inner.value === null) return NULL;
        if (typeof inner.value === 'number') return { ...inner, value: -inner.value };
      }
      return { kind: 'neg', expr: inner };
    }
    case 'call': {
      const args = e.args.map(foldExpr);
      // Endgame `wildcard(x, "a*", …)` with literal patterns is the IR's own wildcard match.
      const patterns = args.slice(1);
      if (e.name === 'wildcard' && args.length >= 2 && patterns.every((a) => isLit(a) && typeof a.value === 'string')) {
        return foldExpr({
          kind: 'wildcard',
          expr: args[0]!,
          patterns: patterns.map((a) => toPattern((a as Lit).value as string, false)),
          caseInsensitive: e.caseInsensitive,
        });
      }
      return { ...e, args };
    }
    case 'cidr':
      return { ...e, expr: foldExpr(e.expr) };
    case 'lineage':
      return { ...e, query: foldEventQuery(e.query) };
  }
}

/** `and`/`or` with three-valued logic: the absorbing constant wins, the neutral one disappears. */
function foldJunction(kind: 'and' | 'or', exprs: Expr[]): Expr {
  const absorbing = kind === 'or';
  const flat: Expr[] = [];
  for (const x of exprs) {
    if (x.kind === kind) flat.push(...x.exprs);
    else flat.push(x);
  }
  const kept: Expr[] = [];
  for (const x of flat) {
    if (isLit(x) && x.value === absorbing) return bool(absorbing);
    if (isLit(x) && x.value === !absorbing) continue;
    kept.push(x);
  }
  if (kept.length === 0) return bool(!absorbing);
  if (kept.every((x) => isLit(x) && x.value === null)) return NULL;
  if (kept.length === 1) return kept[0]!;
  return { kind, exprs: kept };
}

/** Comparison of two literals: true/false/null, or undefined when it is not safe to decide here. */
function compareLiterals(op: string, a: Literal, b: Literal, ci: boolean): boolean | null | undefined {
  if (a === null || b === null) {
    if (op === '==') return a === b;
    if (op === '!=') return a !== b;
    return null;
  }
  let c: number;
  if (typeof a === 'string' && typeof b === 'string') {
    const x = ci ? a.toLowerCase() : a;
    const y = ci ? b.toLowerCase() : b;
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (isNumeric(a) && isNumeric(b)) {
    if (typeof a === 'bigint' || typeof b === 'bigint') {
      if (!Number.isInteger(Number(a)) || !Number.isInteger(Number(b))) return undefined;
      const x = BigInt(a);
      const y = BigInt(b);
      c = x < y ? -1 : x > y ? 1 : 0;
    } else {
      c = a < b ? -1 : a > b ? 1 : 0;
    }
  } else if (typeof a === 'boolean' && typeof b === 'boolean') {
    if (op === '==') return a === b;
    if (op === '!=') return a !== b;
    return undefined;
  } else {
    return undefined;
  }
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
  }
  return undefined;
}

function isNumeric(v: Literal): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

function arith(op: string, l: Lit, r: Lit): Lit | undefined {
  if (l.value === null || r.value === null) {
    return isNumeric(l.value as Literal) || isNumeric(r.value as Literal) || (l.value === null && r.value === null) ? NULL : undefined;
  }
  const a = l.value;
  const b = r.value;
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  const float = l.float === true || r.float === true;
  const out = (v: number): Lit | undefined => {
    if (!Number.isFinite(v)) return undefined;
    if (!float && !Number.isSafeInteger(v)) return undefined;
    return float ? { kind: 'literal', value: v, float: true } : { kind: 'literal', value: v };
  };
  switch (op) {
    case '+': return out(a + b);
    case '-': return out(a - b);
    case '*': return out(a * b);
    case '/':
      if (b === 0) return undefined;
      if (float) return out(a / b);
      if (a < 0 !== b < 0 && a !== 0) return undefined; // truncating vs flooring division
      return out(Math.trunc(a / b));
    case '%':
      if (b === 0 || a < 0 || b < 0) return undefined;
      return out(a % b);
  }
  return undefined;
}

function wildcardRegex(p: Pattern, ci: boolean): RegExp {
  let src = '';
  for (const part of p) {
    if (part.t === 'star') src += '[\\s\\S]*';
    else if (part.t === 'one') src += '[\\s\\S]';
    else src += (ci ? part.v.toLowerCase() : part.v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'u');
}

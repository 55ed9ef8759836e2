/**
 * `and` / `or` whose operands are evaluated in an order learned from the data.
 *
 * Three-valued `and` and `or` are commutative, so when no operand can throw or keep state (see
 * `isPure`), any evaluation order gives the same result. Each operand counts how often it was
 * evaluated and how often it decided the result (false for `and`, true for `or`); every PERIOD
 * evaluations the operands are re-sorted by that rate, so the one that usually decides runs
 * first (`host.os.type == "windows"` stops running before the rare `process.pid == 4`). Counts
 * are halved at each re-sort so the order follows the stream.
 */
import type { Expr } from '../ir/types.js';
import type { Fn, Scope } from './context.js';
import type { Event } from '../events/field.js';
import type { Tri } from './values.js';

const PERIOD = 1024;

/** No run-time exception and no state: field reads, literals, comparisons, matchers, boolean logic. */
export function isPure(e: Expr): boolean {
  switch (e.kind) {
    case 'literal':
    case 'field':
    case 'keyword':
      return true;
    case 'compare':
      return isPure(e.left) && isPure(e.right);
    case 'in':
      return isPure(e.expr) && e.values.every(isPure);
    case 'wildcard':
    case 'regex':
    case 'cidr':
    case 'not':
    case 'neg':
      return isPure(e.expr);
    case 'and':
    case 'or':
      return e.exprs.every(isPure);
    default:
      return false;
  }
}

/** Flatten nested operands of the same kind (`a and (b and c)` → `a, b, c`). */
export function flatten(kind: 'and' | 'or', exprs: readonly Expr[]): Expr[] {
  const out: Expr[] = [];
  for (const x of exprs) {
    if (x.kind === kind) out.push(...flatten(kind, x.exprs));
    else out.push(x);
  }
  return out;
}

function toTri(v: unknown, truthy: (v: unknown) => boolean): Tri {
  return v === null || v === undefined ? null : truthy(v);
}

/** `decisive` is false for `and`, true for `or`. */
export function adaptive(fs: Fn[], decisive: boolean, truthy: (v: unknown) => boolean): Fn {
  const n = fs.length;
  let order = fs.slice();
  let decided = new Float64Array(n);
  let evaluated = new Float64Array(n);
  let count = 0;
  const reorder = (): void => {
    count = 0;
    const rate = (i: number): number => (evaluated[i]! === 0 ? 0 : decided[i]! / evaluated[i]!);
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => rate(b) - rate(a) || a - b);
    order = idx.map((i) => order[i]!);
    decided = Float64Array.from(idx, (i) => decided[i]! / 2);
    evaluated = Float64Array.from(idx, (i) => evaluated[i]! / 2);
  };
  const rest: Tri = !decisive;
  return (ev: Event, sc: Scope) => {
    if (++count === PERIOD) reorder();
    let agg: Tri = rest;
    for (let i = 0; i < n; i++) {
      evaluated[i]!++;
      const v = toTri(order[i]!(ev, sc), truthy);
      if (v === decisive) {
        decided[i]!++;
        return decisive;
      }
      if (v === null) agg = null;
    }
    return agg;
  };
}

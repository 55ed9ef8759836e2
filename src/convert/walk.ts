/**
 * The generic IR → text walker for TextTarget specs: dispatches on Expr.kind, keeps precedence
 * with the spec's group(), and throws UnsupportedByTarget (collected per rule by index.ts) for
 * what the spec cannot say. Only conditions over fields and literals are text-convertible:
 * arithmetic, function calls and field-to-field comparisons are reported.
 */
import type { Expr, Literal } from '../ir/types.js';
import { UnsupportedByTarget } from './errors.js';
import type { TextTarget } from './text-target.js';

const PREC = { or: 1, and: 2, not: 3, atom: 4 } as const;

interface Out {
  text: string;
  prec: number;
}

function fieldOf(e: Expr, t: TextTarget): string {
  if (e.kind !== 'field') throw new UnsupportedByTarget(t.name, `a test on a computed value (${e.kind}), not a field`);
  return t.field(e.path.join('.'));
}

function literalOf(e: Expr, t: TextTarget): Literal {
  if (e.kind !== 'literal') throw new UnsupportedByTarget(t.name, `a comparison of two fields or expressions (${e.kind})`);
  return e.value;
}

/** A hook's text: a negation when it starts with the NOT operator (Lucene's, Splunk's `NOT _exists_:f`), else an atom. */
function hook(text: string): Out {
  return { text, prec: /^NOT\s/.test(text) ? PREC.not : PREC.atom };
}

function wrap(o: Out, min: number, t: TextTarget): string {
  return o.prec < min ? t.group(o.text) : o.text;
}

function join(parts: Out[], kind: 'and' | 'or', t: TextTarget): Out {
  if (parts.length === 1) return parts[0]!;
  const prec = PREC[kind];
  return { text: parts.map((p) => (grouped(p, kind, t) ? t.group(p.text) : wrap(p, prec + 1, t))).join(kind === 'and' ? t.and : t.or), prec };
}

/** For a target without the usual precedence (TextTarget.groupMixed): whether a part of a `kind` join needs a group. */
function grouped(p: Out, kind: 'and' | 'or', t: TextTarget): boolean {
  if (t.groupMixed !== true || p.prec === PREC.atom) return false;
  if (p.prec === PREC.not) return kind === 'or';
  return p.prec !== PREC[kind];
}

export function renderExpr(e: Expr, t: TextTarget): Out {
  switch (e.kind) {
    case 'and':
    case 'or':
      return join(e.exprs.map((x) => renderExpr(x, t)), e.kind, t);
    case 'not':
      return { text: t.not(wrap(renderExpr(e.expr, t), PREC.not, t)), prec: PREC.not };
    case 'literal':
      if (typeof e.value === 'boolean') return hook(e.value ? t.always : t.never);
      throw new UnsupportedByTarget(t.name, 'a bare literal as a condition');
    case 'compare': {
      let { left, right } = e;
      if (left.kind === 'literal' && right.kind === 'field') [left, right] = [right, left];
      const f = fieldOf(left, t);
      const v = literalOf(right, t);
      if (v === null) {
        if (e.op === '==') return hook(t.isNull(f));
        if (e.op === '!=') return hook(t.notNull(f));
        throw new UnsupportedByTarget(t.name, `an ordering comparison with null`);
      }
      if (e.op === '==') return { text: t.eq(f, v, e.caseInsensitive), prec: PREC.atom };
      if (e.op === '!=') return { text: t.not(t.eq(f, v, e.caseInsensitive)), prec: PREC.not };
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number') throw new UnsupportedByTarget(t.name, `an ordering comparison with a ${typeof v}`);
      if (left !== e.left) throw new UnsupportedByTarget(t.name, 'an ordering comparison written literal-first');
      return { text: t.compare(f, e.op, n), prec: PREC.atom };
    }
    case 'in': {
      const f = fieldOf(e.expr, t);
      const values = e.values.map((v) => literalOf(v, t));
      if (values.some((v) => v === null)) throw new UnsupportedByTarget(t.name, 'null in a value list');
      const out: Out = t.inList && values.length > 1 ? { text: t.inList(f, values, e.caseInsensitive), prec: PREC.atom } : join(values.map((v) => ({ text: t.eq(f, v, e.caseInsensitive), prec: PREC.atom })), 'or', t);
      return e.negated ? { text: t.not(wrap(out, PREC.not, t)), prec: PREC.not } : out;
    }
    case 'wildcard': {
      const f = fieldOf(e.expr, t);
      return join(e.patterns.map((p) => ({ text: t.wildcard(f, p, e.caseInsensitive), prec: PREC.atom })), 'or', t);
    }
    case 'regex': {
      const f = fieldOf(e.expr, t);
      return join(e.patterns.map((p) => ({ text: t.regex(f, p, e.flags), prec: PREC.atom })), 'or', t);
    }
    case 'cidr': {
      const f = fieldOf(e.expr, t);
      return join(e.cidrs.map((c) => ({ text: t.cidr(f, c), prec: PREC.atom })), 'or', t);
    }
    case 'keyword':
      throw new UnsupportedByTarget(t.name, 'a Sigma keyword search (a value in any field)');
    case 'field':
      throw new UnsupportedByTarget(t.name, 'a bare field as a condition');
    case 'call':
      throw new UnsupportedByTarget(t.name, `the function ${e.name}()`);
    case 'arith':
    case 'neg':
      throw new UnsupportedByTarget(t.name, 'arithmetic');
    case 'lineage':
      throw new UnsupportedByTarget(t.name, `an Endgame ${e.relation} of lineage query`);
  }
}

export function renderCondition(e: Expr, t: TextTarget): string {
  return renderExpr(e, t).text;
}

/**
 * What field values a rule can match, so the detector indexes rules by value instead of testing
 * every rule of a category on every event (with Elastic's ~600 Windows EQL rules, most process
 * rules name the process: `process.name : ("cmd.exe", …)`).
 *
 * `valueGate(query)` returns alternatives `{ field, values }`: the rule can only match an event
 * for which some alternative's field holds one of its values (compared as lower-cased text, so
 * the gate is a superset of `==`, `in` and `:` without wildcards). It is derived from each
 * stage's condition: in an `and` the most selective operand that gives one; an `or` gives the
 * union of its operands' (all must give one); `not` and anything else give none. A rule gets a
 * gate only if every stage (missing-event and `until` stages too) has one.
 */
import type { Expr, Query, Stage } from '../ir/types.js';

export interface ValueAlternative {
  /** Dotted ECS field name. */
  field: string;
  /** Lower-cased text of the values. */
  values: string[];
}

/** Fields too common to narrow anything (or indexed elsewhere): never used as a gate. */
const USELESS = new Set(['event.type', 'host.os.type', 'host.os.family', 'host.os.platform', 'event.kind', 'event.outcome', 'event.dataset', 'event.module', 'data_stream.dataset', 'agent.type']);

const fieldName = (e: Expr): string | null =>
  e.kind === 'field' && e.path.every((p) => typeof p === 'string') ? (e.path as string[]).join('.') : null;

const literalText = (e: Expr): string | null =>
  e.kind === 'literal' && (typeof e.value === 'string' || typeof e.value === 'number' || typeof e.value === 'bigint') ? String(e.value).toLowerCase() : null;

/**
 * Fields whose values many events share (`event.action == "start"`, `network.direction`): a gate on
 * them is kept only when no operand gives a gate on a more specific field.
 */
const BROAD = new Set(['event.action', 'event.provider', 'network.direction', 'network.protocol', 'network.type', 'network.transport', 'user.domain', 'process.code_signature.status', 'process.code_signature.trusted', 'dns.question.type']);

/** Cost of a gate: a broad field costs most, then more alternatives and values. */
function cost(alts: ValueAlternative[]): number {
  return alts.reduce((n, a) => n + a.values.length + (BROAD.has(a.field) ? 1000 : 0), 0) + alts.length * 4;
}

export function necessary(e: Expr): ValueAlternative[] | null {
  switch (e.kind) {
    case 'compare': {
      if (e.op !== '==') return null;
      const [f, l] = e.left.kind === 'field' ? [e.left, e.right] : [e.right, e.left];
      const name = fieldName(f);
      const v = literalText(l);
      return name && v !== null && !USELESS.has(name) ? [{ field: name, values: [v] }] : null;
    }
    case 'in': {
      if (e.negated) return null;
      const name = fieldName(e.expr);
      if (!name || USELESS.has(name)) return null;
      const vs = e.values.map(literalText);
      return vs.every((v): v is string => v !== null) ? [{ field: name, values: [...new Set(vs)] }] : null;
    }
    case 'wildcard': {
      const name = fieldName(e.expr);
      if (!name || USELESS.has(name)) return null;
      const vs: string[] = [];
      for (const p of e.patterns) {
        if (p.length !== 1 || p[0]!.t !== 'lit') return null;
        vs.push(p[0]!.v.toLowerCase());
      }
      return [{ field: name, values: [...new Set(vs)] }];
    }
    case 'and': {
      let best: ValueAlternative[] | null = null;
      for (const x of e.exprs) {
        const g = necessary(x);
        if (g && (!best || cost(g) < cost(best))) best = g;
      }
      return best;
    }
    case 'or': {
      const out: ValueAlternative[] = [];
      for (const x of e.exprs) {
        const g = necessary(x);
        if (!g) return null;
        out.push(...g);
      }
      return merge(out);
    }
    default:
      return null;
  }
}

function merge(alts: ValueAlternative[]): ValueAlternative[] {
  const by = new Map<string, Set<string>>();
  for (const a of alts) {
    const s = by.get(a.field) ?? new Set<string>();
    for (const v of a.values) s.add(v);
    by.set(a.field, s);
  }
  return [...by].map(([field, s]) => ({ field, values: [...s] }));
}

/** A query's event stages (until included), or null for queries with none (pipes-only etc.). */
export function stagesOf(q: Query): Stage[] | null {
  switch (q.kind) {
    case 'event':
      return [{ query: q.query, by: [] }];
    case 'sequence':
    case 'join':
      return [...q.stages, ...(q.until ? [q.until] : [])];
    case 'sample':
      return q.stages;
    default:
      return null;
  }
}

/**
 * Per event category (null: a stage of `any` category), the value gate of the stages of that
 * category: null when one of them can match without one. A rule is fed an event of category C
 * only if C's gate lets it through, so a sequence whose network stage has no gate is still
 * gated on its process stage's names for process events.
 */
export function stageGates(q: Query): Map<string | null, ValueAlternative[] | null> | null {
  const stages = stagesOf(q);
  if (!stages) return null;
  const out = new Map<string | null, ValueAlternative[] | null>();
  for (const s of stages) {
    const cat = s.query.category === 'any' ? null : s.query.category;
    const g = necessary(s.query.where);
    if (!out.has(cat)) out.set(cat, g);
    else {
      const prev = out.get(cat)!;
      out.set(cat, prev && g ? merge([...prev, ...g]) : null);
    }
  }
  return out;
}

/** The value gate of a rule's query, or null when some stage can match without one. */
export function valueGate(q: Query): ValueAlternative[] | null {
  const stages = stagesOf(q);
  if (!stages) return null;
  const out: ValueAlternative[] = [];
  for (const s of stages) {
    const g = necessary(s.query.where);
    if (!g) return null;
    out.push(...g);
  }
  return merge(out);
}

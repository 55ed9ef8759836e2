/**
 * Expression compiler: IR → specialised closures (no tree walking at run time).
 *
 * Every compiled expression returns a value where `null`/`undefined` mean "missing"; boolean
 * operators use three-valued logic (true / false / null) and a query matches only on a truthy
 * result. Multi-valued fields compare true when any element does.
 */
import type { CompareOp, EventQuery, Expr, Literal, PathStep } from '../ir/types.js';
import { getField, NO_DOTTED_KEYS, type Event } from '../events/field.js';
import { joinedText } from '../events/multi-value.js';
import { compileRegex } from '../ir/regex.js';
import type { CompileContext, Fn, Scope } from './context.js';
import { adaptive, flatten, isPure } from './adaptive.js';
import { compileCidrs } from './cidr.js';
import { EngineError, functionImpl } from './functions.js';
import { compileLineage } from './lineage.js';
import { lowerAny, lowerIn, lowerSlot } from './lower.js';
import { compilePatterns, type StringTest } from './pattern.js';
import { compilePatternSet } from './pattern-set.js';
import { compareScalars, equalScalars, isNullish, scalarText, type Tri } from './values.js';
import { compareInstants, parseIso, parseTimestamp } from '../events/timestamp.js';
import { ECS_DATE_FIELDS } from './date-fields.js';

/** Truthiness used by `where` clauses and boolean operators (python eql semantics). */
export function truthy(v: unknown): boolean {
  if (v === true) return true;
  if (v === false || v === null || v === undefined) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return typeof v === 'object' ? Object.keys(v as object).length > 0 : Boolean(v);
}

function toTri(v: unknown): Tri {
  return v === null || v === undefined ? null : truthy(v);
}

/** Compiled accessor: nested lookup first, `getField` (dotted / mixed keys) as the fallback. */
export function compileAccessor(path: readonly PathStep[], dialect: CompileContext['dialect']): (obj: unknown) => unknown {
  const p = [...path];
  const fallback =
    dialect === 'endgame'
      ? (o: unknown) => {
          const v = getField(o, p);
          return v !== undefined ? v : endgameStringStep(o, p);
        }
      : (o: unknown) => getField(o, p);
  if (p.length === 0) return (o) => o;
  if (p.length === 1 && typeof p[0] === 'number') {
    const k = p[0];
    return (o) => (Array.isArray(o) ? o[k] : undefined);
  }
  if (p.length <= 4 && p.every((s) => typeof s === 'string')) {
    // A miss on the nested walk of an event without dotted keys (events/field.ts markIfNested) is final.
    const onMiss = dialect === 'endgame' ? fallback : (o: unknown) => ((o as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] === true ? undefined : fallback(o));
    return nestedAccessor(p as string[], onMiss);
  }
  return (o) => (o !== null && typeof o === 'object' ? fallback(o) : undefined);
}

type AccessorFactory = (fallback: (o: unknown) => unknown) => (o: unknown) => unknown;
const accessorFactories = new Map<string, AccessorFactory>();

/**
 * A nested lookup generated for one path, so every property load has a constant name and its own
 * inline cache (closures from one shared body share one megamorphic cache across all paths).
 * Names are embedded as JSON string literals; one factory per distinct path. On a miss below the
 * first step, `fallback` resolves dotted and mixed keys.
 */
function nestedAccessor(path: string[], fallback: (o: unknown) => unknown): (obj: unknown) => unknown {
  const id = JSON.stringify(path);
  let make = accessorFactories.get(id);
  if (!make) {
    const names = path.map((k) => JSON.stringify(k));
    let body = "if (o === null || typeof o !== 'object') return undefined;\n";
    if (names.length === 1) body += `return o[${names[0]}];`;
    else {
      body += 'let x = o;\n';
      names.forEach((n, i) => {
        body +=
          i === names.length - 1
            ? `const v = x[${n}];\nif (v !== undefined) return v;\nreturn fallback(o);`
            : `x = x[${n}];\nif (x === null || typeof x !== 'object') return fallback(o);\n`;
      });
    }
    make = new Function('fallback', `return function access(o) {\n${body}\n};`) as AccessorFactory;
    accessorFactories.set(id, make);
  }
  return make(fallback);
}

/** python eql: `subtype.create` on a string field means `subtype == "create"`. */
function endgameStringStep(o: unknown, path: PathStep[]): unknown {
  let cur: unknown = o;
  for (const step of path) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur === 'string' && typeof step === 'string') cur = cur === step;
    else if (typeof cur === 'object') cur = (cur as Record<string | number, unknown>)[step];
    else return undefined;
  }
  return cur;
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;

function literalValue(e: Expr): { ok: true; value: Literal } | { ok: false } {
  return e.kind === 'literal' ? { ok: true, value: e.value } : { ok: false };
}

/**
 * Apply `test` to a value or, for arrays, to each element: true if any element is true. A
 * multi-valued field that also reads as one text (events/multi-value.ts: unnamed EventData `Data`)
 * is true when its joined text is.
 */
function anyOf(v: unknown, test: (x: unknown) => Tri): Tri {
  if (Array.isArray(v)) {
    let sawNull = false;
    for (const x of v) {
      const r = test(x);
      if (r === true) return true;
      if (r === null) sawNull = true;
    }
    const joined = joinedText(v);
    if (joined !== undefined && test(joined) === true) return true;
    return v.length === 0 ? null : sawNull ? null : false;
  }
  return test(v);
}

function orderTest(op: CompareOp, c: number): boolean {
  switch (op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function compileCompare(e: Extract<Expr, { kind: 'compare' }>, ctx: CompileContext): Fn {
  const { op } = e;
  // Endgame compares strings case-insensitively for ordering as well as equality.
  const ci = e.caseInsensitive || ctx.dialect === 'endgame';
  let left = e.left;
  let right = e.right;
  let flipped: CompareOp = op;
  // Put a literal on the right so the common `field op literal` shape is specialised.
  if (left.kind === 'literal' && right.kind !== 'literal') {
    [left, right] = [right, left];
    flipped = ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' } as const)[op];
  }
  const lf = compileInner(left, ctx);
  const lit = literalValue(right);
  if (ctx.dialect === 'elasticsearch' && lit.ok && typeof lit.value === 'string' && left.kind === 'field' && ECS_DATE_FIELDS.has(left.path.join('.'))) {
    const k = NUMERIC_TEXT.test(lit.value) ? null : parseIso(lit.value);
    if (k) {
      // A date field against a date string: compare instants (ISO text or epoch numbers in the event).
      const test = (x: unknown): Tri => {
        const t = parseTimestamp(x);
        return t === null ? null : orderTest(flipped === '!=' ? '==' : flipped, compareInstants(t, k));
      };
      if (flipped !== '!=') return (ev, sc) => anyOf(lf(ev, sc), test);
      return (ev, sc) => {
        const r = anyOf(lf(ev, sc), test);
        return r === null ? null : !r;
      };
    }
  }
  if (lit.ok && lit.value === null) {
    // `x == null` / `x != null`: presence tests, never null themselves.
    if (flipped === '==') return (ev, sc) => isNullish(lf(ev, sc));
    if (flipped === '!=') return (ev, sc) => !isNullish(lf(ev, sc));
    return () => null;
  }
  if (lit.ok && typeof lit.value === 'string' && (flipped === '==' || flipped === '!=')) {
    const k = ci ? lit.value.toLowerCase() : lit.value;
    const len = k.length;
    const numeric = NUMERIC_TEXT.test(k) ? Number(k) : null;
    const slot = ci ? memoSlot(left) : -1;
    const eq = (x: unknown): Tri => {
      if (typeof x === 'string') return ci ? x.length === len && (slot >= 0 ? lowerIn(slot, x) : x.toLowerCase()) === k : x === k;
      if (isNullish(x)) return null;
      if (numeric !== null && (typeof x === 'number' || typeof x === 'bigint')) return compareScalars(x, numeric, false) === 0;
      return equalScalars(x, k, false);
    };
    if (flipped === '==') return (ev, sc) => anyOf(lf(ev, sc), eq);
    return (ev, sc) => {
      const r = anyOf(lf(ev, sc), eq);
      return r === null ? null : !r;
    };
  }
  if (lit.ok && typeof lit.value === 'number') {
    const k = lit.value;
    const test = (x: unknown): Tri => {
      if (typeof x === 'number') return orderTest(flipped, x < k ? -1 : x > k ? 1 : x === k ? 0 : NaN);
      if (isNullish(x)) return null;
      // A number written as text (`"4688"` from an XML rendering, a keyword field) compares as
      // the number, as Elasticsearch coerces a numeric literal to the field's type.
      if (typeof x === 'string' && NUMERIC_TEXT.test(x)) return orderTest(flipped, compareScalars(Number(x), k, false)!);
      const c = compareScalars(x, k, false);
      return c === undefined ? null : orderTest(flipped, c);
    };
    if (flipped === '!=') {
      const eqTest = (x: unknown): Tri => {
        const t = test(x);
        return t === null ? null : !t;
      };
      return (ev, sc) => {
        const r = anyOf(lf(ev, sc), eqTest);
        return r === null ? null : !r;
      };
    }
    return (ev, sc) => anyOf(lf(ev, sc), test);
  }
  const rf = compileInner(right, ctx);
  const pair = (x: unknown, y: unknown): Tri => {
    if (isNullish(x) || isNullish(y)) return null;
    if (flipped === '==' || flipped === '!=') {
      const r = equalScalars(x, y, ci);
      return r === null ? null : flipped === '==' ? r : !r;
    }
    const c = compareScalars(x, y, ci);
    return c === undefined ? null : orderTest(flipped, c);
  };
  if (lit.ok) {
    // Any other literal (a boolean, a bigint…): no closure per evaluation.
    const y = lit.value;
    const one = (x: unknown): Tri => pair(x, y);
    return (ev, sc) => anyOf(lf(ev, sc), one);
  }
  return (ev, sc) => {
    const x = lf(ev, sc);
    const y = rf(ev, sc);
    if (!Array.isArray(y)) return anyPair(x, y, pair);
    let sawNull = false;
    for (const yy of y) {
      const r = anyPair(x, yy, pair);
      if (r === true) return true;
      if (r === null) sawNull = true;
    }
    return y.length === 0 || sawNull ? null : false;
  };
}

/** `anyOf(x, (xx) => pair(xx, y))` without a closure per call. */
function anyPair(x: unknown, y: unknown, pair: (x: unknown, y: unknown) => Tri): Tri {
  if (!Array.isArray(x)) return pair(x, y);
  let sawNull = false;
  for (const xx of x) {
    const r = pair(xx, y);
    if (r === true) return true;
    if (r === null) sawNull = true;
  }
  const joined = joinedText(x);
  if (joined !== undefined && pair(joined, y) === true) return true;
  return x.length === 0 || sawNull ? null : false;
}

function setKey(v: unknown, ci: boolean): unknown {
  if (typeof v === 'string') return ci ? v.toLowerCase() : v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}

function compileIn(e: Extract<Expr, { kind: 'in' }>, ctx: CompileContext): Fn {
  const ci = e.caseInsensitive;
  const vf = compileInner(e.expr, ctx);
  const slot = ci ? memoSlot(e.expr) : -1;
  let member: (x: unknown, ev: Event, sc: Scope) => Tri;
  if (e.values.every((v) => v.kind === 'literal')) {
    const set = new Set<unknown>(e.values.map((v) => setKey((v as { value: Literal }).value, ci)));
    // Numbers and numeric text meet each other (see NUMERIC_TEXT); the extra lookups only happen
    // when the list holds such values.
    const hasNumbers = [...set].some((v) => typeof v === 'number');
    const hasNumericText = [...set].some((v) => typeof v === 'string' && NUMERIC_TEXT.test(v));
    const one = (x: unknown): Tri => {
      if (typeof x === 'string') {
        if (set.has(ci ? (slot >= 0 ? lowerIn(slot, x) : x.toLowerCase()) : x)) return true;
        return hasNumbers && NUMERIC_TEXT.test(x) ? set.has(Number(x)) : false;
      }
      if (isNullish(x)) return null;
      if (set.has(setKey(x, ci))) return true;
      return hasNumericText && typeof x === 'number' ? set.has(String(x)) : false;
    };
    if (e.negated) {
      return (ev, sc) => {
        const r = anyOf(vf(ev, sc), one);
        return r === null ? null : !r;
      };
    }
    return (ev, sc) => anyOf(vf(ev, sc), one);
  } else {
    const fs = e.values.map((v) => compileInner(v, ctx));
    const memberPair = (yy: unknown, x: unknown): Tri => (isNullish(yy) ? null : equalScalars(x, yy, ci));
    member = (x, ev, sc) => {
      if (isNullish(x)) return null;
      let sawNull = false;
      for (const f of fs) {
        const r = anyPair(f(ev, sc), x, memberPair);
        if (r === true) return true;
        if (r === null) sawNull = true;
      }
      return sawNull ? null : false;
    };
  }
  const anyMember = (v: unknown, ev: Event, sc: Scope): Tri => {
    if (!Array.isArray(v)) return member(v, ev, sc);
    let sawNull = false;
    for (const x of v) {
      const r = member(x, ev, sc);
      if (r === true) return true;
      if (r === null) sawNull = true;
    }
    const joined = joinedText(v);
    if (joined !== undefined && member(joined, ev, sc) === true) return true;
    return v.length === 0 || sawNull ? null : false;
  };
  if (e.negated) {
    return (ev, sc) => {
      const r = anyMember(vf(ev, sc), ev, sc);
      return r === null ? null : !r;
    };
  }
  return (ev, sc) => anyMember(vf(ev, sc), ev, sc);
}

/** Lower-casing memo slot for a field (see lower.ts); -1 for computed values, lower-cased each time. */
function memoSlot(e: Expr): number {
  return e.kind === 'field' ? lowerSlot(e.path) : -1;
}

/** Wildcard / regex style test on the text of a value (numbers and booleans match their text). */
function textMatcher(vf: Fn, test: StringTest, lower: boolean, slot: number): Fn {
  const one = (x: unknown): Tri => {
    if (typeof x === 'string') return test(lower ? (slot >= 0 ? lowerIn(slot, x) : x.toLowerCase()) : x);
    if (isNullish(x)) return null;
    const t = scalarText(x);
    return t === null ? false : test(lower ? t.toLowerCase() : t);
  };
  return (ev, sc) => anyOf(vf(ev, sc), one);
}

function compileKeyword(e: Extract<Expr, { kind: 'keyword' }>): Fn {
  const test = compilePatterns(e.patterns, e.caseInsensitive);
  const ci = e.caseInsensitive;
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return test(ci ? lowerAny(v) : v);
    if (typeof v === 'number' || typeof v === 'bigint') return test(String(v));
    if (v === null || typeof v !== 'object' || depth > 32) return false;
    if (Array.isArray(v)) {
      for (const x of v) if (walk(x, depth + 1)) return true;
      return false;
    }
    for (const k in v as Record<string, unknown>) if (walk((v as Record<string, unknown>)[k], depth + 1)) return true;
    return false;
  };
  return (ev) => walk(ev, 0);
}

function compileCall(e: Extract<Expr, { kind: 'call' }>, ctx: CompileContext): Fn {
  const name = e.name;
  const lname = name.toLowerCase();
  if (lname === 'safe') {
    if (e.args.length !== 1) throw new EngineError('safe() takes 1 argument');
    const f = compileInner(e.args[0]!, ctx);
    return (ev, sc) => {
      try {
        return f(ev, sc);
      } catch {
        return null;
      }
    };
  }
  if (lname === 'arraysearch' || lname === 'arraycount') {
    const [arrE, varE, bodyE] = e.args;
    // The variable arrives as a bare field name or as its name in a string literal.
    const varName =
      varE?.kind === 'field' && varE.path.length === 1 && typeof varE.path[0] === 'string'
        ? varE.path[0]
        : varE?.kind === 'literal' && typeof varE.value === 'string'
          ? varE.value
          : null;
    if (e.args.length !== 3 || varName === null) {
      throw new EngineError(`${name}(array, variable, expression): the second argument must be a bare name`);
    }
    const arr = compileInner(arrE!, ctx);
    const slot = ctx.vars.length;
    ctx.vars.push(varName);
    let body: Fn;
    try {
      body = compileInner(bodyE!, ctx);
    } finally {
      ctx.vars.pop();
    }
    const count = lname === 'arraycount';
    return (ev, sc) => {
      const a = arr(ev, sc);
      if (!Array.isArray(a)) return count ? 0 : false;
      const inner = sc.slice(0, slot);
      let n = 0;
      for (const item of a) {
        inner[slot] = item;
        if (truthy(body(ev, inner))) {
          if (!count) return true;
          n++;
        }
      }
      return count ? n : false;
    };
  }
  const impl = functionImpl(name);
  if (!impl) throw new EngineError(`unknown function ${name}()`);
  return impl(
    e.args.map((a) => compileInner(a, ctx)),
    e.args,
    e.caseInsensitive,
    ctx,
  );
}

function compileField(e: Extract<Expr, { kind: 'field' }>, ctx: CompileContext): Fn {
  const head = e.path[0];
  if (typeof head === 'string') {
    const slot = ctx.vars.lastIndexOf(head);
    if (slot >= 0) {
      const rest = compileAccessor(e.path.slice(1), ctx.dialect);
      return (_ev, sc) => rest(sc[slot]);
    }
  }
  // The accessor ignores the scope argument, so it serves as the compiled expression directly.
  return compileAccessor(e.path, ctx.dialect);
}

function compileArith(e: Extract<Expr, { kind: 'arith' }>, ctx: CompileContext): Fn {
  const names = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'modulo' } as const;
  return compileCall({ kind: 'call', name: names[e.op], args: [e.left, e.right], caseInsensitive: false }, ctx);
}

/** True when the event's category value (a string or, in ECS, an array) is `cat`. */
export function categoryIs(c: unknown, cat: string): boolean {
  if (c === cat) return true;
  if (!Array.isArray(c)) return false;
  for (let i = 0; i < c.length; i++) if (c[i] === cat) return true;
  return false;
}

/**
 * True when Elasticsearch translates `e` to a Query DSL query (term, terms, range, wildcard,
 * regexp, prefix, exists, or a bool of such) rather than a script: a plain field compared with
 * literals. Mirrors QueryTranslator / ExpressionTranslators (x-pack/plugin/eql, x-pack/plugin/ql).
 */
function isQueryLeaf(e: Expr): boolean {
  const isField = (x: Expr) => x.kind === 'field';
  const isLit = (x: Expr) => x.kind === 'literal';
  switch (e.kind) {
    case 'field':
      return true;
    case 'compare':
      return (isField(e.left) && isLit(e.right)) || (isLit(e.left) && isField(e.right));
    case 'in':
      return isField(e.expr) && e.values.every(isLit);
    case 'wildcard':
    case 'regex':
    case 'cidr':
      return isField(e.expr);
    case 'call':
      // startsWith → prefix query; case-sensitive stringContains → wildcard query.
      return (
        ((e.name === 'startsWith' || e.name === 'startswith') || (e.name === 'stringContains' && !e.caseInsensitive)) &&
        e.args.length === 2 && isField(e.args[0]!) && isLit(e.args[1]!)
      );
    default:
      return false;
  }
}

/** Whether Elasticsearch evaluates `e` (in a where clause) as one script: three-valued inside. */
function isScript(e: Expr): boolean {
  if (e.kind === 'and' || e.kind === 'or') return false;
  if (e.kind === 'not') return isScript(e.expr);
  if (e.kind === 'literal') return false;
  return !isQueryLeaf(e);
}

/**
 * A `where` clause with Elasticsearch's logic (see EngineOptions.nullLogic): returns booleans.
 * and/or/not of queries are bool queries (two-valued); a script leaf is true only when its
 * three-valued value is truthy; `field != literal` is must_not(term), so it matches a missing field.
 */
export function compileCondition(e: Expr, ctx: CompileContext): Fn {
  if (!ctx.esLogic) return compileInner(e, ctx);
  switch (e.kind) {
    case 'and': {
      const fs = e.exprs.map((x) => compileCondition(x, ctx));
      if (fs.length === 2) {
        const [a, b] = fs as [Fn, Fn];
        return (ev, sc) => a(ev, sc) === true && b(ev, sc) === true;
      }
      return (ev, sc) => {
        for (let i = 0; i < fs.length; i++) if (fs[i]!(ev, sc) !== true) return false;
        return true;
      };
    }
    case 'or': {
      const fs = e.exprs.map((x) => compileCondition(x, ctx));
      return (ev, sc) => {
        for (let i = 0; i < fs.length; i++) if (fs[i]!(ev, sc) === true) return true;
        return false;
      };
    }
    case 'not': {
      if (isScript(e.expr)) {
        const f = compileInner(e, ctx);
        return (ev, sc) => truthy(f(ev, sc));
      }
      const f = compileCondition(e.expr, ctx);
      return (ev, sc) => f(ev, sc) !== true;
    }
    case 'compare': {
      const lit = e.right.kind === 'literal' ? e.right : e.left.kind === 'literal' ? e.left : null;
      if (e.op === '!=' && isQueryLeaf(e) && lit && lit.value !== null) {
        const eq = compileInner({ ...e, op: '==' }, ctx);
        return (ev, sc) => eq(ev, sc) !== true;
      }
      break;
    }
  }
  const f = compileInner(e, ctx);
  return (ev, sc) => truthy(f(ev, sc));
}

/**
 * An EventQuery split in two: the category (null = any) and the compiled condition. `adapt`: a
 * top-level `and` of pure operands learns its evaluation order from the stream (adaptive.ts);
 * sequences use it, where most events fail a stage on one cheap operand.
 */
export function compileEventQueryParts(q: EventQuery, ctx: CompileContext, adapt = false): { category: string | null; where: Fn } {
  const category = q.category === null || q.category === 'any' ? null : q.category;
  if (adapt && q.where.kind === 'and') {
    const exprs = flatten('and', q.where.exprs);
    if (exprs.length > 1 && exprs.every(isPure)) {
      return { category, where: adaptive(exprs.map((x) => compileCondition(x, ctx)), false, truthy) };
    }
  }
  return { category, where: compileCondition(q.where, ctx) };
}

/** Compile an EventQuery (category + condition) to a boolean test (`adapt`: see compileEventQueryParts). */
export function compileEventQuery(q: EventQuery, ctx: CompileContext, adapt = false): (ev: Event, sc: Scope) => boolean {
  const { category: cat, where } = compileEventQueryParts(q, ctx, adapt);
  if (cat === null) return (ev, sc) => truthy(where(ev, sc));
  const getCat = ctx.category;
  return (ev, sc) => categoryIs(getCat(ev), cat) && truthy(where(ev, sc));
}

export function compileInner(e: Expr, ctx: CompileContext): Fn {
  switch (e.kind) {
    case 'literal': {
      const v = e.value;
      return () => v;
    }
    case 'field':
      return compileField(e, ctx);
    case 'not': {
      const f = compileInner(e.expr, ctx);
      return (ev, sc) => {
        const v = f(ev, sc);
        return isNullish(v) ? null : !truthy(v);
      };
    }
    case 'and': {
      const fs = e.exprs.map((x) => compileInner(x, ctx));
      if (fs.length === 2) {
        const [a, b] = fs as [Fn, Fn];
        return (ev, sc) => {
          const x = toTri(a(ev, sc));
          if (x === false) return false;
          const y = toTri(b(ev, sc));
          if (y === false) return false;
          return x === null || y === null ? null : true;
        };
      }
      return (ev, sc) => {
        let agg: Tri = true;
        for (const f of fs) {
          const v = toTri(f(ev, sc));
          if (v === false) return false;
          if (v === null) agg = null;
        }
        return agg;
      };
    }
    case 'or': {
      const fs = e.exprs.map((x) => compileInner(x, ctx));
      return (ev, sc) => {
        let agg: Tri = false;
        for (const f of fs) {
          const v = toTri(f(ev, sc));
          if (v === true) return true;
          if (v === null) agg = null;
        }
        return agg;
      };
    }
    case 'compare':
      return compileCompare(e, ctx);
    case 'in':
      return compileIn(e, ctx);
    case 'wildcard':
      return textMatcher(compileInner(e.expr, ctx), compilePatternSet(e.patterns, e.caseInsensitive), e.caseInsensitive, memoSlot(e.expr));
    case 'regex': {
      const res = e.patterns.map((p) => {
        try {
          return compileRegex(p, e.flags);
        } catch (err) {
          throw new EngineError(`invalid regular expression /${p}/${e.flags}: ${(err as Error).message}`);
        }
      });
      const test: StringTest = res.length === 1 ? (s) => res[0]!.test(s) : (s) => res.some((r) => r.test(s));
      return textMatcher(compileInner(e.expr, ctx), test, false, -1);
    }
    case 'call':
      return compileCall(e, ctx);
    case 'arith':
      return compileArith(e, ctx);
    case 'neg': {
      const f = compileInner(e.expr, ctx);
      return (ev, sc) => {
        const v = f(ev, sc);
        if (typeof v === 'number') return -v;
        if (typeof v === 'bigint') return -v;
        return null;
      };
    }
    case 'lineage':
      return compileLineage(e.relation, e.query, ctx, (q) => compileEventQuery(q, ctx));
    case 'keyword':
      return compileKeyword(e);
    case 'cidr': {
      const test = compileCidrs(e.cidrs);
      return textMatcher(compileInner(e.expr, ctx), test, false, -1);
    }
  }
}

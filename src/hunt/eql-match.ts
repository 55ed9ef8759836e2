/**
 * Selecting the ECS-view (EQL) rules an event can match with the multi-rule matcher of
 * engine/multi-match (the Sigma matcher), so a whole rule pack costs one read of each needed
 * field per event instead of one evaluation per candidate rule.
 *
 * Each stage (until and missing-event stages too) of each rule is one matcher input, keyed by its
 * event category. The matcher selects inputs whose necessary literals occur in their fields; a
 * rule is fed an event when one of its stages is selected. The matcher derives necessary literals
 * from case-insensitive wildcards; `gateExpr` rewrites a stage condition into a condition the
 * matcher understands that is implied by it (a superset: `==` / `in` against strings, booleans or
 * small integers (numberPatterns), order comparisons with a number (numericPresence) and
 * case-sensitive `like` become case-insensitive wildcards; everything it cannot reason about
 * becomes `true`). Rules are still decided by their own compiled queries, on the stages selected
 * only (`stages`: a sequence selected for its second stage does not test its first on the event).
 */
import type { Expr, Pattern, Query, Rule, Stage } from '../ir/types.js';
import { MultiMatcher, necessaryClauses, type Clause, type MultiMatchOptions, type MultiRuleInput } from '../engine/multi-match/index.js';
import { anchoredBranches } from '../engine/multi-match/necessary.js';
import { ECS_DATE_FIELDS } from '../engine/date-fields.js';
import { compileAccessor } from '../engine/expr.js';
import { scalarText } from '../engine/values.js';
import { joinedText } from '../events/multi-value.js';
import { stageBit } from '../engine/sequence.js';
import { stagesOf } from './rule-index.js';

const TRUE: Expr = { kind: 'literal', value: true };

/**
 * Longest needle of the EQL matcher's atoms (necessaryClauses): Elastic's registry and file path
 * patterns share their first 20 characters by the hundred, which the default cut made useless.
 */
const EQL_NEEDLE = 64;

const plainPath = (e: Expr): string | null => (e.kind === 'field' && e.path.every((p) => typeof p === 'string') ? (e.path as string[]).join('.') : null);

/** The engine's numeric text (engine/expr.ts NUMERIC_TEXT): such a string literal also equals a number field by value. */
const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * The texts a field's value must show (the matcher reads a number as its String()) for it to
 * equal a string literal: the literal itself, and for a numeric literal (`event.code == "5137"`,
 * which a number field 5137 meets by value) also its number's text ("4.50" → "4.5"). Other
 * numeric-looking strings (" 12", "1e3", integers past 2^53) and date fields (compared as
 * instants) give none: the stage is then not gated on them.
 */
function exactTexts(field: Expr, lit: Expr): string[] | null {
  const path = plainPath(field);
  if (path === null || ECS_DATE_FIELDS.has(path)) return null;
  if (lit.kind !== 'literal' || typeof lit.value !== 'string') return null;
  const s = lit.value;
  if (s.trim() !== '' && Number.isFinite(Number(s))) {
    if (!NUMERIC_TEXT.test(s) || Math.abs(Number(s)) > Number.MAX_SAFE_INTEGER) return null;
    const n = String(Number(s));
    return n === s ? [s] : [s, n];
  }
  return [s];
}

/** Largest magnitude of an integer literal the matcher gates on (numberPatterns). */
const NUMBER_GATE_MAX = 1_000_000;

/** A pattern matching any text that contains `t`. */
const contains = (t: string): Pattern => [{ t: 'star' }, { t: 'lit', v: t }, { t: 'star' }];

/** The number of `lit` when `field` is a plain field other than a date (compared as instants); else null. */
function gatedNumber(field: Expr, lit: Expr): number | null {
  const path = plainPath(field);
  if (path === null || ECS_DATE_FIELDS.has(path)) return null;
  return lit.kind === 'literal' && typeof lit.value === 'number' ? lit.value : null;
}

/**
 * Patterns one of which a field's text shows (as the matcher reads it: a number's or bigint's
 * String(), a string as is) whenever the field equals the number literal `lit` for the engine
 * (engine/expr.ts: a number or bigint of that value, or numeric text, /^-?\d+(\.\d+)?$/, whose
 * Number() is that value): `*445*`, and for a nonzero literal `*444.9999999999*`. Numeric text
 * equal to an integer N with |N| ≤ NUMBER_GATE_MAX lies within half an ulp (≤ 2^-34) of N, so its
 * integer digits are |N|'s (after leading zeros), or |N| − 1's followed by a fraction of at least
 * ten nines (`444.99999999999999999` reads as 445). Null (no gate) for other literals: fractions,
 * larger integers, date fields.
 */
function numberPatterns(field: Expr, lit: Expr): Pattern[] | null {
  const v = gatedNumber(field, lit);
  if (v === null) return null;
  const n = Math.abs(v);
  if (!Number.isInteger(n) || n > NUMBER_GATE_MAX) return null;
  return n === 0 ? [contains('0')] : [contains(String(n)), contains(`${n - 1}.9999999999`)];
}

/**
 * Patterns one of which a field's text shows whenever an order comparison (`<`, `<=`, `>`, `>=`)
 * with the number literal `lit` holds (`process.parent.Ext.real.pid > 0`): the engine orders only a
 * number, a bigint or numeric text against a number (anything else, a missing field too, gives
 * null), and each of those shows a digit, or is NaN or ±Infinity. Null (no gate) for other
 * literals and date fields.
 */
function numericPresence(field: Expr, lit: Expr): Pattern[] | null {
  return gatedNumber(field, lit) === null ? null : NUMBER_SIGNS;
}
const NUMBER_SIGNS: Pattern[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'nan', 'infinity'].map(contains);

/**
 * The patterns a field equal to literal `lit` shows: its exact texts (a string), numberPatterns (a
 * number), or `true` / `false` (a boolean: the engine finds only a boolean equal to it, which the
 * matcher reads as that text); null: none.
 */
function literalPatterns(field: Expr, lit: Expr): Pattern[] | null {
  if (lit.kind === 'literal' && typeof lit.value === 'number') return numberPatterns(field, lit);
  if (lit.kind === 'literal' && typeof lit.value === 'boolean') return plainPath(field) === null ? null : [[{ t: 'lit', v: String(lit.value) }]];
  const ts = exactTexts(field, lit);
  return ts === null ? null : ts.map((t) => [{ t: 'lit', v: t }]);
}

/** The gate "one of `patterns` holds on `field`" (case-insensitive); true when there are none. */
const anyPattern = (field: Expr, patterns: Pattern[] | null): Expr => (patterns === null ? TRUE : { kind: 'wildcard', expr: field, patterns, caseInsensitive: true });

/** A condition implied by `e` that engine/multi-match can derive necessary literals from. */
export function gateExpr(e: Expr): Expr {
  switch (e.kind) {
    case 'and':
      return { kind: 'and', exprs: e.exprs.map(gateExpr) };
    case 'or':
      return { kind: 'or', exprs: e.exprs.map(gateExpr) };
    case 'compare': {
      const [f, l] = e.left.kind === 'field' ? [e.left, e.right] : [e.right, e.left];
      // `!=` holds for a missing field (as in Elasticsearch): no gate.
      if (e.op === '!=') return TRUE;
      return anyPattern(f, e.op === '==' ? literalPatterns(f, l) : numericPresence(f, l));
    }
    case 'in': {
      if (e.negated || e.values.length === 0) return TRUE;
      const ps = e.values.map((v) => literalPatterns(e.expr, v));
      return anyPattern(e.expr, ps.some((p) => p === null) ? null : (ps as Pattern[][]).flat());
    }
    case 'wildcard':
      // Case-sensitive `like` implies its case-insensitive form. Date fields are left alone.
      if (plainPath(e.expr) === null || ECS_DATE_FIELDS.has(plainPath(e.expr)!)) return TRUE;
      return e.caseInsensitive ? e : { ...e, caseInsensitive: true };
    case 'regex': {
      // `regex` / `regex~` (anchored `^(?:X)$`): a match matches one of X's top-level branches,
      // so the matcher gates on a literal run each branch needs (necessary.ts regexLiteral; a
      // branch without one gives no clause). Date fields are left alone.
      const path = plainPath(e.expr);
      if (path === null || ECS_DATE_FIELDS.has(path)) return TRUE;
      const branches: string[] = [];
      for (const p of e.patterns) {
        const b = anchoredBranches(p);
        if (b === null) return TRUE;
        branches.push(...b);
      }
      return { kind: 'regex', expr: e.expr, patterns: branches, flags: e.flags };
    }
    default:
      return TRUE;
  }
}

/**
 * Fields whose value keys a category's stages (one per category, the one most of its stages test
 * for equality): `process where event.type == "start" …` sits only in the buckets of events whose
 * event.type holds "start", so the matcher reads no field for it on a process end.
 */
export const KEY_FIELDS: readonly string[] = ['event.action', 'event.code', 'event.type'];

/**
 * The lower-cased texts one of which `field` must show (as the matcher reads values: a scalar's
 * text, an array's elements and joined text) for the gate condition `g` (gateExpr's output) to
 * hold; null when there is no such set. In an `and`, the smallest set of its operands; an `or`
 * needs one from every branch (their union).
 */
export function keyTexts(g: Expr, field: string): Set<string> | null {
  switch (g.kind) {
    case 'wildcard': {
      if (plainPath(g.expr) !== field || !g.caseInsensitive) return null;
      const out = new Set<string>();
      for (const p of g.patterns) {
        if (p.length !== 1 || p[0]!.t !== 'lit') return null;
        out.add(p[0]!.v.toLowerCase());
      }
      return out;
    }
    case 'and': {
      let best: Set<string> | null = null;
      for (const x of g.exprs) {
        const t = keyTexts(x, field);
        if (t !== null && (best === null || t.size < best.size)) best = t;
      }
      return best;
    }
    case 'or': {
      const out = new Set<string>();
      for (const x of g.exprs) {
        const t = keyTexts(x, field);
        if (t === null) return null;
        for (const v of t) out.add(v);
      }
      return out;
    }
    default:
      return null;
  }
}

/** How a category's stages are keyed by one field's value (see KEY_FIELDS). */
interface CategoryKey {
  read: (ev: unknown) => unknown;
  /** lower-cased text → matcher key */
  byText: Map<string, number>;
  /** the key of events whose field shows none of the texts (the category's unkeyed stages); -1: none */
  other: number;
}

/** The matcher over ECS rules' stages: `select` gives indices into `rules`. */
export class EcsRuleMatcher {
  readonly matcher: MultiMatcher;
  /** Matcher input → index of its rule in `rules`, and its stage's bit (engine/sequence.ts stageBit). */
  private readonly ruleOf: Int32Array;
  private readonly bitOf: Int32Array;
  /**
   * Per rule, after `select`: the stages (bit j: stage j as written, `until` last; the engine's
   * QueryRunner.push mask) that were selected, valid for the rules `select` returned.
   */
  readonly stages: Int32Array;
  private readonly catKeys = new Map<string, CategoryKey>();
  /** The keyed stages of any category, by their field's value (null: none). */
  private readonly anyKey: CategoryKey | null = null;
  private readonly out: number[] = [];
  private readonly seen: Uint32Array;
  private readonly keySeen: Set<number> = new Set();
  private epoch = 0;

  /** Rules whose stages cannot be listed (correlations) are not taken: `accepts` says which are. */
  static accepts(rule: Rule): boolean {
    return rule.view === 'ecs' && stagesOf(rule.query) !== null;
  }

  constructor(
    readonly rules: readonly Rule[],
    opts: MultiMatchOptions = {},
  ) {
    // Each stage's gate condition and category (null: every event; an Elastic rule whose category
    // is another field, event_category_override, has no category key).
    const stages: { where: Expr; cat: string | null; rule: number; bit: number }[] = [];
    rules.forEach((rule, ri) => {
      const override = rule.meta?.categoryField !== undefined;
      (stagesOf(rule.query) ?? []).forEach((s, j) => {
        const cat = s.query.category;
        stages.push({ where: gateExpr(s.query.where), cat: !override && cat !== null && cat !== 'any' ? cat : null, rule: ri, bit: stageBit(j) });
      });
    });
    // Per category, the key field most of its stages name values of, and each stage's texts of it.
    const byCat = new Map<string, number[]>();
    const free: number[] = [];
    stages.forEach((s, i) => {
      if (s.cat !== null) (byCat.get(s.cat) ?? byCat.set(s.cat, []).get(s.cat)!).push(i);
      else {
        // `any where event.category : ("library", "driver") and …`: a stage of the categories it
        // names (lower-cased; select looks an event's category up as written and lower-cased).
        const cats = keyTexts(s.where, 'event.category');
        if (cats === null) free.push(i);
        else for (const c of cats) (byCat.get(c) ?? byCat.set(c, []).get(c)!).push(i);
      }
    });
    let nextKey = 0;
    const keysOf: (number[] | null)[] = stages.map(() => null);
    // What each bucket a stage sits in guarantees of the event (see impliedByBuckets).
    const placements: Placement[][] = stages.map(() => []);
    const addKeys = (i: number, ks: number[]): void => {
      const cur = keysOf[i];
      keysOf[i] = cur === null ? ks : [...cur, ...ks];
    };
    for (const [cat, members] of byCat) {
      const { field, texts } = bestKeyField(members.map((i) => stages[i]!.where));
      const key: CategoryKey = { read: readerOf(field), byText: new Map(), other: nextKey++ };
      this.catKeys.set(cat, key);
      for (const ts of texts) for (const t of ts ?? []) if (!key.byText.has(t)) key.byText.set(t, nextKey++);
      // A keyed stage sits in the buckets of its texts; an unkeyed one in every bucket of its category.
      const all = [key.other, ...key.byText.values()];
      members.forEach((i, j) => {
        addKeys(i, texts[j] === null ? all : [...texts[j]!].map((t) => key.byText.get(t)!));
        placements[i]!.push({ category: stages[i]!.cat === null ? cat : null, field, texts: texts[j]! });
      });
    }
    // Stages of any category (`any where event.code == "5136"`, event_category_override rules):
    // those keyed by a value sit only in that value's bucket, selected besides the category's;
    // the others are in every bucket.
    const { field, texts } = bestKeyField(free.map((i) => stages[i]!.where));
    if (field !== null) {
      const key: CategoryKey = { read: readerOf(field), byText: new Map(), other: -1 };
      for (const ts of texts) for (const t of ts ?? []) if (!key.byText.has(t)) key.byText.set(t, nextKey++);
      free.forEach((i, j) => {
        keysOf[i] = texts[j] === null ? null : [...texts[j]!].map((t) => key.byText.get(t)!);
        placements[i]!.push({ category: null, field, texts: texts[j]! });
      });
      this.anyKey = key;
    }
    for (const i of free) if (placements[i]!.length === 0) placements[i]!.push({ category: null, field: null, texts: null });
    const inputs: MultiRuleInput[] = stages.map((s, i) => ({
      where: s.where,
      keys: keysOf[i]!,
      clauses: necessaryClauses(s.where, EQL_NEEDLE).filter((c) => !impliedByBuckets(c, placements[i]!)),
    }));
    this.matcher = new MultiMatcher(inputs, 'elasticsearch', { guards: 'one', ...opts });
    this.ruleOf = Int32Array.from(stages.map((s) => s.rule));
    this.bitOf = Int32Array.from(stages.map((s) => s.bit));
    this.seen = new Uint32Array(rules.length);
    this.stages = new Int32Array(rules.length);
  }

  /** Indices into `rules` of the rules the event can match (the array is reused by the next call). */
  select(ev: Record<string, unknown>, categories: readonly string[]): readonly number[] {
    this.out.length = 0;
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    if (categories.length === 0) this.take(this.matcher.select(ev, null));
    else
      for (let i = 0; i < categories.length; i++) {
        const c = categories[i]!;
        const ck = this.catKeys.get(c);
        // A category in another case (`:` is case-insensitive): its lower-cased key too.
        let lk: CategoryKey | undefined;
        if (typeof c === 'string') {
          const lower = c.toLowerCase();
          if (lower !== c) lk = this.catKeys.get(lower);
        } else {
          const t = scalarText(c);
          const lower = t === null ? null : t.toLowerCase();
          if (lower !== null && lower !== c) lk = this.catKeys.get(lower);
        }
        if (ck === undefined && lk === undefined) this.take(this.matcher.select(ev, null));
        if (ck !== undefined) this.selectKeyed(ck, ev, false);
        if (lk !== undefined) this.selectKeyed(lk, ev, false);
      }
    if (this.anyKey !== null) this.selectKeyed(this.anyKey, ev, true);
    return this.out;
  }

  /** The stages of the buckets `ck` gives the event (`known`: only keys of a named text, not `other`). */
  private selectKeyed(ck: CategoryKey, ev: Record<string, unknown>, known: boolean): void {
    const keys = this.keysOf(ck, ev);
    if (typeof keys === 'number') {
      if (!known || keys >= 0) this.take(this.matcher.select(ev, keys));
    } else for (const k of keys) if (!known || k >= 0) this.take(this.matcher.select(ev, k));
  }

  /** Adds the rules of the matcher's selected stages to `out`, and their stage bits to `stages`. */
  private take(sel: readonly number[]): void {
    const out = this.out;
    const stages = this.stages;
    const seen = this.seen;
    const epoch = this.epoch;
    for (let i = 0; i < sel.length; i++) {
      const r = this.ruleOf[sel[i]!]!;
      if (seen[r] !== epoch) {
        seen[r] = epoch;
        out.push(r);
        stages[r] = this.bitOf[sel[i]!]!;
      } else stages[r]! |= this.bitOf[sel[i]!]!;
    }
  }

  /**
   * The bucket keys of an event for a key (CategoryKey): of its field's text, or of each text of
   * an array (its elements and joined text, as the matcher reads them), `other` for a text no
   * stage names or no text at all. A set is reused by the next call.
   */
  private keysOf(ck: CategoryKey, ev: Record<string, unknown>): number | ReadonlySet<number> {
    let v = ck.read(ev);
    // An array of one text (ECS event.type, event.category) is that text.
    if (Array.isArray(v) && v.length === 1 && joinedText(v) === undefined) v = v[0];
    const t = scalarText(v);
    if (t !== null) return ck.byText.get(t.toLowerCase()) ?? ck.other;
    if (!Array.isArray(v)) return ck.other;
    const keys = this.keySeen;
    keys.clear();
    for (let i = 0; i < v.length; i++) {
      const x = scalarText(v[i]);
      if (x !== null) keys.add(ck.byText.get(x.toLowerCase()) ?? ck.other);
    }
    const j = joinedText(v);
    if (j !== undefined) keys.add(ck.byText.get(j.toLowerCase()) ?? ck.other);
    if (keys.size === 0) keys.add(ck.other);
    return keys;
  }
}

/**
 * One bucket group a stage sits in: events reaching it show the text `category` (lower-cased) in
 * `event.category` (when the stage was placed there by its own `event.category` clause; null
 * otherwise), and one of `texts` in `field` (its value key; null texts: any value).
 */
interface Placement {
  category: string | null;
  field: string | null;
  texts: Set<string> | null;
}

/**
 * Whether every bucket a stage sits in guarantees that the clause holds: a clause of exact atoms on
 * one field whose texts include the bucket's category (`event.category`) or all of its key texts.
 * Such a clause holds for every event the stage meets (select reads both the same way: each
 * element of an array, lower-cased), so the matcher need not read its field for it: a stage whose
 * only clause it was (`![any where event.category in ("process", …)]`) is then always evaluated in
 * its buckets, and a stage's guard is chosen among its other clauses.
 */
export function impliedByBuckets(clause: Clause, placements: readonly Placement[]): boolean {
  if (clause.length === 0 || placements.length === 0) return false;
  const field = clause[0]!.path.join('.');
  const texts = new Set<string>();
  for (const a of clause) {
    if (a.kind !== 'exact' || a.path.some((p) => typeof p !== 'string') || a.path.join('.') !== field) return false;
    texts.add(a.text);
  }
  return placements.every(
    (p) => (field === 'event.category' && p.category !== null && texts.has(p.category)) || (p.field === field && p.texts !== null && [...p.texts].every((t) => texts.has(t))),
  );
}

/** Of KEY_FIELDS, the one most of the gates name values of (null: none), and each gate's texts of it. */
function bestKeyField(gates: readonly Expr[]): { field: string | null; texts: (Set<string> | null)[] } {
  let field: string | null = null;
  let best = 0;
  let texts: (Set<string> | null)[] = gates.map(() => null);
  for (const f of KEY_FIELDS) {
    const ts = gates.map((g) => keyTexts(g, f));
    const n = ts.filter((t) => t !== null).length;
    if (n > best) {
      field = f;
      best = n;
      texts = ts;
    }
  }
  return { field, texts };
}

const readerOf = (field: string | null): ((ev: unknown) => unknown) => (field === null ? () => undefined : compileAccessor(field.split('.'), 'elasticsearch'));

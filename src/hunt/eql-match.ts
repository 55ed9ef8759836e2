/**
 * Selecting the ECS-view (EQL) rules an event can match with the multi-rule matcher of
 * engine/multi-match (the Sigma matcher), so a whole rule pack costs one read of each needed
 * field per event instead of one evaluation per candidate rule.
 *
 * Each stage (until and missing-event stages too) of each rule is one matcher input, keyed by its
 * event category. The matcher selects inputs whose necessary literals occur in their fields; a
 * rule is fed an event when one of its stages is selected. The matcher derives necessary literals
 * from case-insensitive wildcards; `gateExpr` rewrites a stage condition into a condition the
 * matcher understands that is implied by it (a superset: `==` / `in` against strings and
 * case-sensitive `like` become case-insensitive wildcards; everything it cannot reason about
 * becomes `true`). Rules are still decided by their own compiled queries.
 */
import type { Expr, Query, Rule, Stage } from '../ir/types.js';
import { MultiMatcher, type MultiMatchOptions, type MultiRuleInput } from '../engine/multi-match/index.js';
import { ECS_DATE_FIELDS } from '../engine/date-fields.js';
import { stagesOf } from './rule-index.js';

const TRUE: Expr = { kind: 'literal', value: true };

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

/** A condition implied by `e` that engine/multi-match can derive necessary literals from. */
export function gateExpr(e: Expr): Expr {
  switch (e.kind) {
    case 'and':
      return { kind: 'and', exprs: e.exprs.map(gateExpr) };
    case 'or':
      return { kind: 'or', exprs: e.exprs.map(gateExpr) };
    case 'compare': {
      if (e.op !== '==') return TRUE;
      const [f, l] = e.left.kind === 'field' ? [e.left, e.right] : [e.right, e.left];
      const ts = exactTexts(f, l);
      return ts === null ? TRUE : { kind: 'wildcard', expr: f, patterns: ts.map((t) => [{ t: 'lit', v: t }]), caseInsensitive: true };
    }
    case 'in': {
      if (e.negated || e.values.length === 0) return TRUE;
      const ts = e.values.map((v) => exactTexts(e.expr, v));
      if (ts.some((t) => t === null)) return TRUE;
      return { kind: 'wildcard', expr: e.expr, patterns: (ts as string[][]).flat().map((t) => [{ t: 'lit', v: t }]), caseInsensitive: true };
    }
    case 'wildcard':
      // Case-sensitive `like` implies its case-insensitive form. Date fields are left alone.
      if (plainPath(e.expr) === null || ECS_DATE_FIELDS.has(plainPath(e.expr)!)) return TRUE;
      return e.caseInsensitive ? e : { ...e, caseInsensitive: true };
    default:
      return TRUE;
  }
}

/** The matcher over ECS rules' stages: `select` gives indices into `rules`. */
export class EcsRuleMatcher {
  readonly matcher: MultiMatcher;
  /** Matcher input → index of its rule in `rules`. */
  private readonly ruleOf: Int32Array;
  private readonly catKeys = new Map<string, number>();
  private readonly out: number[] = [];
  private readonly seen: Uint32Array;
  private epoch = 0;

  /** Rules whose stages cannot be listed (correlations) are not taken: `accepts` says which are. */
  static accepts(rule: Rule): boolean {
    return rule.view === 'ecs' && stagesOf(rule.query) !== null;
  }

  constructor(
    readonly rules: readonly Rule[],
    opts: MultiMatchOptions = {},
  ) {
    const inputs: MultiRuleInput[] = [];
    const ruleOf: number[] = [];
    rules.forEach((rule, ri) => {
      // An Elastic rule whose category is another field (event_category_override): no category key.
      const override = rule.meta?.categoryField !== undefined;
      for (const s of stagesOf(rule.query) ?? []) {
        const cat = s.query.category;
        let keys: number[] | null = null;
        if (!override && cat !== null && cat !== 'any') {
          let k = this.catKeys.get(cat);
          if (k === undefined) this.catKeys.set(cat, (k = this.catKeys.size));
          keys = [k];
        }
        inputs.push({ where: gateExpr(s.query.where), keys });
        ruleOf.push(ri);
      }
    });
    this.matcher = new MultiMatcher(inputs, 'elasticsearch', opts);
    this.ruleOf = Int32Array.from(ruleOf);
    this.seen = new Uint32Array(rules.length);
  }

  /** Indices into `rules` of the rules the event can match (the array is reused by the next call). */
  select(ev: Record<string, unknown>, categories: readonly string[]): readonly number[] {
    const out = this.out;
    out.length = 0;
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    const take = (sel: readonly number[]): void => {
      for (let i = 0; i < sel.length; i++) {
        const r = this.ruleOf[sel[i]!]!;
        if (this.seen[r] !== this.epoch) {
          this.seen[r] = this.epoch;
          out.push(r);
        }
      }
    };
    if (categories.length === 0) take(this.matcher.select(ev, null));
    else for (const c of categories) take(this.matcher.select(ev, this.catKeys.get(c) ?? null));
    return out;
  }
}

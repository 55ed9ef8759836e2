/**
 * The rule IR: what the EQL and Sigma front ends produce and what the engine compiles.
 *
 * It is plain data (JSON-serialisable except for bigint literals) so that rules can be
 * cached, shipped to worker threads and printed for debugging.
 *
 * Semantics shared by every front end:
 * - A missing field evaluates to `null`. Comparisons involving `null` follow EQL:
 *   `x == null` is true when x is missing/null, `x != null` when it is present; an ordering
 *   comparison (`<`, `>=`, …) with a null side is `null`, which a filter treats as false.
 * - `not null` is `null` (three-valued logic), so `not (x > 5)` does not match a missing x.
 * - When a field holds an array, a comparison/match is true if any element satisfies it
 *   (Elasticsearch semantics for multi-valued fields).
 */

/** One step of a field path: an object key, or an array index (`args[0]`). */
export type PathStep = string | number;

/** A wildcard pattern, pre-tokenised so that escaping is resolved by the front end. */
export type PatternPart =
  | { t: 'lit'; v: string } // literal text (escapes already removed)
  | { t: 'star' } // `*`: any run of characters, possibly empty
  | { t: 'one' }; // `?`: exactly one character
export type Pattern = PatternPart[];

export type Literal = string | number | boolean | null | bigint;

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

export type Expr =
  /** `float`: a number written with a decimal point or exponent (`4.0`): EQL divides integers
   * with integer division unless one side is a float, and `4.0` and `4` are the same JS number. */
  | { kind: 'literal'; value: Literal; float?: boolean }
  /** `optional`: EQL `?field`; a missing optional field is null without a "field not found" error. */
  | { kind: 'field'; path: PathStep[]; optional?: boolean }
  | { kind: 'not'; expr: Expr }
  | { kind: 'and'; exprs: Expr[] }
  | { kind: 'or'; exprs: Expr[] }
  /** `caseInsensitive` applies to string operands only. */
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr; caseInsensitive: boolean }
  /** `expr in (values)`; `negated` for `not in`. */
  | { kind: 'in'; expr: Expr; values: Expr[]; caseInsensitive: boolean; negated: boolean }
  /** True when `expr` (as string) matches any of `patterns` (EQL `:`, `like`, Sigma values). */
  | { kind: 'wildcard'; expr: Expr; patterns: Pattern[]; caseInsensitive: boolean }
  /** True when `expr` matches any regex; `flags` are JS RegExp flags (`i`, `m`, `s`). Whole-string
   * match is the front end's choice: EQL `regex` anchors (`^(?:…)$`), Sigma `re` searches. */
  | { kind: 'regex'; expr: Expr; patterns: string[]; flags: string }
  /** A function call (EQL functions and Sigma helpers); see engine/functions for the catalogue. */
  | { kind: 'call'; name: string; args: Expr[]; caseInsensitive: boolean }
  | { kind: 'arith'; op: ArithOp; left: Expr; right: Expr }
  | { kind: 'neg'; expr: Expr }
  /** Endgame `descendant of [q]`, `child of [q]`, `event of [q]`: process lineage relations. */
  | { kind: 'lineage'; relation: 'descendant' | 'child' | 'event'; query: EventQuery }
  /** Sigma keyword search: true when any string value anywhere in the event matches. */
  | { kind: 'keyword'; patterns: Pattern[]; caseInsensitive: boolean }
  /** Sigma `cidr`, EQL `cidrMatch`: `expr` is an IPv4/IPv6 address inside any of `cidrs`. */
  | { kind: 'cidr'; expr: Expr; cidrs: string[] };

/** A single-event query: `category where cond`. `category` null means `any`. */
export interface EventQuery {
  category: string | null;
  where: Expr;
}

/** One `[...]` stage of a sequence, sample or join. */
export interface Stage {
  query: EventQuery;
  /** Per-stage join keys (`[q] by a, b`); combined after the query-level `by`. */
  by: Expr[];
  /** `with runs=N`: the stage repeats N times (N ≥ 1). */
  runs?: number;
  /** Elasticsearch missing-event stage `![q]`: the sequence matches only if no such event occurs. */
  missing?: boolean;
  /** Endgame `[q] fork=true`: a matching event may start or extend more than one partial sequence. */
  fork?: boolean;
}

export type Pipe =
  | { kind: 'head'; count: number }
  | { kind: 'tail'; count: number }
  | { kind: 'filter'; expr: Expr }
  | { kind: 'count'; by: Expr[] }
  | { kind: 'unique'; by: Expr[] }
  | { kind: 'unique_count'; by: Expr[] }
  | { kind: 'sort'; by: Expr[] };

export type Query =
  | { kind: 'event'; query: EventQuery; pipes: Pipe[] }
  | {
      kind: 'sequence';
      /** Query-level `sequence by` keys; each stage's own `by` keys follow them. */
      by: Expr[];
      /** `with maxspan=…`, in nanoseconds; undefined for unbounded. */
      maxspanNs?: number;
      stages: Stage[];
      until?: Stage;
      pipes: Pipe[];
      /**
       * Join string keys ignoring case (not EQL syntax: set by a rule's `join_keys:
       * case-insensitive`, for Windows paths that two logs spell differently).
       */
      caseInsensitiveKeys?: boolean;
    }
  | { kind: 'sample'; by: Expr[]; stages: Stage[]; pipes: Pipe[] }
  /** Endgame `join`: all stages matched with equal keys, in any order. */
  | { kind: 'join'; by: Expr[]; stages: Stage[]; until?: Stage; pipes: Pipe[] }
  | Correlation;

/** Sigma correlation rules, evaluated over the matches of base rules with a sliding window. */
export interface Correlation {
  kind: 'correlation';
  type:
    | 'event_count'
    | 'value_count'
    | 'temporal'
    | 'temporal_ordered'
    | 'value_sum'
    | 'value_avg'
    | 'value_percentile';
  /** Base rules, in order (order matters for temporal_ordered). */
  rules: { id: string; query: Query }[];
  /** Group-by keys per base rule (aliases resolved by the front end), same length for every rule. */
  groupBy: Expr[][];
  timespanNs: number;
  /** For value_* types: the field per base rule. */
  valueField?: Expr[];
  /** value_percentile: the percentile rank (0–100). */
  percentile?: number;
  /** Threshold; temporal types ignore it (all rules must match) unless given. */
  condition?: { op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq'; value: number }[];
  /** Sigma `generate`: also emit the base rules' own matches. */
  generate?: boolean;
}

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** A rule as loaded from the rule pack, a Sigma file or the command line. */
export interface Rule {
  id: string;
  name: string;
  /** Where the rule came from (file path, or `<command line>`), for messages. */
  source: string;
  language: 'eql' | 'sigma';
  /** Which view of the event the rule's field names refer to. */
  view: 'ecs' | 'native';
  query: Query;
  severity: Severity;
  riskScore?: number;
  description?: string;
  tags?: string[];
  /** MITRE ATT&CK ids (T1021.002, TA0008, …). */
  mitre?: string[];
  references?: string[];
  falsePositives?: string[];
  /**
   * What events the rule can possibly match, so the runner indexes rules instead of testing every
   * rule on every event. Each listed set is a necessary condition; absent means "no constraint".
   * `categories`: ECS event.category values; `eventIds` + `channels`: Windows native fields.
   */
  gate?: {
    categories?: string[];
    eventIds?: number[];
    channels?: string[];
    /** Event flavours (normalize/flavour.ts) the rule applies to, e.g. from an Elastic rule's `index`. */
    flavours?: string[];
  };
  /** Rule-specific metadata the front end keeps (Sigma level/status, EQL rule_id, …). */
  meta?: Record<string, unknown>;
  /**
   * Facts derived from `query` when the rule loads, carried with the rule (in the Sigma load cache
   * and to worker threads) so that a cached load and every worker skip deriving them again
   * (sigma/derived.ts): the multi-rule matcher's necessary clauses (engine/multi-match/necessary.ts;
   * atoms as [path or null for the keyword path, kind, lower-cased text], clauses as indices into
   * `atoms`) and the telemetry needs of ir/analyze.ts `telemetryNeeds` (without the fields the rule
   * itself gives). Absent: derived when needed. Must equal what deriving would give.
   */
  derived?: {
    atoms: [PathStep[] | null, 'exact' | 'prefix' | 'suffix' | 'contains', string][];
    clauses: number[][];
    needs: { stage: string; category: string | null; condition: Expr | null }[];
  };
}

/** A rule a front end could not load, with the reason; reported, never dropped silently. */
export interface RuleProblem {
  id?: string;
  source: string;
  reason: string;
  /** `unsupported`: valid rule using a feature we lack; `error`: the rule itself is invalid. */
  severity: 'unsupported' | 'error';
}

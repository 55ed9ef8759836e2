/**
 * The detection loop of one worker: every event goes through normalization to the views the
 * rules need, is dispatched only to the rules that can match it (indexed by ECS category or
 * Windows EventID), and every engine match becomes an alert with its writer and context.
 */
import type { Expr, PathStep, Rule } from '../ir/types.js';
import { getField, markIfNested, markParsedJson, type Event } from '../events/field.js';
import { parseJsonExact } from '../events/json.js';
import { compareInstants, type Instant } from '../events/timestamp.js';
import type { ProblemSink, SourceEvent } from '../sources/types.js';
import { parseDeferred } from '../sources/ndjson.js';
import { JoinGate } from './join-gate.js';
import type { Alert } from '../alert/types.js';
import { compareTiebreakers, compileQuery, laterHorizon, type EngineOptions, type EventKeeper, type Match, type QueryRunner, type StateHorizon } from '../engine/index.js';
import { MultiMatcher } from '../engine/multi-match/index.js';
import { detectFlavour, eventHost, settleEventTime, toEcs, toNative, type Flavour } from '../normalize/index.js';
import { buildAlert } from '../alert/build.js';
import { WriterContext } from '../alert/writer-context.js';
import { HostContext } from './host-context.js';
import { stageGates, valueGate, type ValueAlternative } from './rule-index.js';
import { EcsRuleMatcher } from './eql-match.js';
import { compileAccessor } from '../engine/expr.js';
import { CompiledNeeds, TelemetryTally } from './telemetry.js';
import { asArray, asObject, decodeInstant, decodeValue, encodeValue, StateShapeError, type EventReader, type EventWriter, type StateJson } from '../engine/state.js';
import { checkSnapshot, ruleHash, ruleKeys, ruleSetFingerprint, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, SnapshotError, type DetectorState, type ImportReport, type RuleState, type SnapshotEvent } from '../engine/snapshot.js';
import { derivedClauses } from '../sigma/derived.js';

interface CompiledRule {
  rule: Rule;
  runner: QueryRunner;
  view: 'ecs' | 'native';
  /** Shared across units (stateless): drained, never ended. */
  shared: boolean;
  /** In a split part's overlap: the latest time this rule's pending state can use ('open' until beginOverlap). */
  overlapHorizon: StateHorizon;
  /** Sequences: whether a deferred line can join the state held (see join-gate.ts). */
  gate: JoinGate | null;
  /**
   * Event flavours the rule applies to (an Elastic rule's `index` patterns), one bit per flavour
   * (flavourBit); ALL_FLAVOURS: every flavour. A bit test per selected rule instead of a Set lookup.
   */
  flavours: number;
  /** The last event (Detector.stamp) fed to this rule: an event reaches a rule at most once. */
  stamp: number;
}

/**
 * Rules of one ECS category (or of none): those with no value gate, and those indexed by the
 * lower-cased values of one field (rule-index.ts), per field.
 */
interface Bucket {
  plain: CompiledRule[];
  fields: { read: (ev: unknown) => unknown; byValue: Map<string, CompiledRule[]> }[];
  fieldIndex: Map<string, number>;
}

const newBucket = (): Bucket => ({ plain: [], fields: [], fieldIndex: new Map() });

function addToBucket(b: Bucket, c: CompiledRule, alts: ValueAlternative[] | null): void {
  if (!alts) {
    b.plain.push(c);
    return;
  }
  for (const a of alts) {
    let i = b.fieldIndex.get(a.field);
    if (i === undefined) {
      i = b.fields.length;
      b.fieldIndex.set(a.field, i);
      b.fields.push({ read: compileAccessor(a.field.split('.'), 'elasticsearch'), byValue: new Map() });
    }
    for (const v of a.values) push(b.fields[i]!.byValue, v, c);
  }
}

/**
 * Rules compiled once per thread. Single-event rules without pipes keep no state, so their
 * compiled runners are shared by every unit; stateful rules (sequences, correlations, pipes,
 * lineage) get a fresh runner per unit, since a unit's state must not leak into the next.
 */
export class CompiledRuleSet {
  readonly shared = new Map<Rule, QueryRunner>();
  readonly problems: DetectorProblem[] = [];
  /** What telemetry each rule stage needs, compiled once (blind spots, telemetry.ts). */
  readonly needs: CompiledNeeds;
  /**
   * Single-event native-view (Sigma) rules, selected per event by one multi-rule matcher
   * (engine/multi-match) instead of being tested one by one: `rules[i]` is the matcher's rule i.
   */
  readonly native: { rules: Rule[]; matcher: MultiMatcher } | null = null;
  /** Rules whose deferred compilation failed (see lazyRunner); each detector reports them at its end. */
  readonly lateProblems: DetectorProblem[] = [];
  /**
   * ECS-view (EQL) rules, selected per event by a multi-rule matcher over their stages
   * (eql-match.ts) instead of the category/value buckets; `ecsRules[i]` is selectable rule i.
   */
  readonly ecsRules: Rule[];
  /**
   * The ECS matchers by event flavour (flavourBit; ALL_FLAVOURS when no rule is flavour-gated),
   * each over the rules of `ecsRules` that apply to that flavour only, built on the flavour's
   * first event: a Defend event reads no field of the rules of Windows logs or cloud services
   * (a quarter of Elastic's pack), which only the flavour gate after selection turned away.
   */
  private readonly ecsByFlavour = new Map<number, FlavourMatcher>();

  constructor(readonly rules: Rule[]) {
    this.needs = new CompiledNeeds(rules);
    this.ecsRules = rules.filter((r) => EcsRuleMatcher.accepts(r));
    const native: Rule[] = [];
    for (const rule of rules) {
      if (!isStateless(rule)) continue;
      if (rule.view === 'native') {
        // Compiled when the matcher first selects it: most of 2,407 Sigma rules never are in a hunt.
        this.shared.set(rule, lazyRunner(rule, (p) => this.lateProblems.push(p)));
        native.push(rule);
        continue;
      }
      try {
        this.shared.set(rule, compileQuery(rule.query, engineOptions(rule)));
      } catch (e) {
        this.problems.push({ ruleId: rule.id, message: `cannot compile: ${(e as Error).message}` });
      }
    }
    if (native.length > 0) {
      const inputs = native.map((r) => ({ where: (r.query as Extract<Rule['query'], { kind: 'event' }>).query.where, keys: r.gate?.eventIds ?? null, channels: r.gate?.channels ?? null, clauses: derivedClauses(r) }));
      this.native = { rules: native, matcher: new MultiMatcher(inputs, ENGINE_OPTIONS.dialect) };
    }
  }

  /**
   * The ECS matcher of the rules of `ecsRules` that apply to events of flavour bit `flavour`
   * (ALL_FLAVOURS: every rule), built on first use; null when none does.
   */
  ecsFor(flavour: number): FlavourMatcher | null {
    let m = this.ecsByFlavour.get(flavour);
    if (m === undefined) {
      const index: number[] = [];
      this.ecsRules.forEach((r, i) => {
        if ((ruleFlavours(r) & flavour) !== 0) index.push(i);
      });
      m = index.length === 0 ? NO_MATCHER : { matcher: new EcsRuleMatcher(index.map((i) => this.ecsRules[i]!)), index: Int32Array.from(index) };
      this.ecsByFlavour.set(flavour, m);
    }
    return m === NO_MATCHER ? null : m;
  }
}

/** An ECS matcher over the rules of one event flavour, and each of its rules' index in CompiledRuleSet.ecsRules. */
export interface FlavourMatcher {
  matcher: EcsRuleMatcher;
  index: Int32Array;
}

/** CompiledRuleSet.ecsFor's answer for a flavour no ECS rule applies to. */
const NO_MATCHER = {} as FlavourMatcher;

/** A rule's flavour bits (its `index` patterns' flavours; ALL_FLAVOURS: any). */
function ruleFlavours(rule: Rule): number {
  return rule.gate?.flavours ? rule.gate.flavours.reduce((m, f) => m | flavourBit(f), 0) : ALL_FLAVOURS;
}

/**
 * A single-event rule's runner compiled on its first event. A rule that fails to compile then
 * matches nothing and is reported once through `onFail` (as an eager compile would have).
 */
function lazyRunner(rule: Rule, onFail: (p: DetectorProblem) => void): QueryRunner {
  let inner: QueryRunner | null = null;
  let failed = false;
  const none: Match[] = [];
  return {
    push(ev, stages) {
      if (inner === null && !failed) {
        try {
          inner = compileQuery(rule.query, engineOptions(rule));
        } catch (e) {
          failed = true;
          onFail({ ruleId: rule.id, message: `cannot compile: ${(e as Error).message}` });
        }
      }
      if (inner !== null) inner.push(ev, stages);
    },
    drain: () => (inner !== null ? inner.drain() : none),
    end: () => (inner !== null ? inner.end() : none),
    stateSize: () => (inner !== null ? inner.stateSize() : 0),
    horizon: () => (inner !== null ? inner.horizon() : null),
    heldKeys: () => (inner !== null ? inner.heldKeys() : null),
  };
}

/** A rule that keeps no state across events (single event, no pipes, no lineage): serve/ runs these on arrival. */
export function isStateless(rule: Rule): boolean {
  const q = rule.query;
  return q.kind === 'event' && q.pipes.length === 0 && !hasLineage(q.query.where);
}

/** Whether an expression holds a lineage test (stateful: it tracks process trees). */
export function hasLineage(e: Expr): boolean {
  switch (e.kind) {
    case 'lineage':
      return true;
    case 'not':
    case 'neg':
      return hasLineage(e.expr);
    case 'and':
    case 'or':
      return e.exprs.some(hasLineage);
    case 'compare':
    case 'arith':
      return hasLineage(e.left) || hasLineage(e.right);
    case 'in':
      return hasLineage(e.expr) || e.values.some(hasLineage);
    case 'call':
      return e.args.some(hasLineage);
    case 'wildcard':
    case 'regex':
    case 'cidr':
      return hasLineage(e.expr);
    case 'literal':
    case 'field':
    case 'keyword':
      return false;
  }
}

/**
 * Where a view came from and its time ride on the view itself under a symbol key: invisible to
 * JSON, Object.keys and structured clone, and far cheaper for the garbage collector than a
 * WeakMap entry per event (ephemerons).
 */
const TAG = Symbol('spoor.hunt.tag');
type TaggedView = Event & { [TAG]?: Tagged };
const tagOf = (ev: Event): Tagged | undefined => (ev as TaggedView)[TAG];
const setTag = (ev: Event, tag: Tagged): void => {
  (ev as TaggedView)[TAG] = tag;
};
/** Marks a native view (the snapshot writer tells the views of one event apart without building the other). */
const NATIVE = Symbol('spoor.hunt.native');
type NativeView = Event & { [NATIVE]?: true };

/**
 * What a sequence holds of an NDJSON event while a partial waits (EngineOptions.retain): the line's
 * text, copied out of the reader's block, and where and when the event was. A partial held the
 * parsed object before — dozens of small objects per event, kept for the rule's maxspan (or to the
 * end), so they outlived the young generation: with Elastic's pack ~0.19 events per generated
 * Defend event started a partial, and those objects were most of what every scavenge copied and
 * promoted. The event is parsed again only if its sequence completes (`restoreLine`).
 */
class KeptLine {
  constructor(
    readonly text: string,
    readonly file: string,
    readonly position: number | undefined,
    readonly time: Instant,
    readonly overlap: boolean,
  ) {}
}

/**
 * An independent copy of a slice of the reader's block (a slice would hold the whole block): the
 * concatenation is flattened into a new string by the slice.
 */
const flatCopy = (s: string): string => (' ' + s).slice(1);

/** The ECS view of a kept line, equal to the one its sequence saw, tagged as it was. */
function restoreLine(k: KeptLine): Event {
  // The reader's parse (sources/ndjson.ts parseText): exact 64-bit integers, the dotted-key mark.
  const raw = parseJsonExact(k.text) as Event;
  markParsedJson(raw, k.text);
  // Its time was read, and counted by the clock, when the line was first parsed.
  settleEventTime(raw);
  const ecs = toEcs(raw);
  markIfNested(ecs);
  const source: SourceEvent = { event: raw, file: k.file };
  if (k.position !== undefined) source.position = k.position;
  const tag: HeldEvent = { source, time: k.time, overlap: k.overlap, onProblem: null, kept: k as unknown as Event };
  setTag(ecs, tag);
  return ecs;
}

const KEEPER: EventKeeper = {
  keep(ev: Event): Event {
    const tag = tagOf(ev) as HeldEvent | undefined;
    // A native view shares its event's tag: only the ECS view is kept as a line.
    if (tag === undefined || (ev as NativeView)[NATIVE] === true) return ev;
    if (tag.kept != null) return tag.kept;
    const text = tag.source.text;
    if (text === undefined) return ev;
    return (tag.kept = new KeptLine(flatCopy(text), tag.source.file, tag.source.position, tag.time, tag.overlap) as unknown as Event);
  },
  restore(kept: Event): Event {
    return kept instanceof KeptLine ? restoreLine(kept) : kept;
  },
};

const ENGINE_OPTIONS: EngineOptions = { timestamp: (ev: Event): Instant | null => tagOf(ev)?.time ?? null, dialect: 'elasticsearch' as const, retain: KEEPER };

/** Engine options of a rule: an Elastic rule's `event_category_override` names its category field. */
function engineOptions(rule: Rule): EngineOptions {
  const f = rule.meta?.categoryField;
  return typeof f === 'string' ? { ...ENGINE_OPTIONS, category: f.split('.') } : ENGINE_OPTIONS;
}

export interface DetectorOptions {
  /** Events of the same host kept around each alert for the report's timeline (0 = none). */
  contextEvents: number;
  /**
   * Orders events of equal time (a field of the ECS view, as EQL's tiebreaker: events without it
   * come after those with one). Undefined: arrival order. The detector holds the events of the
   * current timestamp until a later one arrives (or the overlap begins, or the input ends).
   */
  tiebreaker?: PathStep[];
  /**
   * Keep only the matches this returns true for (cluster stage 2: a correlation group's alert is
   * raised only by the node owning the group's key, cluster/worker.ts). Undefined: every match.
   */
  acceptMatch?: (rule: Rule, m: Match) => boolean;
}

export interface DetectorProblem {
  ruleId: string;
  message: string;
}

/** What the engine sees of an event: its view, plus where the time and source live. */
interface Tagged {
  source: SourceEvent;
  time: Instant;
  /** True for events read past a split point only to complete sequences started before it. */
  overlap: boolean;
}

/** An event held until its timestamp's events are all in (tiebreaker ordering). */
interface HeldEvent extends Tagged {
  /** For a deferred line: where its parse problems go. */
  onProblem: ProblemSink | null;
  /** What sequences hold of the event, once one holds it (KEEPER). */
  kept: Event | null;
}

export class Detector {
  private readonly ecsByCategory = new Map<string, Bucket>();
  private readonly ecsUngated: Bucket = newBucket();
  /** Bumped per event and view; see CompiledRule.stamp. */
  private stamp = 0;
  private readonly nativeByEventId = new Map<number, CompiledRule[]>();
  private readonly nativeUngated: CompiledRule[] = [];
  /** The rule set's multi-rule matcher and its rules, compiled (see CompiledRuleSet.native). */
  private readonly nativeMatcher: MultiMatcher | null = null;
  private readonly nativeSelectable: CompiledRule[] = [];
  /** The rule set's ECS rules, compiled, by their index in CompiledRuleSet.ecsRules (a rule that failed to compile is absent). */
  private readonly ecsSelectable: (CompiledRule | undefined)[] = [];
  private readonly set: CompiledRuleSet;
  private readonly all: CompiledRule[] = [];
  private readonly gated: CompiledRule[] = [];
  /** Deferred lines no rule could use, never parsed (own lines only, not the overlap's). */
  deferredSkipped = 0;
  private readonly writers = new WriterContext();
  private readonly hostContext: HostContext;
  private readonly acceptMatch: ((rule: Rule, m: Match) => boolean) | null;
  private readonly out: Alert[] = [];
  readonly problems: DetectorProblem[] = [];
  readonly needEcs: boolean;
  readonly needNative: boolean;
  /** Some rule applies to some event flavours only (read once per event, cached by normalize). */
  private flavourGated = false;
  /** The current event's flavour bit (flavourBit), when flavourGated. */
  private flavour = ALL_FLAVOURS;
  /** Telemetry presence per host for this unit's blind-spot report. */
  readonly telemetry: TelemetryTally;

  /** Tiebreaker (DetectorOptions.tiebreaker) and the events of the current timestamp it holds. */
  private readonly tiebreaker: PathStep[] | null;
  private ties: HeldEvent[] = [];
  private spareTies: HeldEvent[] = [];
  private tieTime: Instant | null = null;
  /** Where problems of held deferred lines go (the sink given to `resolve`). */
  private deferredProblems: ProblemSink = () => {};

  constructor(rules: Rule[] | CompiledRuleSet, opts: DetectorOptions) {
    this.hostContext = new HostContext(opts.contextEvents);
    this.acceptMatch = opts.acceptMatch ?? null;
    this.tiebreaker = opts.tiebreaker && opts.tiebreaker.length > 0 ? opts.tiebreaker : null;
    const set = rules instanceof CompiledRuleSet ? rules : new CompiledRuleSet(rules);
    this.telemetry = new TelemetryTally(set.needs);
    this.set = set;
    this.problems.push(...set.problems);
    const failed = new Set(set.problems.map((p) => p.ruleId));
    const selectable = new Map<Rule, number>(set.native ? set.native.rules.map((r, i) => [r, i]) : []);
    const ecsSelectable = new Map<Rule, number>(set.ecsRules.map((r, i) => [r, i]));
    this.ecsSelectable = new Array<CompiledRule>(set.ecsRules.length);
    if (set.native) {
      this.nativeMatcher = set.native.matcher;
      this.nativeSelectable = new Array<CompiledRule>(set.native.rules.length);
    }
    for (const rule of set.rules) {
      let runner = set.shared.get(rule);
      if (!runner) {
        if (failed.has(rule.id)) continue;
        try {
          runner = compileQuery(rule.query, engineOptions(rule));
        } catch (e) {
          this.problems.push({ ruleId: rule.id, message: `cannot compile: ${(e as Error).message}` });
          continue;
        }
      }
      const flavours = ruleFlavours(rule);
      if (flavours !== ALL_FLAVOURS) this.flavourGated = true;
      const c: CompiledRule = { rule, runner, view: rule.view, shared: set.shared.has(rule), overlapHorizon: 'open', gate: null, flavours, stamp: -1 };
      if (!c.shared && c.view === 'ecs') c.gate = JoinGate.of(rule);
      if (c.gate) this.gated.push(c);
      this.all.push(c);
      const gate = rule.gate;
      const at = selectable.get(rule);
      if (at !== undefined) {
        this.nativeSelectable[at] = c;
        continue;
      }
      const ecsAt = ecsSelectable.get(rule);
      if (ecsAt !== undefined) {
        this.ecsSelectable[ecsAt] = c;
        continue;
      }
      if (c.view === 'ecs') {
        // An Elastic rule whose category is another field has no category gate; value gates read the ECS view.
        const perStage = rule.meta?.categoryField === undefined ? stageGates(rule.query) : null;
        if (gate?.categories && gate.categories.length > 0 && perStage) {
          for (const cat of gate.categories) {
            let b = this.ecsByCategory.get(cat);
            if (!b) this.ecsByCategory.set(cat, (b = newBucket()));
            addToBucket(b, c, perStage.get(cat) ?? null);
          }
        } else if (gate?.categories && gate.categories.length > 0) {
          for (const cat of gate.categories) {
            let b = this.ecsByCategory.get(cat);
            if (!b) this.ecsByCategory.set(cat, (b = newBucket()));
            addToBucket(b, c, null);
          }
        } else addToBucket(this.ecsUngated, c, valueGate(rule.query));
      } else if (gate?.eventIds && gate.eventIds.length > 0) {
        for (const id of gate.eventIds) push(this.nativeByEventId, id, c);
      } else this.nativeUngated.push(c);
    }
    this.needEcs = this.ecsUngated.plain.length > 0 || this.ecsUngated.fields.length > 0 || this.ecsByCategory.size > 0 || this.ecsSelectable.some((c) => c !== undefined);
    this.needNative = this.nativeUngated.length > 0 || this.nativeByEventId.size > 0 || this.nativeMatcher !== null;
  }

  get ruleCount(): number {
    return this.all.length;
  }

  /**
   * A deferred line (SourceEvent.deferred) arriving in time order: parse it into `source.event`
   * if some sequence's held state can use it, and return true; otherwise it is counted as not
   * parsed and false is returned (a line that then fails to parse is reported and skipped).
   */
  resolve(source: SourceEvent, overlap: boolean, onProblem: ProblemSink): boolean {
    if (this.tiebreaker !== null) {
      // Decided when every event of its timestamp is in (flushTies): a line written before an
      // event of equal time may come after it in tiebreaker order.
      this.deferredProblems = onProblem;
      return true;
    }
    return this.resolveNow(source, overlap, onProblem);
  }

  private resolveNow(source: SourceEvent, overlap: boolean, onProblem: ProblemSink): boolean {
    const d = source.deferred!;
    if (!this.gated.some((c) => c.gate!.mayUse(c.runner, d))) {
      if (!overlap) {
        this.deferredSkipped++;
        this.telemetry.observeUnparsed(d.categories, d.host);
      }
      return false;
    }
    return parseDeferred(source, onProblem);
  }

  /** Feed one event, in time order (events of equal time are ordered by the tiebreaker, if any). */
  push(source: SourceEvent, time: Instant, overlap: boolean): void {
    if (this.tiebreaker === null) return this.process({ source, time, overlap, onProblem: null, kept: null });
    const t = this.tieTime;
    if (t !== null && (t.ms !== time.ms || t.ns !== time.ns)) this.flushTies();
    this.tieTime = time;
    // The held record is also the event's tag once it runs (one object per event, not two).
    this.ties.push({ source, time, overlap, onProblem: source.deferred ? this.deferredProblems : null, kept: null });
  }

  /** Run the held events of one timestamp in tiebreaker order (stable; missing values last). */
  private flushTies(): void {
    const held = this.ties;
    if (held.length === 0) return;
    // Two lists used in turn (no new array per timestamp); `held` is emptied once run.
    this.ties = this.spareTies;
    this.spareTies = held;
    this.tieTime = null;
    try {
      this.runHeld(held);
    } finally {
      held.length = 0;
    }
  }

  private runHeld(held: HeldEvent[]): void {
    if (held.length > 1) {
      // Tied deferred lines are parsed to read their tiebreaker (and then fed like any event).
      const tb = this.tiebreaker!;
      const rows: { h: HeldEvent; i: number; v: unknown }[] = [];
      for (let i = 0; i < held.length; i++) {
        const h = held[i]!;
        if (h.source.deferred && !parseDeferred(h.source, h.onProblem!)) continue;
        rows.push({ h, i, v: getField(toEcs(h.source.event), tb) });
      }
      if (rows.some((r) => r.v !== undefined && r.v !== null)) rows.sort((a, b) => compareTiebreakers(a.v, b.v) || a.i - b.i);
      for (const r of rows) this.process(r.h);
    } else {
      const h = held[0]!;
      if (h.source.deferred && !this.resolveNow(h.source, h.overlap, h.onProblem!)) return;
      this.process(h);
    }
  }

  /** One event; `tag` becomes its tag (where it came from, its time), kept by the views. */
  private process(tag: HeldEvent): void {
    const { source, time, overlap } = tag;
    const raw = source.event;
    const ecs = toEcs(raw);
    // Fields absent from a nested-only event are absent: no dotted-key search per rule and field.
    markIfNested(ecs);
    setTag(ecs, tag);
    if (this.flavourGated) this.flavour = flavourBit(detectFlavour(raw));
    const cats = getCategories(ecs);
    if (!overlap) {
      this.writers.observe(ecs, undefined, time);
      // The native view on demand: a closure per event only when some need reads it.
      this.telemetry.observe(ecs, cats, this.telemetry.readsNative ? () => toNative(raw) : NO_NATIVE, eventHost(raw));
      if (this.hostContext.enabled) this.hostContext.observe(eventHost(raw) ?? '', { file: source.file, position: source.position, event: ecs });
    }
    this.stamp++;
    if (this.needEcs) {
      const ot = overlap ? time : null;
      this.feedBucket(this.ecsUngated, ecs, ot);
      for (const cat of cats) {
        const b = this.ecsByCategory.get(cat);
        if (b) this.feedBucket(b, ecs, ot);
      }
      const fm = this.ecsSelectable.length > 0 ? this.set.ecsFor(this.flavour) : null;
      if (fm !== null) {
        // The flavour's matcher holds only rules of that flavour (no bit test per rule).
        const m = fm.matcher;
        const sel = m.select(ecs, cats);
        for (let i = 0; i < sel.length; i++) {
          const c = this.ecsSelectable[fm.index[sel[i]!]!];
          if (c === undefined || c.stamp === this.stamp) continue;
          c.stamp = this.stamp;
          // Only the stages the matcher selected are evaluated (the others cannot match the event).
          this.run(c, ecs, ot, m.stages[sel[i]!]!);
        }
      }
    }
    if (this.needNative) {
      this.stamp++;
      const native = toNative(raw);
      setTag(native, tag);
      (native as NativeView)[NATIVE] = true;
      const ot = overlap ? time : null;
      if (this.nativeUngated.length > 0) this.feed(this.nativeUngated, native, ot);
      const id = native.EventID;
      const key = typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : null;
      const rs = key !== null ? this.nativeByEventId.get(key) : undefined;
      if (rs) this.feed(rs, native, ot);
      if (this.nativeMatcher) this.feedSelected(this.nativeMatcher.select(native, key, native.Channel), native, ot);
    }
    // Sequences have copied the line if they hold the event (KEEPER): the text is a slice of the
    // reader's block, which anything still holding the event (host context, writers) would hold.
    if (source.text !== undefined) source.text = undefined;
  }

  /** `feed` for the rules the multi-rule matcher selected (indices into nativeSelectable). */
  private feedSelected(selected: readonly number[], view: Event, overlapTime: Instant | null): void {
    for (let i = 0; i < selected.length; i++) {
      const c = this.nativeSelectable[selected[i]!]!;
      this.run(c, view, overlapTime);
    }
  }

  /** The rules of a bucket that can match the event: the plain ones, and those its field values select. */
  private feedBucket(b: Bucket, view: Event, overlapTime: Instant | null): void {
    if (b.plain.length > 0) this.feed(b.plain, view, overlapTime);
    for (let i = 0; i < b.fields.length; i++) {
      const f = b.fields[i]!;
      const v = f.read(view);
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) {
        for (const x of v) {
          const rs = typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint' ? f.byValue.get(String(x).toLowerCase()) : undefined;
          if (rs) this.feed(rs, view, overlapTime);
        }
      } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
        const rs = f.byValue.get(String(v).toLowerCase());
        if (rs) this.feed(rs, view, overlapTime);
      }
    }
  }

  /** One rule, one event. `overlapTime`: the event lies past the part's end; only rules whose pending state reaches it see it. */
  private run(c: CompiledRule, view: Event, overlapTime: Instant | null, stages = -1): void {
    if (overlapTime !== null) {
      const h = c.overlapHorizon;
      if (h === null || (h !== 'open' && compareInstants(overlapTime, h) > 0)) return;
    }
    const runner = c.runner;
    // A sequence stage selected for the event but with no partial to take it (the telemetry-loss
    // rule's `![any where event.category in (…)]` with no alert pending): nothing to run.
    if (stages !== -1 && runner.liveStages !== undefined && (stages & runner.liveStages()) === 0) return;
    runner.push(view, stages);
    const ms = runner.drain();
    if (ms.length > 0) for (const m of ms) this.onMatch(c, m);
  }

  private feed(rules: CompiledRule[], view: Event, overlapTime: Instant | null): void {
    const stamp = this.stamp;
    for (let i = 0; i < rules.length; i++) {
      const c = rules[i]!;
      if (c.stamp === stamp) continue;
      c.stamp = stamp;
      if ((c.flavours & this.flavour) === 0) continue;
      this.run(c, view, overlapTime);
    }
  }

  private onMatch(c: CompiledRule, m: Match): void {
    if (m.events.length === 0) return;
    if (this.acceptMatch && !this.acceptMatch(c.rule, m)) return;
    const firstTag = tagOf(m.events[0]!);
    // A sequence that starts past a split point belongs to the next part, which sees it whole.
    if (firstTag?.overlap) return;
    const sources = m.events.map((e) => {
      const t = tagOf(e);
      return t ? { file: t.source.file, position: t.source.position } : { file: '?' };
    });
    let alert: Alert;
    try {
      // Alerts carry the ECS view of their events whatever view the rule matched on.
      const ecsMatch: Match = { ...m, events: m.events.map((e) => this.ecsOf(e)) };
      alert = buildAlert(c.rule, ecsMatch, sources);
    } catch (e) {
      this.problems.push({ ruleId: c.rule.id, message: `cannot build alert: ${(e as Error).message}` });
      return;
    }
    try {
      if (!alert.writer && alert.filePath && firstTag) {
        const w = this.writers.writerFor(alert.host || (eventHost(firstTag.source.event) ?? ''), alert.filePath, firstTag.time);
        if (w) alert.writer = w;
      }
      this.hostContext.attach(alert, firstTag ? (eventHost(firstTag.source.event) ?? alert.host) : alert.host);
    } catch (e) {
      // Enrichment is optional: the alert itself is never dropped.
      this.problems.push({ ruleId: c.rule.id, message: `alert ${alert.id}: cannot add writer/context: ${(e as Error).message}` });
    }
    this.out.push(alert);
  }

  private ecsOf(view: Event): Event {
    const t = tagOf(view);
    return t ? toEcs(t.source.event) : view;
  }

  /**
   * Low watermark for input ordered per stream (host) only, not across streams (serve, cluster):
   * no event older than `t` is expected any more from any live stream (null: not known yet).
   * Correlations then sweep only groups behind it instead of behind the newest time seen, so a
   * lagging host's groups survive (engine/index.ts QueryRunner.setWatermark). Never called in
   * hunt, whose input is globally ordered. Events held for the tiebreaker cap it at their time.
   */
  setWatermark(t: Instant | null): void {
    const tie = this.tieTime;
    const w = t !== null && tie !== null && compareInstants(tie, t) < 0 ? tie : t;
    for (const c of this.all) if (!c.shared) c.runner.setWatermark?.(w);
  }

  /** Live partial sequences / correlation entries over the stateful rules (for memory tests). */
  stateSize(): number {
    let n = 0;
    for (const c of this.all) if (!c.shared) n += c.runner.stateSize();
    return n;
  }

  /**
   * The part's own events are all in: from now on each rule sees only the events its pending
   * state can still use (matches that start in the overlap are dropped anyway). Returns each
   * rule's horizon by rule id, for the overlap reader to stop or narrow its line filter.
   */
  beginOverlap(): Map<string, StateHorizon> {
    this.flushTies();
    const out = new Map<string, StateHorizon>();
    for (const c of this.all) {
      c.overlapHorizon = c.shared ? null : c.runner.horizon();
      out.set(c.rule.id, out.has(c.rule.id) ? laterHorizon(out.get(c.rule.id)!, c.overlapHorizon) : c.overlapHorizon);
    }
    return out;
  }

  /**
   * Rules reloaded (serve/): take over the runners, with their pending state, of the old
   * detector's rules whose id and query are unchanged. Returns how many were kept.
   */
  adoptState(old: Detector): number {
    let kept = 0;
    const before = new Map<string, CompiledRule>();
    for (const c of old.all) if (!c.shared) before.set(c.rule.id, c);
    for (const c of this.all) {
      const o = c.shared ? undefined : before.get(c.rule.id);
      if (!o || o.view !== c.view || !sameQuery(o.rule, c.rule)) continue;
      c.runner = o.runner;
      kept++;
    }
    return kept;
  }

  /**
   * The detection state as plain JSON (format and contract: engine/snapshot.ts). Does not change
   * the detector; call takeAlerts() first (alerts not taken are carried in the snapshot).
   */
  exportState(): DetectorState {
    const table: SnapshotEvent[] = [];
    const ids = new Map<Tagged, number>();
    const idOf = (tag: Tagged): number => {
      let id = ids.get(tag);
      if (id === undefined) {
        id = table.length;
        ids.set(tag, id);
        const e: SnapshotEvent = { raw: encodeValue(tag.source.event), file: tag.source.file, time: [tag.time.ms, tag.time.ns] };
        if (tag.source.position !== undefined) e.position = tag.source.position;
        if (tag.overlap) e.overlap = true;
        table.push(e);
      }
      return id;
    };
    // An event: its table index (ECS view), [index] (native view), or {v: value} (not a fed event: a pipe's summary row).
    const kept = new Map<KeptLine, number>();
    const w: EventWriter = {
      event(ev) {
        if (ev instanceof KeptLine) {
          // A line a sequence holds: written as the event it stands for (restored views read it back).
          let id = kept.get(ev);
          if (id === undefined) kept.set(ev, (id = idOf(tagOf(restoreLine(ev))!)));
          return id;
        }
        const tag = tagOf(ev);
        if (!tag) return { v: encodeValue(ev) };
        const id = idOf(tag);
        return (ev as NativeView)[NATIVE] === true ? [id] : id;
      },
    };
    const keys = ruleKeys(this.set.rules);
    const keyOf = new Map<Rule, string>(this.set.rules.map((r, i) => [r, keys[i]!]));
    const rules: RuleState[] = [];
    for (const c of this.all) {
      if (c.shared || !c.runner.saveState) continue;
      rules.push({ key: keyOf.get(c.rule) ?? c.rule.id, hash: ruleHash(c.rule), view: c.view, state: c.runner.saveState(w) });
    }
    const context = this.hostContext.exportState((ev) => w.event(ev)) as unknown as StateJson;
    const ties: StateJson = this.ties.map((h) => ({
      s: encodeValue({ event: h.source.event, deferred: h.source.deferred, file: h.source.file, position: h.source.position }),
      t: [h.time.ms, h.time.ns],
      o: h.overlap,
    }));
    return {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      fingerprint: ruleSetFingerprint(this.set.rules),
      savedMs: Date.now(),
      events: table,
      rules,
      writers: encodeValue(this.writers.exportState()),
      context,
      ties,
      alerts: encodeValue(this.out),
      deferredSkipped: this.deferredSkipped,
    };
  }

  /**
   * Load a snapshot (exportState's output, JSON round-tripped) into this detector, which has seen
   * no event yet. Rules whose key and content hash are unchanged get their state back; the others
   * are reported in `dropped` / `fresh`. Throws SnapshotError for a snapshot of another format or
   * a newer version (nothing imported).
   */
  importState(snapshot: unknown): ImportReport {
    const snap = checkSnapshot(snapshot);
    const table = snap.events;
    const tags: (Tagged | undefined)[] = new Array<Tagged | undefined>(table.length);
    const ecsViews: (Event | undefined)[] = new Array<Event | undefined>(table.length);
    const nativeViews: (Event | undefined)[] = new Array<Event | undefined>(table.length);
    const tagAt = (i: number): Tagged => {
      let t = tags[i];
      if (!t) {
        const e = table[i];
        if (!e) throw new StateShapeError(`event ${i} not in the snapshot's table`);
        const source: SourceEvent = { event: decodeValue(e.raw) as Event, file: e.file };
        if (e.position !== undefined) source.position = e.position;
        t = tags[i] = { source, time: { ms: e.time[0], ns: e.time[1] }, overlap: e.overlap === true };
      }
      return t;
    };
    const r: EventReader = {
      event(ref) {
        if (typeof ref === 'number') {
          let v = ecsViews[ref];
          if (!v) {
            const t = tagAt(ref);
            v = ecsViews[ref] = toEcs(t.source.event);
            markIfNested(v);
            setTag(v, t);
          }
          return v;
        }
        if (Array.isArray(ref) && typeof ref[0] === 'number') {
          const i = ref[0];
          let v = nativeViews[i];
          if (!v) {
            const t = tagAt(i);
            v = nativeViews[i] = toNative(t.source.event);
            setTag(v, t);
            (v as NativeView)[NATIVE] = true;
          }
          return v;
        }
        return decodeValue(asObject(ref).v ?? null) as Event;
      },
    };
    const report: ImportReport = { sameRules: snap.fingerprint === ruleSetFingerprint(this.set.rules), restored: [], dropped: [], fresh: [] };
    const keys = ruleKeys(this.set.rules);
    const byKey = new Map<string, CompiledRule>();
    const keyOf = new Map<Rule, string>(this.set.rules.map((rule, i) => [rule, keys[i]!]));
    for (const c of this.all) if (!c.shared && c.runner.loadState) byKey.set(keyOf.get(c.rule) ?? c.rule.id, c);
    const loaded = new Set<string>();
    for (const rs of snap.rules) {
      const c = byKey.get(rs.key);
      if (!c) {
        report.dropped.push({ key: rs.key, reason: 'rule not in the current rule set (or now stateless)' });
        continue;
      }
      if (rs.hash !== ruleHash(c.rule) || rs.view !== c.view) {
        report.dropped.push({ key: rs.key, reason: 'rule changed since the snapshot' });
        continue;
      }
      try {
        c.runner.loadState!(rs.state, r);
      } catch (e) {
        // A half-loaded runner is replaced by a fresh one.
        c.runner = compileQuery(c.rule.query, engineOptions(c.rule));
        report.dropped.push({ key: rs.key, reason: `state does not fit: ${(e as Error).message}` });
        continue;
      }
      loaded.add(rs.key);
      report.restored.push(rs.key);
    }
    for (const k of byKey.keys()) if (!loaded.has(k) && !snap.rules.some((x) => x.key === k)) report.fresh.push(k);
    try {
      this.writers.importState(decodeValue(snap.writers));
      this.hostContext.importState(
        asArray(snap.context) as unknown as { host: string; next: number; items: { file: string; position?: number; event: StateJson }[] }[],
        (ref) => r.event(ref),
      );
      this.ties = asArray(snap.ties).map((x) => {
        const o = asObject(x);
        const src = decodeValue(o.s ?? null) as SourceEvent;
        const source: SourceEvent = { event: src.event ?? {}, file: src.file };
        if (src.deferred !== undefined) source.deferred = src.deferred;
        if (src.position !== undefined) source.position = src.position;
        const time = decodeInstant(o.t ?? null)!;
        return { source, time, overlap: o.o === true, onProblem: source.deferred ? this.deferredProblems : null, kept: null };
      });
      this.tieTime = this.ties.length > 0 ? this.ties[this.ties.length - 1]!.time : null;
      for (const a of decodeValue(snap.alerts) as Alert[]) this.out.push(a);
      this.deferredSkipped += snap.deferredSkipped;
    } catch (e) {
      throw new SnapshotError(`snapshot detector-wide state unreadable: ${(e as Error).message}`);
    }
    return report;
  }

  /** Alerts produced since the last call. */
  takeAlerts(): Alert[] {
    return this.out.splice(0, this.out.length);
  }

  /** End of input: flush every rule (pending missing-event sequences, pipes). */
  end(): Alert[] {
    this.flushTies();
    for (const c of this.all) {
      let ms: Match[];
      try {
        ms = c.shared ? c.runner.drain() : c.runner.end();
      } catch (e) {
        this.problems.push({ ruleId: c.rule.id, message: (e as Error).message });
        continue;
      }
      for (const m of ms) this.onMatch(c, m);
    }
    for (const p of this.set.lateProblems) if (!this.problems.some((q) => q.ruleId === p.ruleId)) this.problems.push(p);
    this.hostContext.finish();
    return this.takeAlerts();
  }
}

function sameQuery(a: Rule, b: Rule): boolean {
  const text = (r: Rule): string => JSON.stringify(r.query, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return a === b || text(a) === text(b);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/**
 * One bit per flavour detectFlavour can return (CompiledRule.flavours). A name it never returns has
 * no bit: a rule gated to it alone matches no event, as the Set lookup did.
 */
const EVERY_FLAVOUR: Record<Flavour, true> = { 'elastic-defend': true, winlogbeat: true, evtx: true, flat: true, endgame: true, ecs: true, unknown: true }; // a new Flavour fails to compile until listed
const FLAVOUR_BITS = new Map<string, number>(Object.keys(EVERY_FLAVOUR).map((f, i) => [f, 1 << i]));
const ALL_FLAVOURS = -1;
export const flavourBit = (name: string): number => FLAVOUR_BITS.get(name) ?? 0;

const NO_CATS: string[] = [];
/** For a tally none of whose needs reads the native view (TelemetryTally.readsNative). */
const NO_NATIVE = (): Event => {
  throw new Error('the blind-spot tally read a native view it said it does not need');
};
/** An ECS view's `event.category` values (nested or dotted), as the detector selects rules by them. */
export function getCategories(ecs: Event): readonly string[] {
  const ev = ecs.event as Record<string, unknown> | undefined;
  const c = ev?.category ?? ecs['event.category'];
  if (typeof c === 'string') return [c];
  if (Array.isArray(c)) return c as string[];
  return NO_CATS;
}

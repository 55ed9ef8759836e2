/**
 * What `spoor query` does with each event, shared by its single-thread path (cli/query.ts) and
 * its workers (query-worker.ts): events of equal time wait for their tiebreaker order, and lines
 * the prefilter deferred are parsed only when the join gate says they can matter.
 */
import { compareTiebreakers, type HeldKeys, type Match, type QueryRunner, type StateHorizon } from '../engine/index.js';
import { getField, type Event } from '../events/field.js';
import { compareInstants, type Instant } from '../events/timestamp.js';
import type { PathStep, Query, Rule } from '../ir/types.js';
import type { DeferredLine, ProblemSink, SourceEvent } from '../sources/types.js';
import { parseDeferred } from '../sources/ndjson.js';
import { JoinGate } from './join-gate.js';

export { JoinGate };

/** What a QueryFeed is built from. `T` is what the caller attaches to each item (e.g. "overlap"). */
export interface QueryFeedOptions<T> {
  runner: QueryRunner;
  /**
   * Decides whether a deferred line (the prefilter's DEFER: it can only join a sequence) can
   * change the state the runner holds now (join-gate.ts, as hunt's detector uses it); lines it
   * rejects are never parsed. Null: every deferred line is parsed.
   */
  gate: JoinGate | null;
  tiebreaker: PathStep[] | undefined;
  /** Where a deferred line that does not parse is reported. */
  onProblem: ProblemSink;
  /** The event in the query's view (ECS, native or raw) from the parsed document. */
  view: (raw: Event) => Event;
  /** Called for each event just before the runner gets it (record its time: the runner reads it). */
  accept: (ev: Event, time: Instant, tag: T) => void;
  /** Results that became certain after the runner got `ev`. */
  results: (ms: Match[], ev: Event) => void;
  /** A deferred line the gate let go unparsed (e.g. to parse it anyway while fields are unseen). */
  unparsed?: (se: SourceEvent, tag: T) => void;
}

interface Held<T> {
  se: SourceEvent;
  time: Instant;
  tag: T;
}

/**
 * What `spoor query` does with each event read, in time order: events of equal time wait for
 * their tiebreaker order (missing last, stable) until a later time arrives; a deferred line is
 * decided by the join gate against the runner's state at the moment it would be pushed (when a
 * tie holds several events, the deferred ones among them are parsed to read their tiebreaker),
 * and parsed only when it can matter. Without a tiebreaker, events go straight through.
 */
export class QueryFeed<T = undefined> {
  /** Deferred lines the gate let go unparsed. */
  gated = 0;
  private held: Held<T>[] = [];
  private time: Instant | null = null;
  private readonly read: ((ev: Event) => unknown) | null;
  /** The held keys (and their version) the horizon was computed at. */
  private heldSeen: HeldKeys | null = null;
  private heldVersion = -1;
  private horizon: StateHorizon = null;

  constructor(private readonly o: QueryFeedOptions<T>) {
    const tb = o.tiebreaker;
    this.read = tb ? (ev) => getField(ev, tb) : null;
  }

  /** One event read (parsed, or deferred: `se.deferred`) and its time. */
  add(se: SourceEvent, time: Instant, tag: T): void {
    // The hunt's reader keeps each line's text for its detector (SourceEvent.text): a query holds
    // parsed events, and the text would hold the reader's whole block with them.
    if (se.text !== undefined) se.text = undefined;
    if (!this.read) return this.single({ se, time, tag });
    if (this.time !== null && (this.time.ms !== time.ms || this.time.ns !== time.ns)) this.flush();
    this.time = time;
    this.held.push({ se, time, tag });
  }

  /** Release the events held (at the end of input). */
  flush(): void {
    const held = this.held;
    this.held = [];
    this.time = null;
    if (held.length === 1) return this.single(held[0]!);
    if (held.length === 0) return;
    const read = this.read!;
    const rows: { h: Held<T>; ev: Event; i: number; tb: unknown }[] = [];
    for (let i = 0; i < held.length; i++) {
      const h = held[i]!;
      if (h.se.deferred && !parseDeferred(h.se, this.o.onProblem)) continue;
      const ev = this.o.view(h.se.event);
      rows.push({ h, ev, i, tb: read(ev) });
    }
    rows.sort((a, b) => compareTiebreakers(a.tb, b.tb) || a.i - b.i);
    for (const r of rows) this.push(r.ev, r.h);
  }

  /**
   * Can the deferred line change what the runner holds? Not when the gate finds none of the held
   * keys in its text, nor when its time is past the state's horizon (every partial held expires
   * before it: maxspan). The gate is asked first: it costs a lookup per key part (the runner keeps
   * the held keys' parts), the horizon a pass over every partial held, and most lines fail the
   * gate. The horizon is recomputed only when the state changed (the held keys' version moved):
   * partials that expired stay held until the next event is pushed, and most deferred lines are
   * let go without one.
   */
  private mayUse(d: DeferredLine): boolean {
    const gate = this.o.gate;
    if (gate === null) return true;
    if (!gate.mayUse(this.o.runner, d)) return false;
    const held = this.o.runner.heldKeys();
    if (held !== null) {
      if (held !== this.heldSeen || held.version !== this.heldVersion) {
        this.heldSeen = held;
        this.heldVersion = held.version;
        this.horizon = this.o.runner.horizon();
      }
      const hz = this.horizon;
      if (hz === null || (hz !== 'open' && compareInstants(d.time, hz) > 0)) return false;
    }
    return true;
  }

  private single(h: Held<T>): void {
    const d = h.se.deferred;
    if (d) {
      if (!this.mayUse(d)) {
        this.gated++;
        this.o.unparsed?.(h.se, h.tag);
        return;
      }
      if (!parseDeferred(h.se, this.o.onProblem)) return;
    }
    this.push(this.o.view(h.se.event), h);
  }

  private push(ev: Event, h: Held<T>): void {
    this.o.accept(ev, h.time, h.tag);
    this.o.runner.push(ev);
    const d = this.o.runner.drain();
    if (d.length > 0) this.o.results(d, ev);
  }
}

/** The fields a query names (except `?optional` ones), to warn about those no event has. */
export class FieldWatch {
  private readonly pendingFields = new Map<string, PathStep[]>();

  constructor(query: unknown) {
    this.collect(query);
  }

  see(ev: Event): void {
    if (this.pendingFields.size === 0) return;
    for (const [name, path] of this.pendingFields) if (getField(ev, path) !== undefined) this.pendingFields.delete(name);
  }

  /** Keep only these names pending (the fields no worker saw). */
  only(names: string[]): void {
    const keep = new Set(names);
    for (const k of [...this.pendingFields.keys()]) if (!keep.has(k)) this.pendingFields.delete(k);
  }

  /** Whether some field is still unseen. */
  get pending(): boolean {
    return this.pendingFields.size > 0;
  }

  missing(): string[] {
    return [...this.pendingFields.keys()];
  }

  private collect(node: unknown): void {
    if (Array.isArray(node)) {
      for (const x of node) this.collect(x);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as { kind?: unknown; path?: unknown; optional?: unknown };
    if (n.kind === 'field' && Array.isArray(n.path)) {
      if (n.optional !== true) this.pendingFields.set(fieldName(n.path as PathStep[]), n.path as PathStep[]);
      return;
    }
    for (const v of Object.values(node)) this.collect(v);
  }
}

function fieldName(path: PathStep[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The query as a rule, for what takes rules (its window, the line prefilter). */
export function queryRule(query: Query): Rule {
  return { id: 'query', name: 'query', source: '<command line>', language: 'eql', view: 'ecs', query, severity: 'low' };
}

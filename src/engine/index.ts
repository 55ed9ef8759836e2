/**
 * The engine: compiles rule IR (from the EQL and Sigma front ends) into streaming query runners.
 *
 *   const run = compileQuery(query, { dialect: 'elasticsearch' });
 *   for (const ev of events) { run.push(ev); for (const m of run.drain()) report(m); }
 *   for (const m of run.end()) report(m);
 *
 * See docs/engine.md for the semantics chosen and the evidence behind them.
 */
import type { Expr, PathStep, Query } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { compareInstants, parseTimestamp, type Instant } from '../events/timestamp.js';
import { compileCorrelation } from './correlation.js';
import { EMPTY_SCOPE, type CompileContext, type EngineOptions } from './context.js';
import { compileAccessor, compileCondition, compileEventQuery, compileInner, truthy } from './expr.js';
import { compileJoin, compileSample } from './join.js';
import { buildPipes, type Match } from './pipes.js';
import { compileSequence, type Matcher, type StateHorizon } from './sequence.js';
import { compareScalars } from './values.js';
import { KeyCounts, type HeldKeys } from './held-keys.js';
import { asArray, asObject, decodeMatch, encodeMatch, loadCells, saveCells, type EventReader, type EventWriter, type StateJson } from './state.js';

export type { EngineOptions, EventKeeper } from './context.js';
export type { Match, MissingEvent } from './pipes.js';
export { eventsWithPlaceholders } from './pipes.js';
export { laterHorizon, type StateHorizon } from './sequence.js';
export { KeyCounts, type HeldKeys, type PartValues } from './held-keys.js';
export { KEY_SEP } from './values.js';
export type { Event } from '../events/field.js';
export { EngineError, knownFunctions } from './functions.js';
export { StateShapeError, type EventReader, type EventWriter, type StateJson } from './state.js';

export interface QueryRunner {
  /**
   * Feed one event; events must come in non-decreasing time order (ties in tiebreaker order).
   * `stages` (sequences; others ignore it): a bit mask of the stages the event can match, bit j
   * for stage j of the query as written (`until` after the stages; bit 31 and up: use -1), so
   * the others are not evaluated. A caller that knows no more passes nothing (every stage). It
   * must be a superset: a stage left out never sees the event.
   */
  push(ev: Event, stages?: number): void;
  /** Results that became certain since the last call (streaming). */
  drain(): Match[];
  /** End of input: flush pipes (tail, sort, count…) and return the remaining results. */
  end(): Match[];
  /** Number of live partial sequences / stored events (for memory tests). */
  stateSize(): number;
  /** How far ahead in time the state held now reaches (see StateHorizon). */
  horizon(): StateHorizon;
  /**
   * Join keys of the sequence state held now (keyString form); null when not a plain sequence.
   * A live view, kept as the state changes (each key and its parts counted at insert and
   * delete, never listed again): the same object for the runner's life; its `version` tells
   * when the state changed.
   */
  heldKeys(): HeldKeys | null;
  /**
   * The stages (bits as in `push`) through which an event can change anything now: an event none
   * of whose stages is among them may be left out, not pushed (the same results: results held
   * for a passed deadline come out at the next push or at the end instead). Sequences only, and
   * only when no condition keeps state of its own (lineage); absent: push every event.
   */
  liveStages?(): number;
  /**
   * Low watermark from the caller: no more events older than `t` are expected (from any stream),
   * when the input is in time order per stream (host) only, not across streams (serve, cluster).
   * Runners that expire state by the newest time seen (correlations) then expire only behind it.
   * Never called (hunt: globally ordered input): the newest time seen is the horizon. Absent on
   * runners whose state does not depend on it.
   */
  setWatermark?(t: Instant | null): void;
  /**
   * The state held now as JSON (sequence partials, windows, lineage, pipe buffers, results not
   * yet drained), events through `w` (state.ts). Absent on runners that hold no state.
   */
  saveState?(w: EventWriter): StateJson;
  /**
   * Replace the state with one `saveState` wrote for the same query (throws StateShapeError when
   * it does not fit; the runner's state is then undefined: use a fresh runner).
   */
  loadState?(s: StateJson, r: EventReader): void;
}

/** Returned by drain() when nothing is ready; shared and frozen, so never mutate drain()'s result. */
const NO_MATCHES: Match[] = Object.freeze([]) as unknown as Match[];

function makeContext(opts: EngineOptions): CompileContext {
  const dialect = opts.dialect ?? 'elasticsearch';
  const cat = opts.category ?? ['event', 'category'];
  const category = typeof cat === 'function' ? cat : compileAccessor(cat, dialect);
  return {
    dialect,
    vars: [],
    observers: [],
    lineage: opts.lineage ?? { pid: ['unique_pid'], ppid: ['unique_ppid'] },
    category,
    esLogic: dialect === 'elasticsearch' && opts.nullLogic !== 'three-valued',
    maxSamplesPerKey: Math.max(1, Math.trunc(opts.maxSamplesPerKey ?? 1)),
    retain: opts.retain ?? null,
    cells: [],
  };
}

/** The time function for the options (compiled once per query). */
function timeFn(opts: EngineOptions): (ev: Event) => Instant | null {
  const ts = opts.timestamp;
  if (typeof ts === 'function') return ts;
  if (ts) {
    const acc = compileAccessor(ts, opts.dialect ?? 'elasticsearch');
    return (ev) => parseTimestamp(acc(ev));
  }
  const at = compileAccessor(['@timestamp'], 'elasticsearch');
  const plain = compileAccessor(['timestamp'], 'elasticsearch');
  return (ev) => parseTimestamp(at(ev) ?? plain(ev));
}

/** The event's time per the options: `timestamp` option, else `@timestamp`, else `timestamp`. */
export function eventInstant(ev: Event, opts: EngineOptions = {}): Instant | null {
  return timeFn(opts)(ev);
}

/** Compile an expression to a function returning its value (null when missing). */
export function compileExpr(e: Expr, opts: EngineOptions = {}): (ev: Event) => unknown {
  const ctx = makeContext(opts);
  const f = compileInner(e, ctx);
  const obs = ctx.observers;
  if (obs.length === 0) {
    return (ev) => {
      const v = f(ev, EMPTY_SCOPE);
      return v === undefined ? null : v;
    };
  }
  return (ev) => {
    for (const o of obs) o(ev);
    const v = f(ev, EMPTY_SCOPE);
    return v === undefined ? null : v;
  };
}

/**
 * Compile a condition to a boolean test (true only for a truthy, non-null result). Conditions
 * with lineage (`descendant of`) keep state and must see every event of the stream, in order.
 */
export function compilePredicate(e: Expr, opts: EngineOptions = {}): (ev: Event) => boolean {
  const ctx = makeContext(opts);
  const f = compileCondition(e, ctx);
  const obs = ctx.observers;
  return (ev) => {
    for (let i = 0; i < obs.length; i++) obs[i]!(ev);
    return truthy(f(ev, EMPTY_SCOPE));
  };
}

function compileMatcher(q: Exclude<Query, { kind: 'correlation' }>, ctx: CompileContext, emit: (m: Match) => void): Matcher {
  switch (q.kind) {
    case 'event': {
      // A rule's conjuncts in the order the stream teaches (adaptive.ts): with a whole rule pack,
      // the ones every selected event meets (`host.os.type == "windows"`) stop running first.
      const test = compileEventQuery(q.query, ctx, true);
      return {
        push(ev) {
          if (test(ev, EMPTY_SCOPE)) emit({ events: [ev] });
        },
        finish() {},
        stateSize: () => 0,
        horizon: () => null,
        heldKeys: () => EMPTY_KEYS,
      };
    }
    case 'sequence':
      return compileSequence(q, ctx, emit);
    case 'join':
      return compileJoin(q, ctx, emit);
    case 'sample':
      return compileSample(q, ctx, emit);
  }
}

export function compileQuery(q: Query, opts: EngineOptions = {}): QueryRunner {
  return compileRunner(q, opts, false);
}

/**
 * `ordered`: hold sequence results until the end and order them by their last event (time,
 * tiebreaker) before the pipes, as Elasticsearch returns them; streaming emits them when certain,
 * which differs only for sequences held back by a trailing missing-event window. Batch mode only.
 */
function compileRunner(q: Query, opts: EngineOptions, ordered: boolean): QueryRunner {
  if (q.kind === 'correlation') return compileCorrelation(q, opts);
  const ctx = makeContext(opts);
  const time = timeFn(opts);
  let queue: Match[] = [];
  const pipe = buildPipes(q.pipes, ctx, (m) => queue.push(m));
  const held: Match[] = [];
  const hold = ordered && q.kind === 'sequence';
  const matcher = compileMatcher(q, ctx, hold ? (m) => held.push(m) : (m) => pipe.push(m));
  const flushHeld = (): void => {
    if (!hold) return;
    const tb = opts.tiebreaker ? compileAccessor(opts.tiebreaker, ctx.dialect) : null;
    const rows = held.map((m, i) => {
      const lastEv = m.events[m.events.length - 1];
      return { m, i, t: lastEv ? time(lastEv) : null, tb: lastEv && tb ? tb(lastEv) : undefined };
    });
    rows.sort((a, b) => {
      if (a.t !== null && b.t !== null) {
        const c = compareInstants(a.t, b.t);
        if (c !== 0) return c;
      }
      const c = tb ? compareTiebreakers(a.tb, b.tb) : 0;
      return c !== 0 ? c : a.i - b.i;
    });
    for (const r of rows) pipe.push(r.m);
    held.length = 0;
  };
  const observers = ctx.observers;
  let ended = false;
  const live = matcher.live !== undefined && observers.length === 0 ? matcher.live : undefined;
  return {
    // Always present (undefined when none), so every runner of this kind has one shape.
    liveStages: live,
    push(ev, stages) {
      if (ended) throw new Error('push() after end()');
      if (pipe.done() || ev === null || typeof ev !== 'object') return;
      for (let i = 0; i < observers.length; i++) observers[i]!(ev);
      matcher.push(ev, time, stages ?? -1);
    },
    drain() {
      if (queue.length === 0) return NO_MATCHES;
      const out = queue;
      queue = [];
      return out;
    },
    end() {
      if (!ended) {
        ended = true;
        matcher.finish();
        flushHeld();
        pipe.end();
      }
      const out = queue;
      queue = [];
      return out;
    },
    stateSize: () => matcher.stateSize() + held.length,
    horizon: () => matcher.horizon(),
    heldKeys: () => matcher.heldKeys(),
    saveState: (w) => ({ c: saveCells(ctx.cells, w), q: queue.map((m) => encodeMatch(m, w)), h: held.map((m) => encodeMatch(m, w)), x: ended }),
    loadState(s, r) {
      const o = asObject(s);
      loadCells(ctx.cells, o.c, r);
      queue = asArray(o.q).map((m) => decodeMatch(m, r));
      held.splice(0, held.length, ...asArray(o.h).map((m) => decodeMatch(m, r)));
      ended = o.x === true;
    },
  };
}

const EMPTY_KEYS: HeldKeys = new KeyCounts();

/**
 * Order of two tiebreaker values for events of equal time: values in their natural order, and an
 * event without one after every event with one (Elasticsearch sorts the tiebreaker with missing last).
 */
export function compareTiebreakers(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return compareScalars(a, b, false) ?? 0;
}

/** Sort events by time then tiebreaker (stable; events without a time keep their place at the front). */
export function sortEvents(events: Iterable<Event>, opts: EngineOptions = {}): Event[] {
  const time = timeFn(opts);
  const tb = opts.tiebreaker ? compileAccessor(opts.tiebreaker, opts.dialect ?? 'elasticsearch') : null;
  const rows = [...events].map((ev, i) => ({ ev, i, t: time(ev), tb: tb ? tb(ev) : undefined }));
  rows.sort((a, b) => {
    if (a.t === null || b.t === null) {
      if (a.t !== b.t) return a.t === null ? -1 : 1;
    } else {
      const c = compareInstants(a.t, b.t);
      if (c !== 0) return c;
    }
    if (tb) {
      const c = compareTiebreakers(a.tb, b.tb);
      if (c !== 0) return c;
    }
    return a.i - b.i;
  });
  return rows.map((r) => r.ev);
}

/**
 * Sort by time then tiebreaker (stable), run, return all results in order. In the Elasticsearch
 * dialect sequences come back ordered by their last event (as Elasticsearch returns them); in
 * the Endgame dialect in completion order (as python eql does).
 */
export function runBatch(q: Query, events: Iterable<Event>, opts: EngineOptions = {}): Match[] {
  const runner = compileRunner(q, opts, (opts.dialect ?? 'elasticsearch') === 'elasticsearch');
  const out: Match[] = [];
  for (const ev of sortEvents(events, opts)) {
    runner.push(ev);
    const got = runner.drain();
    for (const m of got) out.push(m);
  }
  for (const m of runner.end()) out.push(m);
  return out;
}

export type { PathStep };

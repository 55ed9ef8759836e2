/**
 * Streaming sequence matcher (Elasticsearch / python eql semantics).
 *
 * Positive stages are tracked per join key: `waiting[i]` maps a key to the ONE partial sequence
 * that has matched positive stages 0..i and waits for stage i+1; a newer partial replaces an older
 * one. An event is tried against the stages from last to first, so one event never advances the
 * same partial twice. `maxspan` bounds first-to-last time (inclusive); expired partials are dropped
 * lazily when touched and by a periodic sweep, so memory is bounded by live state.
 *
 * Missing-event stages `![q]` follow Elasticsearch (TumblingWindow.doCheckMissingEvents):
 * - between positive stages a and b: the candidate is dropped if a q event with the same key has
 *   a timestamp strictly between t_a and t_b;
 * - leading (before the first positive stage): `lastLeading` is the latest q event strictly before
 *   the first positive event; trailing: `firstTrailing` is the earliest q event strictly after the
 *   last positive event;
 * - the candidate is kept when no leading/trailing event exists, or when the span they define
 *   (lastLeading→firstTrailing, lastLeading→last positive, or first positive→firstTrailing)
 *   exceeds maxspan. A candidate that depends on a future trailing event is emitted once the
 *   window has passed or at end of input.
 */
import type { Expr, Query, Stage } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { addNs, diffNs, type Instant } from '../events/timestamp.js';
import { EMPTY_SCOPE, type CompileContext, type Fn } from './context.js';
import { categoryIs, compileEventQueryParts, compileInner, truthy } from './expr.js';
import type { Match } from './pipes.js';
import { isNullish, KEY_SEP, keyPart } from './values.js';
import { KeyCounts, type HeldKeys } from './held-keys.js';
import { asArray, asObject, decodeInstant, decodeValue, encodeInstant, encodeValue, StateShapeError, type EventReader, type EventWriter, type StateJson } from './state.js';

type SequenceQuery = Extract<Query, { kind: 'sequence' }>;

interface Partial {
  events: Event[];
  /** Time of the first positive event (when maxspan or missing stages need it). */
  start: Instant | null;
  /** Time of the last positive event. */
  last: Instant | null;
  /**
   * The join key values of the last event (the match's keys); null until asked for (partialKeys):
   * most partials are replaced or expire before they complete, so their keys are never built.
   */
  keys: unknown[] | null;
  /** The stage of the last event, whose `key` gives `keys` when they are null. */
  keyStage: CompiledStage | null;
  /** Latest leading missing-stage event strictly before `start`. */
  leadingAt: Instant | null;
  /** Earliest missing-stage event of the next gap strictly after `last` (drops the partial at completion). */
  missAt: Instant | null;
  /** The push that last started or advanced it (-1: loaded from a snapshot): `until` spares it then. */
  pushed: number;
}

interface CompiledStage {
  /** Event category the stage needs (null: any); checked against the category read once per event. */
  category: string | null;
  where: Fn;
  /** Join key values (only built when a partial is stored). */
  key: (ev: Event) => unknown[];
  /**
   * The join key as a map key, built without intermediate arrays: a string; several strings when
   * a key field holds an array (the event joins on each value); null when a key that is not
   * optional (`?field`) is null or missing (the event takes no part, as in Elasticsearch).
   */
  keyText: (ev: Event) => KeyTexts;
  /** Endgame `fork=true`: extending a partial leaves the original in place for other events. */
  fork: boolean;
  /** Its bit in a push's stage mask (stage j of the query as written: 1 << j; -1 past 30). */
  bit: number;
}

/** The stage-mask bit of stage `j` as written (QueryRunner.push): stages past 30 share every bit. */
export const stageBit = (j: number): number => (j < 31 ? 1 << j : -1);

interface Pending {
  partial: Partial;
  key: string;
  /** A trailing missing event at or before this time (and after `partial.last`) discards it; null: until end. */
  deadline: Instant | null;
  /** Time the deadline is measured from (lastLeading or the first positive event). */
  from: Instant | null;
}

export interface Matcher {
  /**
   * `time` gives the event's time; called lazily, only when a decision needs it. `stages`: the
   * stages (bit j: stage j as written, until last; see QueryRunner.push) the event can match.
   */
  push(ev: Event, time: (ev: Event) => Instant | null, stages: number): void;
  /** Input ended: flush pending candidates. */
  finish(): void;
  stateSize(): number;
  /** The latest time at which the state held now can still take an event (see StateHorizon). */
  horizon(): StateHorizon;
  /**
   * The join keys (keyString form) of the state held now: an event whose key is not among them
   * changes nothing unless it can start a sequence. null: this matcher cannot tell. The same
   * object for the matcher's life, kept up to date as the state changes (see HeldKeys).
   */
  heldKeys(): HeldKeys | null;
  /**
   * The stages (bit j: stage j as written, until last; see QueryRunner.push) an event can change
   * anything through now: an event that can match none of them can be left out (not pushed). A
   * sequence's first stage and leading missing-event stages always; a later stage, the missing
   * stages before it and `until` only while a partial waits for them; trailing missing-event
   * stages while a candidate is pending. Absent: every stage, always.
   */
  live?(): number;
}

/**
 * How far ahead the state a matcher holds reaches: `null` nothing pending; an instant: no
 * partial held now can take an event later than it (maxspan); `'open'`: no bound (no maxspan).
 * A split work part reads on past its end only up to this horizon (hunt/ordered-stream.ts).
 */
export type StateHorizon = Instant | null | 'open';

/** The later of two horizons ('open' wins, null loses). */
export function laterHorizon(a: StateHorizon, b: StateHorizon): StateHorizon {
  if (a === 'open' || b === 'open') return 'open';
  if (a === null) return b;
  if (b === null) return a;
  return a.ms > b.ms || (a.ms === b.ms && a.ns > b.ns) ? a : b;
}

/** See CompiledStage.keyText. */
export type KeyTexts = string | string[] | null;

const MAX_KEY_COMBINATIONS = 64;

/** Key values → key strings: arrays expand to one key per element (cartesian across fields), nulls drop unless optional. */
export function expandKeys(values: unknown[], optional: boolean[], fold: boolean): KeyTexts {
  let out: string[] = [''];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let parts: string[];
    if (Array.isArray(v)) {
      parts = [...new Set(v.filter((x) => !isNullish(x)).map((x) => keyPart(x, fold)))];
      if (parts.length === 0) parts = optional[i] ? ['n'] : [];
    } else if (isNullish(v)) parts = optional[i] ? ['n'] : [];
    else parts = [keyPart(v, fold)];
    if (parts.length === 0) return null;
    const next: string[] = [];
    for (const o of out) for (const p of parts) if (next.length < MAX_KEY_COMBINATIONS) next.push(i === 0 ? p : o + KEY_SEP + p);
    out = next;
  }
  return out.length === 1 ? out[0]! : out;
}

/** Whether `map` holds any key of `kt`. */
function holdsAny(map: Map<string, unknown>, kt: string | string[]): boolean {
  if (typeof kt === 'string') return map.has(kt);
  for (const k of kt) if (map.has(k)) return true;
  return false;
}

/** Run `f` on each key of `kt` (none when null). */
function eachKey(kt: KeyTexts, f: (k: string) => void): void {
  if (kt === null) return;
  if (typeof kt === 'string') f(kt);
  else for (const k of kt) f(k);
}

/** The values of one expanded key string (keyPart forms: s…, d…, T, F, n), for the match's keys. */
export function decodeKey(k: string): unknown[] {
  return k.split(KEY_SEP).map((p) => {
    switch (p[0]) {
      case 's':
        return p.slice(1);
      case 'd': {
        const n = Number(p.slice(1));
        return Number.isSafeInteger(n) || !/^-?\d+$/.test(p.slice(1)) ? n : BigInt(p.slice(1));
      }
      case 'T':
        return true;
      case 'F':
        return false;
      default:
        return null;
    }
  });
}

/** Whether a join key expression is an optional field (`?field`): null then joins null. */
export function isOptionalKey(e: Expr): boolean {
  return e.kind === 'field' && e.optional === true;
}

function compileKey(by: Expr[], ctx: CompileContext): (ev: Event) => unknown[] {
  const fs = by.map((b) => compileInner(b, ctx));
  if (fs.length === 0) return () => [];
  return (ev) =>
    fs.map((f) => {
      const v = f(ev, EMPTY_SCOPE);
      return v === undefined ? null : v;
    });
}

/** The last string value of a join key field and its key text (compileKeyText), one per field and fold. */
interface KeyMemo {
  value: string | undefined;
  text: string;
}
const keyMemos = new Map<string, KeyMemo>();
function keyMemo(name: string): KeyMemo {
  let m = keyMemos.get(name);
  if (m === undefined) keyMemos.set(name, (m = { value: undefined, text: '' }));
  return m;
}

/**
 * The same string as `keyString(compileKey(by)(ev), fold)` for scalar keys, with no array per call;
 * arrays and nulls go through expandKeys. `nullJoins`: the Endgame dialect joins null keys (python eql).
 */
function compileKeyText(by: Expr[], ctx: CompileContext, fold: boolean, nullJoins: boolean): (ev: Event) => KeyTexts {
  const fs = by.map((b) => compileInner(b, ctx));
  const optional = by.map((b) => nullJoins || isOptionalKey(b));
  if (fs.length === 0) return () => '';
  const slow = (ev: Event): KeyTexts => expandKeys(fs.map((f) => f(ev, EMPTY_SCOPE)), optional, fold);
  const plain = (v: unknown): boolean => v !== null && v !== undefined && typeof v !== 'object';
  if (fs.length === 1) {
    const [a] = fs as [Fn];
    // The text of the last string value, shared by every stage joining on the same field: the
    // rules of a pack that join on host.id or process.entity_id read the same string of the same
    // event one after the other, and get one key text (built and hashed once) instead of a new one
    // each. Keyed by the value itself (keyPart is a function of it and `fold` alone): never stale.
    const memo = by[0]!.kind === 'field' ? keyMemo(by[0]!.path.join('\u0000') + (fold ? '\u0001f' : '')) : null;
    if (memo !== null)
      return (ev) => {
        const v = a(ev, EMPTY_SCOPE);
        if (typeof v === 'string') {
          if (v === memo.value) return memo.text;
          const t = keyPart(v, fold);
          memo.value = v;
          memo.text = t;
          return t;
        }
        return plain(v) ? keyPart(v, fold) : slow(ev);
      };
    return (ev) => {
      const v = a(ev, EMPTY_SCOPE);
      return plain(v) ? keyPart(v, fold) : slow(ev);
    };
  }
  if (fs.length === 2) {
    const [a, b] = fs as [Fn, Fn];
    return (ev) => {
      const x = a(ev, EMPTY_SCOPE);
      const y = b(ev, EMPTY_SCOPE);
      return plain(x) && plain(y) ? keyPart(x, fold) + KEY_SEP + keyPart(y, fold) : slow(ev);
    };
  }
  return slow;
}

function compileStage(s: Stage, queryBy: Expr[], ctx: CompileContext, foldKeys = false, bit = -1): CompiledStage {
  const { category, where } = compileEventQueryParts(s.query, ctx, true);
  const by = [...queryBy, ...s.by];
  const fold = foldKeys || ctx.dialect === 'endgame';
  return { category, where, key: compileKey(by, ctx), keyText: compileKeyText(by, ctx, fold, ctx.dialect === 'endgame'), fork: s.fork === true, bit };
}

/** `cat` is the event's category value, read once per event by the caller. */
function stageMatches(st: CompiledStage, ev: Event, cat: unknown): boolean {
  return (st.category === null || categoryIs(cat, st.category)) && truthy(st.where(ev, EMPTY_SCOPE));
}

/** A partial's join key values: those of its last event, built on first use (Partial.keys). */
function partialKeys(p: Partial): unknown[] {
  if (p.keys === null) p.keys = p.keyStage!.key(p.events[p.events.length - 1]!);
  return p.keys;
}

/** Expand `runs=N` into N copies of the stage. */
export function expandRuns(stages: Stage[]): Stage[] {
  const out: Stage[] = [];
  for (const s of stages) {
    const n = s.runs ?? 1;
    for (let i = 0; i < n; i++) out.push(s);
  }
  return out;
}

/** a < b, with null (unknown time) never ordered. */
function before(a: Instant | null, b: Instant | null): boolean {
  return a !== null && b !== null && (a.ms < b.ms || (a.ms === b.ms && a.ns < b.ns));
}

export function compileSequence(q: SequenceQuery, ctx: CompileContext, emit: (m: Match) => void): Matcher {
  // Stages with `runs=N` expanded into N copies, each with the bit of the stage as written.
  const all: { s: Stage; bit: number }[] = [];
  q.stages.forEach((s, j) => {
    for (let n = 0; n < (s.runs ?? 1); n++) all.push({ s, bit: stageBit(j) });
  });
  // Positive stages, and for each gap (before positive 0, between i-1 and i, after the last) its missing stages.
  const positives: CompiledStage[] = [];
  const gaps: CompiledStage[][] = [[]];
  const missingPositions: number[] = [];
  const fold = q.caseInsensitiveKeys === true;
  all.forEach(({ s, bit }, i) => {
    if (s.missing) {
      gaps[gaps.length - 1]!.push(compileStage(s, q.by, ctx, fold, bit));
      missingPositions.push(i);
    } else {
      positives.push(compileStage(s, q.by, ctx, fold, bit));
      gaps.push([]);
    }
  });
  if (positives.length === 0) throw new Error('a sequence needs at least one stage that is not a missing event');
  const until = q.until ? compileStage(q.until, q.by, ctx, fold, stageBit(q.stages.length)) : null;
  const maxspan = q.maxspanNs;
  const last = positives.length - 1;
  const leading = gaps[0]!;
  const trailing = gaps[positives.length]!;
  const needTime = maxspan !== undefined || missingPositions.length > 0;
  const getCat = ctx.category;
  const needCat = [...positives, ...gaps.flat(), ...(until ? [until] : [])].some((s) => s.category !== null);
  /** waiting[i]: partials that matched positive stages 0..i, keyed by join key. */
  const waiting: Map<string, Partial>[] = positives.slice(0, last).map(() => new Map());
  /** Per key: the latest leading missing-stage event time, and the latest one strictly before it. */
  const leadTimes = new Map<string, { last: Instant | null; prev: Instant | null }>();
  const pending: Pending[] = [];
  let sweepCounter = 0;
  /**
   * The keys of `waiting` and `pending`, counted (a key held at several stages or pending twice
   * counts each time), kept from the first heldKeys() call on (null before: a runner no hunt
   * gates pays nothing for it). Every change to `waiting` and `pending` goes through
   * hold/drop/pend/unpend, which also move its version (a partial replaced under a key it holds
   * already too); loadState and finish list them again.
   */
  let held: KeyCounts | null = null;
  const rebuildHeld = (): void => {
    held!.clear();
    for (const map of waiting) for (const k of map.keys()) held!.add(k);
    for (const p of pending) held!.add(p.key);
  };
  /** waiting[i] takes `p` under `k` (replacing the partial held there, if any). */
  const hold = (map: Map<string, Partial>, k: string, p: Partial): void => {
    if (held !== null) {
      if (map.has(k)) held.version++;
      else held.add(k);
    }
    map.set(k, p);
  };
  /** Drop the partial held under `k` in `map`, if any. */
  const drop = (map: Map<string, Partial>, k: string): void => {
    if (map.delete(k) && held !== null) held.delete(k);
  };
  const pend = (p: Pending): void => {
    pending.push(p);
    if (held !== null) held.add(p.key);
  };
  /** Remove pending[i]. */
  const unpend = (i: number): void => {
    const [p] = pending.splice(i, 1);
    if (held !== null) held.delete(p!.key);
  };
  // Matcher.live: the bits live whatever the state (first positive stage, leading missing stages);
  // per positive stage g ≥ 1, the bits live while waiting[g - 1] holds a partial (stage g, the
  // missing stages before it, until); the trailing missing stages' bits while a candidate is pending.
  let alwaysLive = positives[0]!.bit;
  for (const m of leading) alwaysLive |= m.bit;
  const liveWhileWaiting: number[] = [];
  for (let g = 1; g <= last; g++) {
    let b = positives[g]!.bit | (until ? until.bit : 0);
    for (const m of gaps[g]!) b |= m.bit;
    liveWhileWaiting.push(b);
  }
  let liveWhilePending = 0;
  for (const m of trailing) liveWhilePending |= m.bit;

  const savePartial = (p: Partial, w: EventWriter): StateJson => ({
    e: p.events.map((ev) => w.event(ev)),
    s: encodeInstant(p.start),
    l: encodeInstant(p.last),
    k: encodeValue(partialKeys(p)),
    la: encodeInstant(p.leadingAt),
    ma: encodeInstant(p.missAt),
  });
  const loadPartial = (j: StateJson, r: EventReader): Partial => {
    const o = asObject(j);
    return {
      events: asArray(o.e).map((x) => r.event(x)),
      start: decodeInstant(o.s ?? null),
      last: decodeInstant(o.l ?? null),
      keys: decodeValue(o.k ?? null) as unknown[],
      keyStage: null,
      leadingAt: decodeInstant(o.la ?? null),
      missAt: decodeInstant(o.ma ?? null),
      pushed: -1,
    };
  };
  ctx.cells.push({
    save: (w) => ({
      w: waiting.map((m) => [...m].map(([k, p]) => [k, savePartial(p, w)])),
      lt: [...leadTimes].map(([k, t]) => [k, encodeInstant(t.last), encodeInstant(t.prev)]),
      p: pending.map((p) => ({ p: savePartial(p.partial, w), k: p.key, d: encodeInstant(p.deadline), f: encodeInstant(p.from) })),
      sc: sweepCounter,
    }),
    load(j, r) {
      const o = asObject(j);
      const ws = asArray(o.w);
      if (ws.length !== waiting.length) throw new StateShapeError(`sequence state has ${ws.length + 1} stages, the rule ${waiting.length + 1}`);
      ws.forEach((list, i) => {
        const m = waiting[i]!;
        m.clear();
        for (const e of asArray(list)) {
          const [k, p] = asArray(e);
          m.set(k as string, loadPartial(p!, r));
        }
      });
      leadTimes.clear();
      for (const e of asArray(o.lt)) {
        const [k, a, b] = asArray(e);
        leadTimes.set(k as string, { last: decodeInstant(a!), prev: decodeInstant(b!) });
      }
      pending.length = 0;
      for (const e of asArray(o.p)) {
        const x = asObject(e);
        pending.push({ partial: loadPartial(x.p!, r), key: x.k as string, deadline: decodeInstant(x.d ?? null), from: decodeInstant(x.f ?? null) });
      }
      sweepCounter = typeof o.sc === 'number' ? o.sc : 0;
      if (held !== null) rebuildHeld();
    },
  });

  const exceeds = (from: Instant | null, to: Instant | null): boolean =>
    maxspan !== undefined && from !== null && to !== null && diffNs(from, to) > maxspan;

  const output = (p: Partial): void => {
    const m: Match = { events: retain === null ? p.events : p.events.map((e) => retain.restore(e)), keys: partialKeys(p) };
    if (missingPositions.length > 0) m.missingStages = missingPositions;
    emit(m);
  };

  const sweep = (now: Instant | null): void => {
    if (maxspan === undefined || now === null) return;
    for (const map of waiting)
      for (const [k, p] of map) if (exceeds(p.start, now)) drop(map, k);
    for (const [k, t] of leadTimes) if (exceeds(t.last, now)) leadTimes.delete(k);
  };

  const releasePending = (now: Instant | null): void => {
    for (let i = 0; i < pending.length; ) {
      const p = pending[i]!;
      if (p.deadline !== null && before(p.deadline, now)) {
        unpend(i);
        output(p.partial);
      } else i++;
    }
  };

  /** A sequence whose positive stages all matched: apply the leading/trailing missing-event rules. */
  const complete = (p: Partial, key: string, now: Instant | null): void => {
    const hasLeading = leading.length > 0;
    if (hasLeading && p.leadingAt !== null && trailing.length === 0) {
      if (exceeds(p.leadingAt, p.last)) output(p);
      return;
    }
    if (trailing.length === 0 || (hasLeading && p.leadingAt === null)) {
      output(p);
      return;
    }
    const from = hasLeading ? p.leadingAt : p.start;
    const deadline = maxspan !== undefined && from !== null ? addNs(from, maxspan) : null;
    if (deadline !== null && before(deadline, now)) output(p);
    else pend({ partial: p, key, deadline, from });
  };

  // What partials hold of the current event (EngineOptions.retain), made at most once per push.
  const retain = ctx.retain;
  let curKept: Event | null = null;
  let pushNo = 0;
  // The current event's time, computed at most once and only when needed (no per-event closure).
  let curEv: Event = {};
  let curTime: (ev: Event) => Instant | null = () => null;
  let haveNow = false;
  let now: Instant | null = null;
  const getNow = (): Instant | null => {
    if (!haveNow) {
      now = curTime(curEv);
      haveNow = true;
    }
    return now;
  };

  /** Stage `i` matched `ev` under join key `k`: start, advance or complete a partial. */
  const advance = (i: number, st: CompiledStage, k: string, ev: Event, keyValues: unknown[] | null): void => {
    let partial: Partial;
    let held = ev;
    if (retain !== null) {
      held = curKept ??= retain.keep(ev);
      // A stand-in cannot give the keys later (partialKeys): read them now.
      if (held !== ev && keyValues === null) keyValues = st.key(ev);
    }
    if (i === 0) {
      const t = needTime ? getNow() : null;
      let leadingAt: Instant | null = null;
      if (leading.length > 0) {
        const lt = leadTimes.get(k);
        if (lt) leadingAt = before(lt.last, t) ? lt.last : before(lt.prev, t) ? lt.prev : null;
      }
      partial = { events: [held], start: t, last: t, keys: keyValues, keyStage: st, leadingAt, missAt: null, pushed: pushNo };
    } else {
      const map = waiting[i - 1]!;
      const prev = map.get(k);
      if (!prev) return;
      const t = needTime ? getNow() : null;
      if (!st.fork) drop(map, k);
      if (exceeds(prev.start, t)) {
        drop(map, k);
        return;
      }
      if (prev.missAt !== null && before(prev.missAt, t)) return;
      partial = { events: [...prev.events, held], start: prev.start, last: t, keys: keyValues, keyStage: st, leadingAt: prev.leadingAt, missAt: null, pushed: pushNo };
    }
    if (i < last) hold(waiting[i]!, k, partial);
    else complete(partial, k, partial.last);
  };

  return {
    push(ev, time, stages) {
      curEv = ev;
      curTime = time;
      haveNow = false;
      curKept = null;
      pushNo++;
      const cat = needCat ? getCat(ev) : undefined;
      if (pending.length > 0) releasePending(getNow());
      if (maxspan !== undefined && ++sweepCounter >= 8192) {
        sweepCounter = 0;
        sweep(getNow());
      }
      // Missing-stage events only mark state; the positive stages below decide.
      if (missingPositions.length > 0) {
        for (let g = 1; g <= last; g++) {
          // A missing-event stage after positive g-1 only marks partials held there.
          if (waiting[g - 1]!.size === 0) continue;
          for (const m of gaps[g]!) {
            if ((m.bit & stages) === 0 || !stageMatches(m, ev, cat)) continue;
            eachKey(m.keyText(ev), (k) => {
              const p = waiting[g - 1]!.get(k);
              const t = getNow();
              if (p && p.missAt === null && before(p.last, t)) p.missAt = t;
            });
          }
        }
        for (const m of trailing) {
          if (pending.length === 0) break;
          if ((m.bit & stages) === 0 || !stageMatches(m, ev, cat)) continue;
          eachKey(m.keyText(ev), (k) => {
            const t = getNow();
            for (let i = pending.length - 1; i >= 0; i--) {
              const p = pending[i]!;
              if (p.key !== k || !before(p.partial.last, t)) continue;
              unpend(i);
              // Kept only if this (the first trailing) event lies beyond maxspan from `from`.
              if (exceeds(p.from, t)) output(p.partial);
            }
          });
        }
        for (const m of leading) {
          if ((m.bit & stages) === 0 || !stageMatches(m, ev, cat)) continue;
          eachKey(m.keyText(ev), (k) => {
            const t = getNow();
            const cur = leadTimes.get(k);
            if (!cur) leadTimes.set(k, { last: t, prev: null });
            else if (before(cur.last, t)) leadTimes.set(k, { last: t, prev: cur.last });
          });
        }
      }
      for (let i = last; i >= 0; i--) {
        const st = positives[i]!;
        if ((st.bit & stages) === 0) continue;
        let kt: KeyTexts;
        if (i > 0) {
          // A later stage only advances a partial held under the event's key: the key (one read,
          // one lookup) is checked before the stage's condition, which is what most events fail.
          const held = waiting[i - 1]!;
          if (held.size === 0) continue;
          if (st.category !== null && !categoryIs(cat, st.category)) continue;
          kt = st.keyText(ev);
          if (kt === null || !holdsAny(held, kt)) continue;
          if (!truthy(st.where(ev, EMPTY_SCOPE))) continue;
        } else {
          if (!stageMatches(st, ev, cat)) continue;
          kt = st.keyText(ev);
          if (kt === null) continue;
        }
        if (typeof kt === 'string') advance(i, st, kt, ev, null);
        else for (const k of kt) advance(i, st, k, ev, decodeKey(k));
      }
      // `until` cancels only partials whose last event is strictly before it: one that this very
      // event advanced or completed stands (Elasticsearch: until ordinal > sequence ordinal).
      if (until && (until.bit & stages) !== 0 && waiting.some((m) => m.size > 0) && stageMatches(until, ev, cat)) {
        eachKey(until.keyText(ev), (k) => {
          for (const map of waiting) {
            const p = map.get(k);
            // (With stand-ins the last event cannot be compared: the push that advanced it tells.)
            if (p && p.pushed !== pushNo && (retain !== null || p.events[p.events.length - 1] !== ev)) drop(map, k);
          }
        });
      }
    },
    finish() {
      for (const p of pending) output(p.partial);
      pending.length = 0;
      if (held !== null) rebuildHeld();
    },
    live() {
      let b = alwaysLive;
      for (let g = 0; g < waiting.length; g++) if (waiting[g]!.size > 0) b |= liveWhileWaiting[g]!;
      if (pending.length > 0) b |= liveWhilePending;
      return b;
    },
    heldKeys() {
      if (held === null) {
        held = new KeyCounts();
        rebuildHeld();
      }
      return held;
    },
    stateSize() {
      let n = pending.length + leadTimes.size;
      for (const m of waiting) n += m.size;
      return n;
    },
    horizon() {
      // Leading missing-stage times only matter to partials that start later: not counted.
      let h: StateHorizon = null;
      for (const p of pending) {
        if (p.deadline === null) return 'open';
        h = laterHorizon(h, p.deadline);
      }
      for (const map of waiting) {
        if (map.size === 0) continue;
        if (maxspan === undefined) return 'open';
        for (const p of map.values()) {
          if (p.start === null) return 'open';
          h = laterHorizon(h, addNs(p.start, maxspan));
        }
      }
      return h;
    },
  };
}

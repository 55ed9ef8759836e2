/**
 * Sigma correlation rules (event_count, value_count, temporal, temporal_ordered, value_sum/avg/percentile).
 *
 * Base rules run as ordinary queries; their matches are grouped by the `group-by` key (aliases
 * already resolved per base rule by the front end) and kept in a per-group SLIDING window of
 * `timespan`: any window ending (or starting) at any event counts, not fixed time buckets.
 *
 * When a correlation fires:
 * - Thresholds that can only grow (`gt`/`gte` alone) are checked as each match arrives, so the
 *   alert comes as soon as the window holds enough; the group's state is then cleared, so one
 *   burst gives one alert.
 * - Thresholds with an upper bound (`lt`, `lte`, `eq`, `neq`, ranges) and value_percentile can
 *   only be judged once a window is complete: the window starting at the group's oldest match is
 *   evaluated when a later match falls outside it, when the group goes idle, or at end of input.
 *   A window that exceeds an upper bound is consumed whole, so the tail of a large burst does not
 *   alert on its own; one below the lower bound only drops its oldest match.
 * - temporal_ordered tracks partial chains like an EQL sequence: rule 1, then rule 2 …, each at or
 *   after the previous one, the whole chain within timespan of its first event.
 *
 * Memory is bounded: matches older than the timespan are evicted, idle groups are swept, and a
 * group keeps at most MAX_GROUP_ENTRIES matches.
 *
 * The sweep (every SWEEP_EVERY pushes) drops groups whose newest match is more than the timespan
 * behind a horizon. By default the horizon is the newest event time seen across all groups, which
 * is right only for globally time-ordered input (hunt). serve and the cluster order events per
 * host (per group in cluster stage 2): a host whose shipper lags others by more than the timespan
 * would see its groups swept between their own events. They give a low watermark instead
 * (setWatermark: no event older than it is expected from any live stream), and the sweep then
 * drops only groups behind it.
 */
import type { Correlation, Expr, Query } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { addNs, diffNs, parseTimestamp, type Instant } from '../events/timestamp.js';
import { compileExpr, compilePredicate, compileQuery, eventInstant, type EngineOptions, type Match, type QueryRunner } from './index.js';
import { laterHorizon, type StateHorizon } from './sequence.js';
import { asArray, asObject, decodeInstant, decodeMatch, decodeValue, encodeInstant, encodeMatch, encodeValue, StateShapeError, type EventReader, type EventWriter, type StateJson } from './state.js';

const MAX_GROUP_ENTRIES = 10_000;
const SWEEP_EVERY = 4096;

interface Entry {
  t: Instant;
  rule: number;
  events: Event[];
  /** Value of the correlation field (value_* types), as text for value_count, number otherwise. */
  value?: string | number;
}

interface Chain {
  start: Instant;
  last: Instant;
  events: Event[];
}

interface Group {
  keys: unknown[];
  entries: Entry[];
  /** temporal_ordered: best partial chain that has reached rule k (index k). */
  chains: (Chain | undefined)[];
  newest: Instant;
}

type Cond = NonNullable<Correlation['condition']>;

/** Time of a native or ECS event: the engine's timestamp option, then Windows native fields. */
function nativeTime(opts: EngineOptions): (ev: Event) => Instant | null {
  const fallbacks: string[][] = [
    ['TimeCreated'],
    ['SystemTime'],
    ['Event', 'System', 'TimeCreated', '#attributes', 'SystemTime'],
    ['Event', 'System', 'TimeCreated_attributes', 'SystemTime'],
    ['UtcTime'],
  ];
  return (ev) => {
    const t = eventInstant(ev, opts);
    if (t) return t;
    for (const path of fallbacks) {
      let cur: unknown = ev;
      for (const step of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[step] : undefined;
      if (cur !== null && typeof cur === 'object' && 'SystemTime' in (cur as object)) cur = (cur as Record<string, unknown>).SystemTime;
      const parsed = parseTimestamp(cur);
      if (parsed) return parsed;
    }
    return null;
  };
}

function holds(cond: Cond, x: number): boolean {
  return cond.every(({ op, value }) => {
    switch (op) {
      case 'gt':
        return x > value;
      case 'gte':
        return x >= value;
      case 'lt':
        return x < value;
      case 'lte':
        return x <= value;
      case 'eq':
        return x === value;
      case 'neq':
        return x !== value;
    }
  });
}

/** True when `x` fails the condition by being too large (an upper bound is exceeded). */
function aboveRange(cond: Cond, x: number): boolean {
  return cond.some(({ op, value }) => (op === 'lt' && x >= value) || (op === 'lte' && x > value) || (op === 'eq' && x > value));
}

function keyText(v: unknown): string {
  if (typeof v === 'string') return `s${v.toLowerCase()}`;
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') return `n${v}`;
  return `j${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`;
}

interface BaseRunner {
  push(ev: Event): Match[];
  end(): Match[];
  /** Absent: the base rule keeps no state. */
  save?(w: EventWriter): StateJson;
  load?(s: StateJson, r: EventReader): void;
}

function baseRunner(q: Query, opts: EngineOptions): BaseRunner {
  if (q.kind === 'event' && q.pipes.length === 0 && q.query.category === null) {
    const test = compilePredicate(q.query.where, opts);
    return { push: (ev) => (test(ev) ? [{ events: [ev] }] : []), end: () => [] };
  }
  const r = compileQuery(q, opts);
  return {
    push(ev) {
      r.push(ev);
      return r.drain();
    },
    end: () => r.end(),
    ...(r.saveState && r.loadState ? { save: (w: EventWriter) => r.saveState!(w), load: (s: StateJson, rd: EventReader) => r.loadState!(s, rd) } : {}),
  };
}

/** Group keys and value fields; `call coalesce(a, b…)` (from the Sigma front end) takes the first present. */
function compileKey(e: Expr, opts: EngineOptions): (ev: Event) => unknown {
  if (e.kind === 'call' && e.name === 'coalesce') {
    const parts = e.args.map((a) => compileKey(a, opts));
    return (ev) => {
      for (const p of parts) {
        const v = p(ev);
        if (v !== null && v !== undefined) return v;
      }
      return null;
    };
  }
  return compileExpr(e, opts);
}

export function compileCorrelation(q: Correlation, opts: EngineOptions = {}): QueryRunner {
  const n = q.rules.length;
  const runners = q.rules.map((r) => baseRunner(r.query, opts));
  const groupFns = q.groupBy.map((keys) => keys.map((k: Expr) => compileKey(k, opts)));
  const valueFns = q.valueField?.map((f) => compileKey(f, opts));
  const time = nativeTime(opts);
  const span = q.timespanNs;
  const type = q.type;
  const isTemporal = type === 'temporal' || type === 'temporal_ordered';
  const cond: Cond = q.condition ?? (isTemporal ? [{ op: 'gte', value: n }] : []);
  const onArrival = type !== 'value_percentile' && cond.every((c) => c.op === 'gt' || c.op === 'gte');

  const groups = new Map<string, Group>();
  let queue: Match[] = [];
  let pushes = 0;
  let latest: Instant | null = null;
  /** The caller's low watermark (setWatermark); `external` false: never given, the horizon is `latest`. */
  let watermark: Instant | null = null;
  let external = false;

  const emit = (g: Group, entries: { events: Event[] }[], extra: Partial<Match> = {}): void => {
    queue.push({ events: entries.flatMap((e) => e.events), keys: g.keys, ...extra });
  };

  /** The window metric for a set of entries. */
  const metric = (entries: Entry[]): number => {
    switch (type) {
      case 'event_count':
        return entries.length;
      case 'value_count':
        return new Set(entries.map((e) => e.value)).size;
      case 'temporal':
      case 'temporal_ordered':
        return new Set(entries.map((e) => e.rule)).size;
      case 'value_sum':
        return entries.reduce((s, e) => s + (e.value as number), 0);
      case 'value_avg':
        return entries.length === 0 ? NaN : entries.reduce((s, e) => s + (e.value as number), 0) / entries.length;
      case 'value_percentile':
        return NaN; // evaluated per value in closeWindows
    }
  };

  /** Judge every complete window (anchored at the oldest entry) that ends before `now`. */
  const closeWindows = (g: Group, now: Instant | null): void => {
    while (g.entries.length > 0) {
      const anchor = g.entries[0]!;
      if (now !== null && diffNs(anchor.t, now) <= span) return;
      let end = 1;
      while (end < g.entries.length && diffNs(anchor.t, g.entries[end]!.t) <= span) end++;
      const window = g.entries.slice(0, end);
      if (type === 'value_percentile') {
        const same = window.filter((e) => e.value === anchor.value);
        if (holds(cond, (100 * same.length) / window.length)) {
          emit(g, same, { count: same.length });
          g.entries = g.entries.filter((e) => !same.includes(e));
          continue;
        }
      } else {
        const x = metric(window);
        if (holds(cond, x)) {
          emit(g, window, { count: window.length });
          g.entries.splice(0, end);
          continue;
        }
        if (aboveRange(cond, x)) {
          // The whole window is one over-threshold burst: its tail must not alert on its own.
          g.entries.splice(0, end);
          continue;
        }
      }
      g.entries.shift();
    }
  };

  const evict = (g: Group, now: Instant): void => {
    if (!onArrival) {
      closeWindows(g, now);
      return;
    }
    let drop = 0;
    while (drop < g.entries.length && diffNs(g.entries[drop]!.t, now) > span) drop++;
    if (drop > 0) g.entries.splice(0, drop);
  };

  const addOrdered = (g: Group, rule: number, t: Instant, events: Event[]): void => {
    for (let k = 0; k < g.chains.length; k++) {
      const c = g.chains[k];
      if (c && diffNs(c.start, t) > span) g.chains[k] = undefined;
    }
    let next: Chain | undefined;
    if (rule === 0) next = { start: t, last: t, events };
    else {
      const prev = g.chains[rule - 1];
      if (prev && diffNs(prev.last, t) >= 0 && diffNs(prev.start, t) <= span) {
        next = { start: prev.start, last: t, events: [...prev.events, ...events] };
      }
    }
    if (!next) return;
    if (rule === n - 1) {
      queue.push({ events: next.events, keys: g.keys });
      g.chains = new Array<Chain | undefined>(n).fill(undefined);
      return;
    }
    const cur = g.chains[rule];
    if (!cur || diffNs(cur.start, next.start) >= 0) g.chains[rule] = next;
  };

  const add = (rule: number, m: Match): void => {
    const ev = m.events[m.events.length - 1] ?? m.events[0];
    if (!ev) return;
    const t = time(ev);
    if (!t) return; // no time, no window: cannot take part in a correlation
    const keys = groupFns[rule]!.map((f) => f(ev));
    if (keys.some((k) => k === null || k === undefined)) return; // incomplete group key
    const id = keys.map(keyText).join('\u0000');
    let g = groups.get(id);
    if (!g) {
      g = { keys, entries: [], chains: new Array<Chain | undefined>(n).fill(undefined), newest: t };
      groups.set(id, g);
    }
    if (diffNs(g.newest, t) > 0) g.newest = t;
    if (latest === null || diffNs(latest, t) > 0) latest = t;

    if (type === 'temporal_ordered') {
      addOrdered(g, rule, t, m.events);
      return;
    }
    const entry: Entry = { t, rule, events: m.events };
    if (valueFns) {
      const raw = valueFns[rule]!(ev);
      if (raw === null || raw === undefined) return;
      if (type === 'value_count' || type === 'value_percentile') entry.value = keyText(raw);
      else {
        const num = typeof raw === 'number' ? raw : Number(String(raw));
        if (!Number.isFinite(num)) return;
        entry.value = num;
      }
    }
    evict(g, t);
    // Keep entries in time order even when input is slightly out of order.
    let i = g.entries.length;
    while (i > 0 && diffNs(t, g.entries[i - 1]!.t) > 0) i--;
    g.entries.splice(i, 0, entry);
    if (g.entries.length > MAX_GROUP_ENTRIES) g.entries.shift();
    if (onArrival) {
      // Older entries were just evicted; only out-of-order input can leave entries too far ahead.
      const newest = g.entries[g.entries.length - 1]!;
      const inWindow = diffNs(t, newest.t) <= span ? g.entries : g.entries.filter((e) => diffNs(t, e.t) <= span);
      if (holds(cond, metric(inWindow))) {
        if (type === 'temporal') {
          // One event per rule: the latest match of each.
          const latestPerRule = new Map<number, Entry>();
          for (const e of inWindow) latestPerRule.set(e.rule, e);
          emit(g, [...latestPerRule.values()].sort((a, b) => diffNs(b.t, a.t)));
        } else {
          emit(g, inWindow, { count: inWindow.length });
        }
        g.entries = [];
      }
    }
  };

  const sweep = (): void => {
    const horizon = external ? watermark : latest;
    if (horizon === null) return;
    for (const [id, g] of groups) {
      if (diffNs(g.newest, horizon) > span) {
        if (!onArrival && type !== 'temporal_ordered') closeWindows(g, null);
        groups.delete(id);
      }
    }
  };

  const feed = (rule: number, ms: Match[]): void => {
    for (const m of ms) add(rule, m);
  };

  const saveEvents = (evs: Event[], w: EventWriter): StateJson => evs.map((ev) => w.event(ev));
  const loadEvents = (j: StateJson | undefined, r: EventReader): Event[] => asArray(j).map((x) => r.event(x));
  const saveState = (w: EventWriter): StateJson => ({
    b: runners.map((b) => (b.save ? b.save(w) : null)),
    g: [...groups].map(([id, g]) => ({
      id,
      k: encodeValue(g.keys),
      e: g.entries.map((e) => {
        const o: { [k: string]: StateJson } = { t: encodeInstant(e.t), r: e.rule, ev: saveEvents(e.events, w) };
        if (e.value !== undefined) o.v = encodeValue(e.value);
        return o;
      }),
      c: g.chains.map((c) => (c ? { s: encodeInstant(c.start), l: encodeInstant(c.last), ev: saveEvents(c.events, w) } : null)),
      n: encodeInstant(g.newest),
    })),
    q: queue.map((m) => encodeMatch(m, w)),
    p: pushes,
    l: encodeInstant(latest),
    ...(external ? { w: encodeInstant(watermark) } : {}),
  });
  const loadState = (s: StateJson, r: EventReader): void => {
    const o = asObject(s);
    const bs = asArray(o.b);
    if (bs.length !== runners.length) throw new StateShapeError(`correlation state has ${bs.length} base rules, the rule ${runners.length}`);
    bs.forEach((b, i) => {
      const run = runners[i]!;
      if (b !== null && run.load) run.load(b, r);
      else if ((b === null) !== (run.load === undefined)) throw new StateShapeError(`correlation base rule ${i}: state does not fit`);
    });
    groups.clear();
    for (const x of asArray(o.g)) {
      const gj = asObject(x);
      const chains = asArray(gj.c).map((c): Chain | undefined => {
        if (c === null) return undefined;
        const cj = asObject(c);
        return { start: decodeInstant(cj.s!)!, last: decodeInstant(cj.l!)!, events: loadEvents(cj.ev, r) };
      });
      if (chains.length !== n) throw new StateShapeError('correlation chain count does not fit');
      groups.set(gj.id as string, {
        keys: decodeValue(gj.k!) as unknown[],
        entries: asArray(gj.e).map((e) => {
          const ej = asObject(e);
          const entry: Entry = { t: decodeInstant(ej.t!)!, rule: ej.r as number, events: loadEvents(ej.ev, r) };
          if (ej.v !== undefined) entry.value = decodeValue(ej.v) as string | number;
          return entry;
        }),
        chains,
        newest: decodeInstant(gj.n!)!,
      });
    }
    queue = asArray(o.q).map((m) => decodeMatch(m, r));
    pushes = o.p as number;
    latest = decodeInstant(o.l ?? null);
    external = o.w !== undefined;
    watermark = external ? decodeInstant(o.w ?? null) : null;
  };

  return {
    saveState,
    loadState,
    push(ev: Event) {
      // Rules in reverse order so that one event matching rules k and k+1 cannot chain with itself.
      for (let r = n - 1; r >= 0; r--) feed(r, runners[r]!.push(ev));
      if (++pushes % SWEEP_EVERY === 0) sweep();
    },
    drain() {
      if (queue.length === 0) return [];
      const out = queue;
      queue = [];
      return out;
    },
    end() {
      for (let r = n - 1; r >= 0; r--) feed(r, runners[r]!.end());
      if (!onArrival && type !== 'temporal_ordered') for (const g of groups.values()) closeWindows(g, null);
      groups.clear();
      const out = queue;
      queue = [];
      return out;
    },
    heldKeys: () => null,
    setWatermark(t: Instant | null) {
      external = true;
      watermark = t;
    },
    horizon() {
      // A group's window can still take events up to `span` after its newest entry.
      let h: StateHorizon = null;
      for (const g of groups.values()) h = laterHorizon(h, addNs(g.newest, span));
      return h;
    },
    stateSize() {
      let s = 0;
      for (const g of groups.values()) s += g.entries.length + g.chains.filter(Boolean).length;
      return s;
    },
  };
}

/**
 * Endgame `join` (stages in any order, equal keys) and Elasticsearch `sample by` (one event
 * per stage sharing the key, in any order). Both keep, per key, one slot per stage.
 */
import type { Expr, Query, Stage } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { EMPTY_SCOPE, type CompileContext, type Scope } from './context.js';
import { compileEventQuery, compileInner } from './expr.js';
import type { Match } from './pipes.js';
import type { Matcher } from './sequence.js';
import { compareScalars, keyString } from './values.js';
import { decodeKey, expandKeys, isOptionalKey } from './sequence.js';
import { asArray, asObject, decodeValue, encodeValue, type EventReader, type EventWriter, type StateJson } from './state.js';

function saveTable(table: Map<string, Slots>, w: EventWriter): StateJson {
  return [...table].map(([k, s]) => [k, s.events.map((ev) => (ev === undefined ? null : w.event(ev))), s.filled, encodeValue(s.keys)]);
}

function loadTable(table: Map<string, Slots>, j: StateJson | undefined, r: EventReader): void {
  table.clear();
  for (const e of asArray(j)) {
    const [k, evs, filled, keys] = asArray(e);
    table.set(k as string, { events: asArray(evs).map((x) => (x === null ? undefined : r.event(x))), filled: filled as number, keys: decodeValue(keys!) as unknown[] });
  }
}

type JoinQuery = Extract<Query, { kind: 'join' }>;
type SampleQuery = Extract<Query, { kind: 'sample' }>;

interface CompiledStage {
  matches: (ev: Event, sc: Scope) => boolean;
  key: (ev: Event) => unknown[];
}

function compileStage(s: Stage, by: Expr[], ctx: CompileContext): CompiledStage {
  const fs = [...by, ...s.by].map((b) => compileInner(b, ctx));
  return {
    matches: compileEventQuery(s.query, ctx),
    key: (ev) => fs.map((f) => {
      const v = f(ev, EMPTY_SCOPE);
      return v === undefined ? null : v;
    }),
  };
}

interface Slots {
  events: (Event | undefined)[];
  filled: number;
  keys: unknown[];
}

/**
 * Put `ev` in stage `i`'s slot for key `k` unless that slot is taken. Returns the key's slots
 * once every stage is filled (and forgets them), `false` when the slot was taken, else null.
 */
function fill(table: Map<string, Slots>, k: string, keys: unknown[], i: number, n: number, ev: Event): Slots | false | null {
  let slots = table.get(k);
  if (!slots) table.set(k, (slots = { events: new Array<Event | undefined>(n), filled: 0, keys }));
  if (slots.events[i] !== undefined) return false;
  slots.events[i] = ev;
  if (++slots.filled < n) return null;
  table.delete(k);
  return slots;
}

export function compileJoin(q: JoinQuery, ctx: CompileContext, emit: (m: Match) => void): Matcher {
  const fold = ctx.dialect === 'endgame';
  const stages = q.stages.map((s) => compileStage(s, q.by, ctx));
  const until = q.until ? compileStage(q.until, q.by, ctx) : null;
  const table = new Map<string, Slots>();
  ctx.cells.push({ save: (w) => saveTable(table, w), load: (j, r) => loadTable(table, j, r) });
  return {
    push(ev) {
      if (until && until.matches(ev, EMPTY_SCOPE)) table.delete(keyString(until.key(ev), fold));
      for (let i = 0; i < stages.length; i++) {
        const st = stages[i]!;
        if (!st.matches(ev, EMPTY_SCOPE)) continue;
        const keys = st.key(ev);
        const full = fill(table, keyString(keys, fold), keys, i, stages.length, ev);
        if (full) emit({ events: full.events as Event[], keys: full.keys });
      }
    },
    finish() {},
    stateSize: () => table.size,
    horizon: () => (table.size > 0 ? 'open' : null),
    heldKeys: () => null,
  };
}

/**
 * `sample by k [a] [b] …` (Elasticsearch): for each join key, samples of one distinct event per
 * stage, in any order, the first events that fill every stage; up to `maxSamplesPerKey` samples
 * per key (default 1). A null key drops the event unless the key is optional (`?field`): such
 * events are kept under the null key. An array key samples under each of its values. Samples come
 * out ordered by key (null first, as a composite aggregation's missing bucket), at the end.
 */
export function compileSample(q: SampleQuery, ctx: CompileContext, emit: (m: Match) => void): Matcher {
  const stages = q.stages.map((s) => {
    const by = [...q.by, ...s.by];
    return { matches: compileEventQuery(s.query, ctx), fs: by.map((b) => compileInner(b, ctx)), optional: by.map(isOptionalKey) };
  });
  const max = ctx.maxSamplesPerKey;
  const table = new Map<string, Slots>();
  const done = new Map<string, number>();
  const found: { keys: unknown[]; events: Event[]; i: number }[] = [];
  ctx.cells.push({
    save: (w) => ({ t: saveTable(table, w), d: [...done], f: found.map((f) => [encodeValue(f.keys), f.events.map((ev) => w.event(ev)), f.i]) }),
    load(j, r) {
      const o = asObject(j);
      loadTable(table, o.t, r);
      done.clear();
      for (const e of asArray(o.d)) {
        const [k, n] = asArray(e);
        done.set(k as string, n as number);
      }
      found.length = 0;
      for (const e of asArray(o.f)) {
        const [keys, evs, i] = asArray(e);
        found.push({ keys: decodeValue(keys!) as unknown[], events: asArray(evs).map((x) => r.event(x)), i: i as number });
      }
    },
  });
  return {
    push(ev) {
      for (let i = 0; i < stages.length; i++) {
        const st = stages[i]!;
        if (!st.matches(ev, EMPTY_SCOPE)) continue;
        const kt = expandKeys(st.fs.map((f) => f(ev, EMPTY_SCOPE)), st.optional, false);
        if (kt === null) continue;
        let used = false;
        for (const k of typeof kt === 'string' ? [kt] : kt) {
          if ((done.get(k) ?? 0) >= max) continue;
          const full = fill(table, k, decodeKey(k), i, stages.length, ev);
          if (full === false) continue;
          used = true;
          if (full) {
            done.set(k, (done.get(k) ?? 0) + 1);
            found.push({ keys: full.keys, events: full.events as Event[], i: found.length });
          }
        }
        if (used) break; // one event fills at most one stage of a sample
      }
    },
    finish() {
      found.sort((a, b) => compareKeys(a.keys, b.keys) || a.i - b.i);
      for (const f of found) emit({ events: f.events, keys: f.keys });
      found.length = 0;
    },
    stateSize: () => table.size + found.length,
    horizon: () => (table.size > 0 || found.length > 0 ? 'open' : null),
    heldKeys: () => null,
  };
}

/** Key tuples in ascending order, null first in each position. */
function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    const xn = x === null || x === undefined;
    const yn = y === null || y === undefined;
    if (xn || yn) {
      if (xn !== yn) return xn ? -1 : 1;
      continue;
    }
    const c = compareScalars(x, y, false);
    if (c !== undefined && c !== 0) return c;
    if (c === undefined) {
      const s = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
      if (s !== 0) return s;
    }
  }
  return 0;
}

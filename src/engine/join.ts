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
import { keyString } from './values.js';

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
 * `sample by k [a] [b] …`: for each key, the first events matching each stage (a distinct event
 * per stage), emitted as soon as every stage is filled; one sample per key.
 */
export function compileSample(q: SampleQuery, ctx: CompileContext, emit: (m: Match) => void): Matcher {
  const stages = q.stages.map((s) => compileStage(s, q.by, ctx));
  const table = new Map<string, Slots>();
  const done = new Set<string>();
  return {
    push(ev) {
      for (let i = 0; i < stages.length; i++) {
        const st = stages[i]!;
        if (!st.matches(ev, EMPTY_SCOPE)) continue;
        const keys = st.key(ev);
        if (keys.some((v) => v === null)) continue;
        const k = keyString(keys, false);
        if (done.has(k)) continue;
        const full = fill(table, k, keys, i, stages.length, ev);
        if (full === false) continue;
        if (full) {
          done.add(k);
          emit({ events: full.events as Event[], keys: full.keys });
        }
        break; // one event fills at most one stage of a sample
      }
    },
    finish() {},
    stateSize: () => table.size,
    horizon: () => (table.size > 0 ? 'open' : null),
    heldKeys: () => null,
  };
}

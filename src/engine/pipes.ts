/**
 * Result pipes: head, tail, filter, unique, count, unique_count, sort.
 *
 * A chain of stages; each stage receives matches as they become certain and passes them on.
 * Streaming stages (head, filter, unique) forward at once; tail/sort/count hold results until
 * end of input. Field references inside pipes read the match's first event, or event N when
 * written `events[N].field` (python eql convention for sequences).
 */
import type { Expr, Pipe } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { EMPTY_SCOPE, type CompileContext, type Fn } from './context.js';
import { compileInner, truthy } from './expr.js';
import { compareScalars, isNullish, keyString } from './values.js';
import { asArray, asObject, decodeMatch, decodeValue, encodeMatch, encodeValue } from './state.js';

export interface Match {
  events: Event[];
  /** join key values for sequences/samples/joins (count: the counted key) */
  keys?: unknown[];
  /** for count/unique_count pipes */
  count?: number;
  /** Stage positions (0-based, in query order) of missing-event stages `![…]`, which hold no event. */
  missingStages?: number[];
}

/** What a missing-event stage `![…]` shows in results: a placeholder, as Elasticsearch returns it. */
export interface MissingEvent {
  missing: true;
}

/**
 * A match's events in stage order with a `{ missing: true }` placeholder at each missing-event
 * stage (Elasticsearch's sequence hits carry `"missing": true` entries there).
 */
export function eventsWithPlaceholders(m: Match): (Event | MissingEvent)[] {
  const miss = m.missingStages;
  if (!miss || miss.length === 0) return m.events;
  const out: (Event | MissingEvent)[] = [];
  let next = 0;
  const total = m.events.length + miss.length;
  for (let pos = 0; pos < total; pos++) {
    if (miss.includes(pos)) out.push({ missing: true });
    else out.push(m.events[next++]!);
  }
  return out;
}

export interface PipeStage {
  push(m: Match): void;
  end(): void;
  /** True once no further input can change the output (a satisfied head). */
  done(): boolean;
}

/**
 * Compile an expression evaluated over a match: plain fields read the first event; an expression
 * that mentions `events[N]…` is evaluated against `{events}` so each reference picks its event.
 */
function compileMatchExpr(e: Expr, ctx: CompileContext): (m: Match) => unknown {
  const f: Fn = compileInner(e, ctx);
  if (mentionsEvents(e)) return (m) => f({ events: m.events } as unknown as Event, EMPTY_SCOPE);
  return (m) => {
    const ev = m.events[0];
    return ev === undefined ? null : f(ev, EMPTY_SCOPE);
  };
}

function mentionsEvents(e: unknown): boolean {
  if (Array.isArray(e)) return e.some(mentionsEvents);
  if (e === null || typeof e !== 'object') return false;
  const node = e as { kind?: string; path?: unknown[] };
  if (node.kind === 'field' && node.path?.[0] === 'events' && typeof node.path[1] === 'number') return true;
  return Object.values(node).some(mentionsEvents);
}

function keyFn(by: Expr[], ctx: CompileContext): (m: Match) => unknown[] {
  const fs = by.map((b) => compileMatchExpr(b, ctx));
  return (m) => fs.map((f) => {
    const v = f(m);
    return v === undefined ? null : v;
  });
}

function sortCompare(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (isNullish(x) || isNullish(y)) {
      if (isNullish(x) && isNullish(y)) continue;
      return isNullish(x) ? -1 : 1;
    }
    const c = compareScalars(x, y, false);
    if (c === undefined) {
      const sx = String(x);
      const sy = String(y);
      if (sx !== sy) return sx < sy ? -1 : 1;
    } else if (c !== 0) return c;
  }
  return 0;
}

export function buildPipes(pipes: Pipe[], ctx: CompileContext, out: (m: Match) => void): PipeStage {
  let next: PipeStage = { push: out, end: () => {}, done: () => false };
  const fold = ctx.dialect === 'endgame';
  for (let i = pipes.length - 1; i >= 0; i--) {
    const p = pipes[i]!;
    const down: PipeStage = next;
    switch (p.kind) {
      case 'head': {
        let n = 0;
        ctx.cells.push({ save: () => n, load: (j) => void (n = j as number) });
        next = {
          push: (m) => {
            if (n < p.count) {
              n++;
              down.push(m);
            }
          },
          end: () => down.end(),
          done: () => n >= p.count || down.done(),
        };
        break;
      }
      case 'tail': {
        const buf: Match[] = [];
        ctx.cells.push({
          save: (w) => buf.map((m) => encodeMatch(m, w)),
          load: (j, r) => void buf.splice(0, buf.length, ...asArray(j).map((x) => decodeMatch(x, r))),
        });
        next = {
          push: (m) => {
            buf.push(m);
            if (buf.length > p.count) buf.shift();
          },
          end: () => {
            for (const m of buf) down.push(m);
            buf.length = 0;
            down.end();
          },
          done: () => down.done(),
        };
        break;
      }
      case 'filter': {
        const f = compileMatchExpr(p.expr, ctx);
        next = {
          push: (m) => {
            if (truthy(f(m))) down.push(m);
          },
          end: () => down.end(),
          done: () => down.done(),
        };
        break;
      }
      case 'unique': {
        const key = keyFn(p.by, ctx);
        const seen = new Set<string>();
        ctx.cells.push({
          save: () => [...seen],
          load(j) {
            seen.clear();
            for (const k of asArray(j)) seen.add(k as string);
          },
        });
        next = {
          push: (m) => {
            const k = keyString(key(m), fold);
            if (!seen.has(k)) {
              seen.add(k);
              down.push(m);
            }
          },
          end: () => down.end(),
          done: () => down.done(),
        };
        break;
      }
      case 'sort': {
        const raw = keyFn(p.by, ctx);
        const key = fold ? (m: Match) => raw(m).map((v) => (typeof v === 'string' ? v.toLowerCase() : v)) : raw;
        const buf: { k: unknown[]; m: Match }[] = [];
        ctx.cells.push({
          save: (w) => buf.map((x) => [encodeValue(x.k), encodeMatch(x.m, w)]),
          load: (j, r) =>
            void buf.splice(0, buf.length, ...asArray(j).map((x) => {
              const [k, m] = asArray(x);
              return { k: decodeValue(k!) as unknown[], m: decodeMatch(m!, r) };
            })),
        });
        next = {
          push: (m) => {
            buf.push({ k: key(m), m });
          },
          end: () => {
            buf.sort((a, b) => sortCompare(a.k, b.k));
            for (const x of buf) down.push(x.m);
            buf.length = 0;
            down.end();
          },
          done: () => down.done(),
        };
        break;
      }
      case 'count': {
        const key = keyFn(p.by, ctx);
        const table = new Map<string, { keys: unknown[]; count: number }>();
        let total = 0;
        ctx.cells.push({
          save: () => ({ n: total, t: [...table].map(([k, row]) => [k, encodeValue(row.keys), row.count]) }),
          load(j) {
            const o = asObject(j);
            total = o.n as number;
            table.clear();
            for (const x of asArray(o.t)) {
              const [k, keys, c] = asArray(x);
              table.set(k as string, { keys: decodeValue(keys!) as unknown[], count: c as number });
            }
          },
        });
        next = {
          push: (m) => {
            total++;
            if (p.by.length === 0) return;
            const ks = key(m);
            const k = keyString(ks, fold);
            const row = table.get(k);
            if (row) row.count++;
            else table.set(k, { keys: ks, count: 1 });
          },
          end: () => {
            // Each result carries a summary event {key, count, percent} so later pipes can filter on it.
            if (p.by.length === 0) down.push({ events: [{ key: 'totals', count: total }], count: total });
            else {
              const rows = [...table.values()].sort((a, b) => a.count - b.count || sortCompare(a.keys, b.keys));
              for (const r of rows) {
                const key = r.keys.length === 1 ? r.keys[0] : r.keys;
                down.push({ events: [{ key, count: r.count, percent: r.count / total }], keys: r.keys, count: r.count });
              }
            }
            down.end();
          },
          done: () => down.done(),
        };
        break;
      }
      case 'unique_count': {
        const key = keyFn(p.by, ctx);
        const table = new Map<string, Match>();
        let total = 0;
        ctx.cells.push({
          save: (w) => ({ n: total, t: [...table].map(([k, m]) => [k, encodeMatch(m, w)]) }),
          load(j, r) {
            const o = asObject(j);
            total = o.n as number;
            table.clear();
            for (const x of asArray(o.t)) {
              const [k, m] = asArray(x);
              table.set(k as string, decodeMatch(m!, r));
            }
          },
        });
        next = {
          push: (m) => {
            const ks = key(m);
            const k = keyString(ks, fold);
            const row = table.get(k);
            const n = m.count ?? 1;
            total += n;
            if (row) row.count = (row.count ?? 1) + n;
            else table.set(k, { ...m, keys: ks, count: n });
          },
          end: () => {
            // python eql: the first event of each unique result gains `count` and `percent` fields.
            for (const m of table.values()) {
              const count = m.count ?? 1;
              const first = { ...(m.events[0] ?? {}), count, percent: count / total };
              down.push({ ...m, events: [first, ...m.events.slice(1)] });
            }
            down.end();
          },
          done: () => down.done(),
        };
        break;
      }
    }
  }
  return next;
}

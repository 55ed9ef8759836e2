/**
 * Engine state export/import, the low level: how the stateful parts of a compiled query
 * (sequence partials, join/sample slots, lineage sets, pipe buffers, correlation windows) write
 * their state as plain JSON and read it back. The detector-level snapshot format (version,
 * rule-set fingerprint, event table) is in snapshot.ts; this file has no knowledge of it.
 *
 * Events held in state are not written here: each part hands them to an `EventWriter`, which
 * returns a reference (the detector stores each event once in a table, with its raw document and
 * source), and gets them back through an `EventReader`. Other values (join keys, group keys,
 * process ids, correlation values) go through `encodeValue`, which keeps bigints (64-bit record
 * ids, FILETIMEs beyond 2^53), `undefined`, NaN and ±Infinity exact.
 *
 * Each stateful part registers a `StateCell` in its CompileContext at compile time, in compile
 * order; compiling the same query again yields the same cells in the same order, so a saved list
 * of cell states loads by position.
 */
import type { Event } from '../events/field.js';
import type { Instant } from '../events/timestamp.js';

/** A query result (the shape of pipes.ts's Match, restated here so this file imports no engine module). */
export interface Match {
  events: Event[];
  keys?: unknown[];
  count?: number;
  missingStages?: number[];
}

/** What a state export is made of: JSON values only (JSON.stringify/parse round-trip it). */
export type StateJson = null | boolean | number | string | StateJson[] | { [k: string]: StateJson };

/** Turns an event held in state into a reference (or an inline encoding). */
export interface EventWriter {
  event(ev: Event): StateJson;
}

/** Turns a reference written by the matching EventWriter back into an event. */
export interface EventReader {
  event(ref: StateJson): Event;
}

/** One stateful part of a compiled query. */
export interface StateCell {
  save(w: EventWriter): StateJson;
  load(s: StateJson, r: EventReader): void;
}

/** Thrown when a state does not fit the compiled query (wrong shape): the caller drops that rule's state. */
export class StateShapeError extends Error {}

/** A value (anything JSON.parse or the exact JSON parser yields, plus undefined/bigint/non-finite) as JSON. */
export function encodeValue(v: unknown): StateJson {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { $: 'num', v: String(v) };
    case 'bigint':
      return { $: 'big', v: v.toString() };
    case 'undefined':
      return { $: 'undef' };
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(encodeValue);
      const o: { [k: string]: StateJson } = {};
      for (const k of Object.keys(v)) o[k] = encodeValue((v as Record<string, unknown>)[k]);
      // An object that itself has a `$` key is wrapped so it cannot pass for a tag.
      return '$' in o ? { $: 'obj', v: o } : o;
    }
    default:
      // functions, symbols: not data
      return { $: 'undef' };
  }
}

export function decodeValue(j: StateJson): unknown {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(decodeValue);
  const tag = j.$;
  if (tag !== undefined) {
    switch (tag) {
      case 'big':
        return BigInt(j.v as string);
      case 'num':
        return Number(j.v as string);
      case 'undef':
        return undefined;
      case 'obj':
        return decodePlain(j.v as { [k: string]: StateJson });
      default:
        throw new StateShapeError(`unknown value tag ${JSON.stringify(tag)}`);
    }
  }
  return decodePlain(j);
}

function decodePlain(j: { [k: string]: StateJson }): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(j)) o[k] = decodeValue(j[k]!);
  return o;
}

export function encodeInstant(t: Instant | null): StateJson {
  return t === null ? null : [t.ms, t.ns];
}

export function decodeInstant(j: StateJson): Instant | null {
  if (j === null) return null;
  if (!Array.isArray(j) || typeof j[0] !== 'number' || typeof j[1] !== 'number') throw new StateShapeError('bad instant');
  return { ms: j[0], ns: j[1] };
}

export function encodeMatch(m: Match, w: EventWriter): StateJson {
  const o: { [k: string]: StateJson } = { e: m.events.map((ev) => w.event(ev)) };
  if (m.keys !== undefined) o.k = encodeValue(m.keys);
  if (m.count !== undefined) o.c = m.count;
  if (m.missingStages !== undefined) o.m = m.missingStages;
  return o;
}

export function decodeMatch(j: StateJson, r: EventReader): Match {
  const o = asObject(j);
  const m: Match = { events: asArray(o.e).map((x) => r.event(x)) };
  if (o.k !== undefined) m.keys = decodeValue(o.k) as unknown[];
  if (o.c !== undefined) m.count = o.c as number;
  if (o.m !== undefined) m.missingStages = o.m as number[];
  return m;
}

export function asObject(j: StateJson | undefined): { [k: string]: StateJson } {
  if (j === null || j === undefined || typeof j !== 'object' || Array.isArray(j)) throw new StateShapeError('expected an object');
  return j;
}

export function asArray(j: StateJson | undefined): StateJson[] {
  if (!Array.isArray(j)) throw new StateShapeError('expected an array');
  return j;
}

/** A cell list's state (by position); a count mismatch means the state was made by another query. */
export function saveCells(cells: readonly StateCell[], w: EventWriter): StateJson[] {
  return cells.map((c) => c.save(w));
}

export function loadCells(cells: readonly StateCell[], s: StateJson | undefined, r: EventReader): void {
  const list = asArray(s);
  if (list.length !== cells.length) throw new StateShapeError(`state has ${list.length} parts, the query ${cells.length}`);
  for (let i = 0; i < cells.length; i++) cells[i]!.load(list[i]!, r);
}

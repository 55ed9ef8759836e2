/**
 * One ingested document → the events it holds (any flavour the file readers know: Elastic Defend,
 * Winlogbeat/Agent, evtx_dump JSON, nxlog, Elasticsearch hits), each with its host and exact time,
 * parsed once at ingest. The raw text kept in the log is the document as received, so a replay
 * after a restart parses exactly what was acknowledged.
 */
import type { Instant } from '../events/timestamp.js';
import { parseJsonExact } from '../events/json.js';
import type { SourceEvent } from '../sources/types.js';
import { valueToEvents } from '../sources/unwrap.js';
import { eventHost, eventTime } from '../normalize/index.js';

/** What the log and the reorder buffer keep of an event: no parsed object (detect-worker.ts parses the raw text). */
export interface LoggedEvent {
  host: string;
  time: Instant | null;
  raw: string;
}

export interface IngestedEvent extends LoggedEvent {
  se: SourceEvent;
}

/** Drop the parsed object: requests waiting for their commit then hold only text (young-generation garbage otherwise). */
export function logged(ev: IngestedEvent): LoggedEvent {
  return { host: ev.host, time: ev.time, raw: ev.raw };
}

/** The name alert events carry as their `file`; their `position` is the log seq. */
export const STREAM_FILE = 'stream';

export function parseDocument(text: string): { events: IngestedEvent[] } | { error: string } {
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'a document must be a JSON object' };
  const out: SourceEvent[] = [];
  const bad = valueToEvents(value, STREAM_FILE, 0, out);
  if (bad) return { error: bad };
  const single = out.length === 1 && out[0]!.event === value;
  return { events: out.map((se) => describe(se, single ? text : stringifyExact(se.event))) };
}

/** Re-read a stored document (the log holds one event per row). */
export function parseStored(raw: string, seq: number): IngestedEvent | null {
  const r = parseDocument(raw);
  if ('error' in r || r.events.length === 0) return null;
  const ev = r.events[0]!;
  ev.se.position = seq;
  return ev;
}

function describe(se: SourceEvent, raw: string): IngestedEvent {
  return { se, host: eventHost(se.event) ?? '', time: eventTime(se.event), raw };
}

function stringifyExact(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

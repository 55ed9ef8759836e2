/**
 * One ingested document → the events it holds (any flavour the file readers know: Elastic Defend,
 * Winlogbeat/Agent, evtx_dump JSON, nxlog, Elasticsearch hits), each with its host and exact time.
 * At ingest (`ingestBytes` on the request's bytes, `ingestDocument` on text) the common ECS / Defend shape is only scanned (scan-doc.ts: valid
 * JSON, host.id, @timestamp), not parsed; other shapes, and anything the scan cannot decide, are
 * parsed here. The detection thread parses each event once (`parseStored`). The raw text kept in
 * the log is the document as received, so a replay after a restart parses exactly what was
 * acknowledged.
 */
import type { Instant } from '../events/timestamp.js';
import { parseJsonExact } from '../events/json.js';
import type { SourceEvent } from '../sources/types.js';
import { valueToEvents } from '../sources/unwrap.js';
import { eventHost, eventTime } from '../normalize/index.js';
import { scanDocument } from './scan-doc.js';
import { scanBytes, scanned, tkeyBytes } from './scan-bytes.js';
import type { RequestEvents } from './ingest-batch.js';

/** What the log and the reorder buffer keep of an event: no parsed object (detect-worker.ts parses the raw text). */
export interface LoggedEvent {
  host: string;
  time: Instant | null;
  raw: string;
  /** The document has no integer literal of 16+ digits: a plain `JSON.parse` reads it exactly. */
  plain?: boolean;
  /** ScannedDoc.tkey: the blind-spot telemetry key read from the text (absent or null: parse to count it). */
  tkey?: string | null;
  /** The connection it arrived on (reorder.ts sourceOrder); absent: unknown. */
  src?: number;
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

/**
 * What the ingest path keeps of a document: host, time and text of each event it holds, or the
 * reason it is refused (the bulk item's error). Scanned when the scan can decide, else parsed.
 */
export function ingestDocument(text: string): { events: LoggedEvent[] } | { error: string } {
  const s = scanDocument(text);
  if (s) return { events: [{ host: s.host, time: s.time, raw: text, plain: !s.big, tkey: s.tkey }] };
  const p = parseDocument(text);
  return 'error' in p ? p : { events: p.events.map(logged) };
}

/**
 * The document `req.body[start, end)` into the request's events: scanned as bytes when the byte
 * scan decides (scan-bytes.ts, nothing decoded but host and time), else decoded and taken through
 * `ingestDocument` (the same answer, or the item's error). Returns the events added, or the error.
 */
export function ingestBytes(req: RequestEvents, start: number, end: number): number | string {
  if (scanBytes(req.body, start, end)) {
    const s = scanned;
    req.addScanned(start, end, s.host, s.ms, s.ns, !s.big, s.ascii, tkeyBytes, s.tkeyLen);
    return 1;
  }
  const p = ingestDocument(req.body.toString('utf8', start, end));
  if ('error' in p) return p.error;
  for (const e of p.events) req.addParsed(e);
  return p.events.length;
}

/** `plain`: the text is known to hold no 16+ digit integer (LoggedEvent.plain), so JSON.parse is exact. */
export function parseDocument(text: string, plain = false): { events: IngestedEvent[] } | { error: string } {
  let value: unknown;
  try {
    value = plain ? JSON.parse(text) : parseJsonExact(text);
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
export function parseStored(raw: string, seq: number, plain = false): IngestedEvent | null {
  const r = parseDocument(raw, plain);
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

/** Test helpers for normalize: reading real records from ../shared in the shapes spoor's sources yield. */
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Event } from '../../src/events/field.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { splitConcatenatedJson } from '../helpers/json.js';

type EvtxReader = (path: string, onProblem: (p: unknown) => void) => AsyncIterable<{ event: Event }[]>;

/** All records of an EVTX file through spoor's own reader (skips when the file or reader is absent). */
export async function evtxRecords(t: TestContext, ...parts: string[]): Promise<Event[] | null> {
  const path = sharedOrSkip(t, ...parts);
  if (path === null) return null;
  let read: EvtxReader;
  try {
    ({ readEvtxFile: read } = (await import('../../src/sources/evtx/index.js')) as unknown as { readEvtxFile: EvtxReader });
  } catch (e) {
    t.skip(`spoor's EVTX reader is not available: ${(e as Error).message}`);
    return null;
  }
  const out: Event[] = [];
  for await (const batch of read(path, () => {})) for (const s of batch) out.push(s.event);
  return out;
}

/** EVTX records keyed by EventRecordID. */
export function byRecordId(events: Event[]): Map<number, Event> {
  const m = new Map<number, Event>();
  for (const e of events) {
    const sys = (e['Event'] as { System: { EventRecordID: unknown } }).System;
    m.set(Number(sys.EventRecordID), e);
  }
  return m;
}

export function ndjson(path: string): Event[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Event);
}

/** One regression JSON file: a single evtx_dump object or several concatenated ones. */
export function evtxDumpObjects(path: string): Event[] {
  return splitConcatenatedJson(readFileSync(path, 'utf8')) as Event[];
}

/** nxlog / Security-Datasets style: the same record with System fields renamed and EventData at top level. */
export function toFlatShape(ev: Event): Event {
  const e = ev['Event'] as { System: Record<string, unknown>; EventData?: Record<string, unknown> };
  const sys = e.System;
  const attr = (v: unknown, k: string): unknown => (v as { '#attributes'?: Record<string, unknown> } | undefined)?.['#attributes']?.[k];
  return {
    EventID: sys['EventID'],
    Channel: sys['Channel'],
    Hostname: sys['Computer'],
    SourceName: attr(sys['Provider'], 'Name'),
    RecordNumber: sys['EventRecordID'],
    EventTime: attr(sys['TimeCreated'], 'SystemTime'),
    ...(e.EventData ?? {}),
  };
}

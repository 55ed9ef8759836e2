/**
 * Normalization: one rule runs on every source.
 *
 * Each event is recognised by flavour and offers two views, built lazily and cached per event
 * (on the event object itself, so views die with their event):
 * - the ECS view, which EQL rules read (Elastic field names, nested);
 * - the native view, which Sigma rules read (Windows field names, flat).
 * Mapping tables live in `tables/`; docs/normalization.md describes them for users.
 */
import type { Event } from '../events/field.js';
import { clearNoDottedKeys, getField, noDottedKeys, setNoDottedKeys } from '../events/field.js';
import { parseTimestamp, type Instant } from '../events/timestamp.js';
import { completeEcs, completeWinlogbeat, ecsNative, winlogbeatNative } from './ecs.js';
import { endgameTime, endgameToEcs } from './endgame.js';
import { detectFlavour as detect, type Flavour } from './flavour.js';
import { isObj, text } from './util.js';
import {
  fromEvtx,
  fromFlat,
  fromWinlogbeat,
  recordTime,
  recordField,
  recordTimeSource,
  recordUtcField,
  recordToEcs,
  recordToNative,
  type WinRecord,
} from './windows.js';

export type { Flavour } from './flavour.js';
export type { Event } from '../events/field.js';
export { sysmonEquivalent, ECS_DERIVED_FIELDS, type DerivedText } from './ecs.js';
export { decodeAccessList, ACCESS_CODES, LOGON_TYPES } from './access.js';
export { splitCommandLine } from './util.js';
export { Clock, useClock, activeClock, mergeClockReports, observedOffset, type ClockAssumption, type ClockBasis, type LearnedOffset } from './clock.js';
export { EVENT_ID_KEYS, rawRows, type RawRow, type RawSource } from './raw-keys.js';

interface Views {
  flavour: Flavour;
  record?: WinRecord;
  ecs?: Event;
  native?: Event;
  /** undefined: not computed yet; null: the event has no recognisable time. */
  time?: Instant | null;
  /** The text the time was read from (evtx/flat), reused for @timestamp. */
  timeRaw?: unknown;
  host?: string | null;
  /** Set on a built ECS view: the event it was built from (its native view is the origin's). */
  origin?: Event;
}

/**
 * Views are cached on the event under a non-enumerable symbol: invisible to JSON, spreads and
 * structured clones, and cheaper than a WeakMap entry in src/normalize/bench.ts (median 2–6×
 * under load; no ephemeron work for the garbage collector). Frozen events fall back to a WeakMap.
 */
const VIEWS = Symbol('spoor.normalize.views');
const HOST_ID = ['host', 'id'];
const frozenCache = new WeakMap<object, Views>();

function views(ev: Event): Views {
  const v = (ev as { [VIEWS]?: Views })[VIEWS];
  if (v !== undefined) return v;
  // Only an event that could not take the symbol is in the WeakMap: an extensible one without it
  // is new (looking it up gave every new event an identity hash, for nothing).
  if (!Object.isExtensible(ev)) {
    const f = frozenCache.get(ev);
    if (f !== undefined) return f;
  }
  return attach(ev, { flavour: detect(ev) });
}

function attach(ev: Event, v: Views): Views {
  if (Object.isExtensible(ev)) Object.defineProperty(ev, VIEWS, { value: v });
  else frozenCache.set(ev, v);
  return v;
}

/**
 * A built ECS view is itself an event other modules pass around (alerts, timelines): make
 * toEcs/eventTime/eventHost/toNative on it answer from its origin instead of re-normalizing it.
 */
function adopt(view: Event, origin: Event, v: Views): Event {
  const id = text(getField(view, HOST_ID));
  v.host ??= id === undefined || id === '' ? null : id;
  attach(view, { flavour: detect(view), ecs: view, time: eventTime(origin), host: v.host, origin });
  return view;
}

function windowsRecord(ev: Event, v: Views): WinRecord | undefined {
  if (v.record) return v.record;
  switch (v.flavour) {
    case 'evtx':
      return (v.record = fromEvtx(ev));
    case 'flat':
      return (v.record = fromFlat(ev));
    case 'winlogbeat':
      return (v.record = fromWinlogbeat(ev));
    default:
      return undefined;
  }
}

/** Which shape the event has (cached). */
export function detectFlavour(ev: Event): Flavour {
  return views(ev).flavour;
}

/**
 * ECS view: ECS field names, nested objects. For events already in ECS (Elastic Defend,
 * Winlogbeat 7+, other ECS) it is the same object, completed in place with the fields Elastic's
 * pipelines would have set (host.id, host.os.type, process.name, file.extension…).
 */
export function toEcs(ev: Event): Event {
  const v = views(ev);
  if (v.ecs) return v.ecs;
  switch (v.flavour) {
    case 'evtx':
    case 'flat': {
      const rec = windowsRecord(ev, v)!;
      const view = recordToEcs(rec, eventTime(ev), v.timeRaw);
      // Its keys are ECS names and table paths (split at dots) but for winlog.event_data, the
      // record's own: it has dotted keys iff its EventData has (rec.data, values included; the
      // mapped fields copy its values). Walking that alone is half the walk of the whole view
      // (test/normalize/views-stable.test.ts holds the two equal on every sample).
      setNoDottedKeys(view, noDottedKeys(rec.data));
      v.ecs = adopt(view, ev, v);
      break;
    }
    case 'winlogbeat': {
      const ecs = completeWinlogbeat(ev);
      // Completed in place from its record's mapping, which may add keys the parsed text had not
      // (events/field.ts markParsedJson): its keys are walked again.
      if (ecs === ev) clearNoDottedKeys(ev);
      v.ecs = ecs === ev ? ecs : adopt(ecs, ev, v);
      break;
    }
    case 'endgame':
      v.ecs = adopt(endgameToEcs(ev, eventTime(ev)), ev, v);
      break;
    case 'elastic-defend':
    case 'ecs':
      v.ecs = completeEcs(ev);
      break;
    default:
      v.ecs = ev;
  }
  return v.ecs;
}

/**
 * Native view: the Windows field names Sigma rules use (EventID, Channel, Provider_Name, Computer,
 * Image, TargetFilename, CommandLine, …), flat. ECS-only events get the EventID/Channel of their
 * Sysmon equivalent (process start → 1, file creation → 11, …).
 */
export function toNative(ev: Event): Event {
  const v = views(ev);
  if (v.native) return v.native;
  if (v.origin) return (v.native = toNative(v.origin));
  switch (v.flavour) {
    case 'evtx':
      v.native = recordToNative(windowsRecord(ev, v)!);
      break;
    case 'flat':
      v.native = flatNative(ev, windowsRecord(ev, v)!);
      break;
    case 'winlogbeat': {
      const rec = windowsRecord(ev, v)!;
      v.native = isObj(ev['winlog']) ? winlogbeatNative(toEcs(ev), rec) : recordToNative(rec);
      break;
    }
    case 'elastic-defend':
    case 'ecs':
      v.native = ecsNative(toEcs(ev));
      break;
    default:
      v.native = ev;
  }
  return v.native;
}

/** Flat events already use native names: add the missing standard ones, EventID as a number. */
function flatNative(ev: Event, rec: WinRecord): Event {
  const out: Event = { ...ev };
  if (rec.eventId !== undefined) out['EventID'] = rec.eventId;
  if (rec.provider !== undefined && out['Provider_Name'] === undefined) out['Provider_Name'] = rec.provider;
  if (rec.computer !== undefined && out['Computer'] === undefined) out['Computer'] = rec.computer;
  if (rec.recordId !== undefined && out['EventRecordID'] === undefined) out['EventRecordID'] = rec.recordId;
  return out;
}

/**
 * For learning a host's clock (hunt/clock-scan.ts): a flat event that carries both a zone-less
 * wall-clock time and a UTC time (Sysmon `UtcTime`), or null. Builds no view and caches no time.
 */
export function clockObservation(ev: Event): { host: string; wall: Instant; utc: Instant } | null {
  const v = views(ev);
  if (v.flavour !== 'flat') return null;
  const rec = windowsRecord(ev, v)!;
  if (rec.wallTime === undefined) return null;
  const field = recordUtcField(rec);
  const utc = field === undefined ? null : parseTimestamp(text(recordField(rec, field)));
  const wall = rec.wallInstant ?? null;
  if (!utc || !wall) return null;
  return { host: rec.computer?.toLowerCase() ?? '', wall, utc };
}

/** Whether the event has a time that names no zone (read through the clock). */
export function hasWallClockTime(ev: Event): boolean {
  const v = views(ev);
  return v.flavour === 'flat' && windowsRecord(ev, v)!.wallTime !== undefined;
}

/** Event time, exact, from whichever field the flavour uses (cached). */
export function eventTime(ev: Event): Instant | null {
  const v = views(ev);
  if (v.time !== undefined) return v.time;
  let t: Instant | null;
  switch (v.flavour) {
    case 'evtx':
    case 'flat': {
      const src = recordTimeSource(windowsRecord(ev, v)!);
      t = src.time;
      v.timeRaw = src.raw;
      break;
    }
    case 'winlogbeat':
      t = parseTimestamp(getField(ev, ['@timestamp'])) ?? recordTime(windowsRecord(ev, v)!);
      break;
    case 'endgame':
      t = endgameTime(ev);
      break;
    default:
      t = parseTimestamp(getField(ev, ['@timestamp'])) ?? parseTimestamp(getField(ev, ['timestamp']));
  }
  v.time = t;
  return t;
}

/**
 * Cache the time eventTime gives the event without telling the clock what was assumed or checked:
 * for an event whose time was read, and counted, from an earlier parse of the same text (a line a
 * hunt deferred and parses again when a rule wants it, hunt/prefilter.ts), so it counts once.
 */
export function settleEventTime(ev: Event): void {
  const v = views(ev);
  if (v.time !== undefined) return;
  if (v.flavour === 'evtx' || v.flavour === 'flat') {
    const src = recordTimeSource(windowsRecord(ev, v)!, false);
    v.time = src.time;
    v.timeRaw = src.raw;
  } else eventTime(ev); // no other flavour has a zone-less time: the clock is told nothing
}

/**
 * The host identity sequences join on: the ECS view's host.id. Events without a host.id of their
 * own get the lower-cased computer name (Computer / winlog.computer_name / Hostname / host.name,
 * usually an FQDN for Windows logs), so every shape of one host's logs joins with the others.
 */
export function eventHost(ev: Event): string | null {
  const v = views(ev);
  if (v.host !== undefined) return v.host;
  let id: unknown;
  if (v.ecs) id = getField(v.ecs, HOST_ID);
  else if (v.flavour === 'evtx' || v.flavour === 'flat') id = windowsRecord(ev, v)!.computer?.toLowerCase();
  else id = getField(toEcs(ev), HOST_ID);
  const s = text(id);
  v.host = s === undefined || s === '' ? null : s;
  return v.host;
}


/**
 * Windows event records in their several envelopes (evtx_dump JSON, nxlog-style flat JSON,
 * Winlogbeat `winlog.*` and Winlogbeat 6 top-level fields), reduced to one `WinRecord`, and
 * the ECS and native views built from it through the channel tables.
 */
import { multiValue } from '../events/multi-value.js';
import { formatInstant, hasZone, parseTimestamp, type Instant } from '../events/timestamp.js';
import { activeClock } from './clock.js';
import { applyTargets } from './convert.js';
import { deriveCommon, DERIVATIONS } from './derive.js';
import { compiledSpec, tableFor } from './tables/index.js';
import type { ChannelTable } from './tables/types.js';
import { isBlank, isObj, text, toInt, type Obj } from './util.js';

export interface WinRecord {
  eventId: number | undefined;
  channel: string | undefined;
  provider: string | undefined;
  computer: string | undefined;
  recordId: unknown;
  /** TimeCreated/SystemTime as logged (text). */
  timeCreated: unknown;
  /** EventData / UserData fields by name (the source's own object when possible: do not mutate). */
  data: Obj;
  /** System fields that are not part of the record above, for the native view (Level, Task…). */
  system?: Obj;
  executionPid?: unknown;
  executionTid?: unknown;
  userSid?: unknown;
  providerGuid?: unknown;
  /** Other time fields a flavour carries (`@timestamp` of flat/Winlogbeat events). */
  fallbackTime?: unknown;
  /** Flat events: the collector's zone-less wall-clock time (`TimeCreated`, else `EventTime`), read through the clock (clock.ts). */
  wallTime?: string;
  /** `wallTime` parsed (read as UTC; the clock turns it into UTC). */
  wallInstant?: Instant;
  /** A flat record's event, whose non-envelope members are `data` (recordField reads one without building it). */
  flatSource?: Obj;
  /** The channel table, once looked up (null: none applies). */
  table?: ChannelTable | null;
}

function tableOf(rec: WinRecord): ChannelTable | undefined {
  if (rec.table === undefined) rec.table = tableFor(rec.channel, rec.provider) ?? null;
  return rec.table ?? undefined;
}

/** Whether an object has xmltodict's `@name` attribute keys. */
function hasAtKeys(v: Obj): boolean {
  for (const k in v) if (k.charCodeAt(0) === 64 /* @ */) return true;
  return false;
}

/** xmltodict's `{"@Name": …, "#text": …}` without the `@`s (and without `#text`). */
function atAttributes(v: Obj): Obj {
  const out: Obj = {};
  for (const k in v) if (k.charCodeAt(0) === 64) out[k.slice(1)] = v[k];
  return out;
}

/**
 * The attributes of System's element `key`, in every JSON spelling of EVTX records: evtx_dump's
 * and the XML reader's `#attributes`; Rust evtx's `--separate-json-attributes` (a sibling
 * `Key_attributes`); xmltodict's `@name` keys (Python converters); or the element itself, as Go
 * parsers (Velociraptor, golang-evtx) merge attributes into it.
 */
function attrsOf(sys: Obj, key: string): Obj | undefined {
  const v = sys[key];
  if (isObj(v)) {
    const a = v['#attributes'];
    if (isObj(a)) return a;
    return hasAtKeys(v) ? atAttributes(v) : v;
  }
  const separate = sys[`${key}_attributes`];
  return isObj(separate) ? separate : undefined;
}

/**
 * An element's text: a scalar, `{#attributes | @…, #text}`, or the Go parsers'
 * `{Qualifiers: …, Value: …}` (an EventID with attributes).
 */
const elementText = (v: unknown): string | undefined => text(v) ?? (isObj(v) ? text(v['Value']) : undefined);

/**
 * A Windows event record as JSON: evtx_dump's (`{Event: {System, EventData | UserData}}`, also
 * what the XML reader yields) and the other spellings of its attributes (attrsOf), with or
 * without the `Event` wrapper (Velociraptor's parse_evtx rows). Before 2026-12-03 only
 * evtx_dump's was read: the others gave events no rule could match, silently.
 */
export function fromEvtx(ev: Obj): WinRecord {
  const e = isObj(ev['Event']) ? ev['Event'] : ev;
  const sys = isObj(e['System']) ? e['System'] : {};
  const provider = attrsOf(sys, 'Provider');
  const exec = attrsOf(sys, 'Execution');
  return {
    eventId: toInt(elementText(sys['EventID'])),
    channel: text(sys['Channel']),
    provider: text(provider?.['Name']),
    providerGuid: provider?.['Guid'],
    computer: text(sys['Computer']),
    recordId: sys['EventRecordID'],
    timeCreated: attrsOf(sys, 'TimeCreated')?.['SystemTime'],
    executionPid: exec?.['ProcessID'],
    executionTid: exec?.['ThreadID'],
    userSid: attrsOf(sys, 'Security')?.['UserID'],
    data: eventDataOf(e),
    system: sys,
  };
}

/**
 * xmltodict's EventData: `{"Data": [{"@Name": "SubjectUserSid", "#text": "S-1-5-18"}, …]}` (one
 * element: the object alone) as named fields; null when `data` is not that.
 */
function namedDataItems(data: unknown): Obj | null {
  const items = Array.isArray(data) ? data : [data];
  if (items.length === 0) return null;
  const out: Obj = {};
  for (const it of items) {
    if (!isObj(it) || typeof it['@Name'] !== 'string') return null;
    out[it['@Name']] = it['#text'] ?? null;
  }
  return out;
}

/** EventData as named fields; UserData's single root element's children. */
function eventDataOf(e: Obj): Obj {
  const ed = e['EventData'];
  if (isObj(ed)) {
    const named = ed['Data'] !== undefined && typeof ed['Data'] === 'object' ? namedDataItems(ed['Data']) : null;
    if (named !== null) return named;
    if (!('#attributes' in ed)) return ed;
    const { ['#attributes']: _skip, ...rest } = ed;
    return rest;
  }
  const ud = e['UserData'];
  if (isObj(ud)) {
    for (const k in ud) {
      const root = ud[k];
      if (k !== '#attributes' && k.charCodeAt(0) !== 64 && isObj(root)) {
        if (hasAtKeys(root)) {
          const rest: Obj = {};
          for (const c in root) if (c.charCodeAt(0) !== 64) rest[c] = root[c];
          return rest;
        }
        const { ['#attributes']: _skip, ...rest } = root;
        return rest;
      }
    }
  }
  return {};
}

/** nxlog / Security-Datasets envelope keys: everything else at top level is EventData. */
const FLAT_ENVELOPE = new Set([
  'EventID', 'EventId', 'Channel', 'Hostname', 'Computer', 'ComputerName', 'SourceName', 'ProviderName',
  'Provider_Name', 'ProviderGuid', 'EventTime', 'EventReceivedTime', 'TimeCreated', 'Keywords', 'EventType',
  'SeverityValue', 'Severity', 'Version', 'Task', 'OpcodeValue', 'Opcode', 'RecordNumber', 'EventRecordID',
  'ProcessID', 'ThreadID', 'ExecutionProcessID', 'ExecutionThreadID', 'SourceModuleName', 'SourceModuleType',
  'Message', 'Category', 'Level', '@timestamp', '@version', 'tags', 'host', 'port', 'type', 'UserID',
  'TaskValue', 'AccountType',
]);

export function fromFlat(ev: Obj): WinRecord {
  const created = ev['TimeCreated'];
  let data: Obj | undefined;
  const local = created ?? ev['EventTime'];
  // Parsed once here: the clock reads it (check, toUtc) and the clock scan observes it.
  const wall = typeof local === 'string' && !hasZone(local) ? parseTimestamp(local) : null;
  return {
    wallTime: wall !== null ? (local as string) : undefined,
    wallInstant: wall ?? undefined,
    eventId: toInt(ev['EventID'] ?? ev['EventId']),
    channel: text(ev['Channel']),
    provider: text(ev['SourceName'] ?? ev['ProviderName'] ?? ev['Provider_Name']),
    providerGuid: ev['ProviderGuid'],
    computer: text(ev['Hostname'] ?? ev['Computer'] ?? ev['ComputerName']),
    recordId: ev['RecordNumber'] ?? ev['EventRecordID'],
    timeCreated: ev['TimeCreated'],
    executionPid: ev['ProcessID'] ?? ev['ExecutionProcessID'],
    executionTid: ev['ThreadID'] ?? ev['ExecutionThreadID'],
    userSid: ev['UserID'],
    fallbackTime: ev['@timestamp'] ?? ev['EventTime'],
    flatSource: ev,
    // Built on first read: timing a record (the clock scan, a deferred line) reads one field of
    // it (recordField), and copying ~40 members of a 2 KB nxlog line cost more than its time.
    get data(): Obj {
      if (data === undefined) {
        data = {};
        for (const k in ev) if (!FLAT_ENVELOPE.has(k)) data[k] = ev[k];
      }
      return data;
    },
  };
}

/** One EventData field of the record (`rec.data[name]`), without building `data` for a flat record. */
export function recordField(rec: WinRecord, name: string): unknown {
  const flat = rec.flatSource;
  if (flat === undefined) return rec.data[name];
  return FLAT_ENVELOPE.has(name) ? undefined : flat[name];
}

/** Winlogbeat 7+/Elastic Agent (`winlog.*`) or Winlogbeat 6 (top-level `event_data`, `log_name`…). */
export function fromWinlogbeat(ev: Obj): WinRecord {
  const w = ev['winlog'];
  if (isObj(w)) {
    const proc = isObj(w['process']) ? w['process'] : undefined;
    const ud = isObj(w['user_data']) ? w['user_data'] : undefined;
    return {
      eventId: toInt(w['event_id']),
      channel: text(w['channel']),
      provider: text(w['provider_name']),
      providerGuid: w['provider_guid'],
      computer: text(w['computer_name']),
      recordId: w['record_id'],
      timeCreated: w['time_created'],
      executionPid: proc?.['pid'],
      executionTid: isObj(proc?.['thread']) ? (proc['thread'] as Obj)['id'] : undefined,
      userSid: isObj(w['user']) ? w['user']['identifier'] : undefined,
      fallbackTime: ev['@timestamp'],
      data: isObj(w['event_data']) ? w['event_data'] : (ud ?? {}),
    };
  }
  const ud = isObj(ev['user_data']) ? ev['user_data'] : undefined;
  return {
    eventId: toInt(ev['event_id']),
    channel: text(ev['log_name']),
    provider: text(ev['source_name']),
    providerGuid: ev['provider_guid'],
    computer: text(ev['computer_name']),
    recordId: ev['record_number'],
    timeCreated: undefined,
    executionPid: ev['process_id'],
    executionTid: ev['thread_id'],
    userSid: isObj(ev['user']) ? ev['user']['identifier'] : undefined,
    fallbackTime: ev['@timestamp'],
    data: isObj(ev['event_data']) ? ev['event_data'] : (ud ?? {}),
  };
}

/**
 * The event's time: the table's own time field when the log has one (Sysmon UtcTime, as Elastic's
 * pipeline does), else TimeCreated/SystemTime at full precision, else the envelope's @timestamp.
 */
export function recordTime(rec: WinRecord): Instant | null {
  return recordTimeSource(rec).time;
}

/** The record's own UTC time field (Sysmon `UtcTime`), if its log has one. */
export function recordUtcField(rec: WinRecord): string | undefined {
  return tableOf(rec)?.timeField;
}

/**
 * The time and the text it was read from (reused as @timestamp when already canonical).
 * `count`: tell the clock what was assumed and checked (false: the same time, nothing counted —
 * for a line only read to be ordered, which may never be processed).
 */
export function recordTimeSource(rec: WinRecord, count = true): { time: Instant | null; raw: unknown } {
  const table = tableOf(rec);
  if (table?.timeField !== undefined) {
    const raw = text(recordField(rec, table.timeField));
    const t = parseTimestamp(raw);
    if (t) {
      // Both times: does the clock applied to this host's zone-less times agree?
      if (count && rec.wallTime !== undefined) activeClock()?.check(hostKey(rec), rec.wallInstant!, t);
      return { time: t, raw };
    }
  }
  if (rec.wallTime !== undefined) return { time: wallTimeToUtc(rec, count), raw: undefined };
  const created = text(rec.timeCreated);
  const t = parseTimestamp(created);
  if (t) return { time: t, raw: created };
  return { time: parseTimestamp(rec.fallbackTime), raw: rec.fallbackTime };
}

const hostKey = (rec: WinRecord): string => rec.computer?.toLowerCase() ?? '';

/**
 * A flat event's zone-less wall-clock time in UTC: through the clock (the given zone, or the
 * offset learned for the host); else the event's own zoned @timestamp; else read as UTC.
 * `count`: tell the clock which assumption was made (once per event).
 */
function wallTimeToUtc(rec: WinRecord, count: boolean): Instant {
  const wall = rec.wallInstant!;
  const clock = activeClock();
  const host = hostKey(rec);
  const utc = clock?.toUtc(host, wall, count);
  if (utc) return utc;
  const ts = rec.fallbackTime;
  const zoned = typeof ts === 'string' && hasZone(ts) ? parseTimestamp(ts) : null;
  if (count) clock?.count(host, zoned ? 'timestamp' : 'assumed-utc');
  return zoned ?? wall;
}

/** Shared by every view (frozen): a per-event copy would only feed the garbage collector. */
const WINDOWS_OS = Object.freeze({ type: 'windows', family: 'windows', platform: 'windows' });

/** ISO text of a time: the source's own text when it is already canonical UTC ISO-8601 (no re-formatting). */
function isoText(raw: unknown, t: Instant): string {
  if (typeof raw === 'string') {
    if (CANONICAL_ISO.test(raw)) return raw;
    if (SYSMON_UTC.test(raw)) return `${raw.slice(0, 10)}T${raw.slice(11)}Z`;
  }
  return formatInstant(t);
}
const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,9}Z$/;
const SYSMON_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

/**
 * Build the ECS view of a Windows record.
 * `shared`: the view may share frozen constants (category/type arrays, host.os) between events;
 * false when the result is merged into the caller's own event, which must stay freely mutable.
 */
export function recordToEcs(rec: WinRecord, time: Instant | null, timeText?: unknown, shared = true): Obj {
  const out: Obj = {};
  if (time) out['@timestamp'] = isoText(timeText, time);
  const code = rec.eventId === undefined ? undefined : String(rec.eventId);
  const table = tableOf(rec);
  const event: Obj = { kind: 'event' };
  if (code !== undefined) event['code'] = code;
  if (rec.provider !== undefined) event['provider'] = rec.provider;
  if (table) event['module'] = table.module;
  const createdText = text(rec.timeCreated);
  if (createdText !== undefined) {
    if (createdText === rec.wallTime) event['created'] = formatInstant(wallTimeToUtc(rec, false));
    else if (CANONICAL_ISO.test(createdText)) event['created'] = createdText;
    else {
      const created = parseTimestamp(createdText);
      if (created) event['created'] = formatInstant(created);
    }
  }
  out['event'] = event;

  const host: Obj = { os: shared ? WINDOWS_OS : { ...WINDOWS_OS } };
  if (rec.computer !== undefined && rec.computer !== '') {
    host['name'] = rec.computer;
    host['hostname'] = rec.computer;
    host['id'] = rec.computer.toLowerCase();
  }
  out['host'] = host;

  const compiled = table && code !== undefined ? compiledSpec(table, code) : undefined;
  const spec = compiled?.spec;
  if (compiled) {
    if (spec) {
      // Shared, frozen arrays (see tables/index.ts): no copy per event.
      if (spec.category) event['category'] = shared ? spec.category : spec.category.slice();
      if (spec.type) event['type'] = shared ? spec.type : spec.type.slice();
      if (spec.action !== undefined) event['action'] = spec.action;
      if (spec.outcome !== undefined) event['outcome'] = spec.outcome;
    }
    const data = rec.data;
    const fields = compiled.fields;
    for (const k in data) {
      const targets = fields.get(k);
      if (targets) applyTargets(out, targets, data[k]);
    }
  }
  const winlog: Obj = { event_data: rec.data };
  if (rec.channel !== undefined) winlog['channel'] = rec.channel;
  if (rec.provider !== undefined) winlog['provider_name'] = rec.provider;
  if (rec.providerGuid !== undefined) winlog['provider_guid'] = text(rec.providerGuid);
  if (rec.computer !== undefined) winlog['computer_name'] = rec.computer;
  if (code !== undefined) winlog['event_id'] = code;
  const recordId = text(rec.recordId);
  if (recordId !== undefined) winlog['record_id'] = recordId;
  const pid = toInt(rec.executionPid);
  if (pid !== undefined) {
    const proc: Obj = { pid };
    const tid = toInt(rec.executionTid);
    if (tid !== undefined) proc['thread'] = { id: tid };
    winlog['process'] = proc;
  }
  if (!isBlank(rec.userSid)) winlog['user'] = { identifier: text(rec.userSid) };

  // Last, so that dumps read @timestamp, event, host, process, file… first. A mapping may
  // already have put fields under winlog (winlog.logon): keep them.
  const mapped = out['winlog'];
  out['winlog'] = isObj(mapped) ? Object.assign(winlog, mapped) : winlog;
  if (spec?.derive) for (const d of spec.derive) DERIVATIONS[d](out, rec.data);
  deriveCommon(out);
  return out;
}

/** System fields copied flat into the native view, under the names Sigma/Hayabusa/Chainsaw use. */
const NATIVE_SYSTEM_SCALARS = ['Version', 'Level', 'Task', 'Opcode', 'Keywords'];

/** Build the native (Sigma) view: System fields by name, then every EventData field flat. */
export function recordToNative(rec: WinRecord): Obj {
  const out: Obj = {};
  if (rec.eventId !== undefined) out['EventID'] = rec.eventId;
  if (rec.channel !== undefined) out['Channel'] = rec.channel;
  if (rec.provider !== undefined) out['Provider_Name'] = rec.provider;
  if (rec.providerGuid !== undefined) out['Provider_Guid'] = rec.providerGuid;
  if (rec.computer !== undefined) out['Computer'] = rec.computer;
  if (rec.recordId !== undefined) out['EventRecordID'] = rec.recordId;
  const tc = text(rec.timeCreated);
  if (tc !== undefined) {
    out['TimeCreated'] = tc;
    out['SystemTime'] = tc;
  }
  // Prefixed so that a case-insensitive lookup of Sysmon's ProcessId never finds the logger's pid.
  if (rec.executionPid !== undefined) out['Execution_ProcessID'] = rec.executionPid;
  if (rec.executionTid !== undefined) out['Execution_ThreadID'] = rec.executionTid;
  if (rec.userSid !== undefined) out['Security_UserID'] = rec.userSid;
  if (rec.system) {
    for (const k of NATIVE_SYSTEM_SCALARS) {
      const v = rec.system[k];
      if (v !== undefined && v !== null && typeof v !== 'object') out[k] = v;
    }
  }
  const data = rec.data;
  let repeated = false;
  for (const k in data) {
    if (k in out) continue;
    const v = data[k];
    out[k] = v !== null && typeof v === 'object' ? nativeValue(v) : v;
    if (!repeated && isDigitCode(k.charCodeAt(k.length - 1))) repeated = true;
  }
  if (repeated) gatherRepeated(out, data);
  // Sigma names drop the spaces of EventData names (Defender's "Threat Name" → ThreatName).
  for (const k in data) {
    if (!k.includes(' ') || k.replace(/ /g, '') in out) continue;
    const v = data[k];
    out[k.replace(/ /g, '')] = v !== null && typeof v === 'object' ? nativeValue(v) : v;
  }
  return fastShape(out, rec);
}

/**
 * Shapes already built with fast properties, by event kind and field count (see fastShape).
 * Bounded: a stream of ever new kinds stops adding (its views are then only slower to read).
 */
const fastShapes = new Set<string>();

/**
 * Views with fast properties (hot path: Sigma reads ~10 fields of each view). Adding more than
 * 12 out-of-object properties by computed keys along a shape V8 has not seen turns an object into
 * its slow dictionary mode — most Security and Sysmon views were dictionaries — while the same
 * stores along a shape that exists (made by Object.fromEntries, which builds fast properties)
 * stay fast. So the first view of each kind (EventID, provider, field count) is rebuilt once by
 * Object.fromEntries; later views of that kind with the same fields in the same order then come
 * out fast by themselves. The same object either way: only its V8 representation differs.
 */
function fastShape(out: Obj, rec: WinRecord): Obj {
  let n = 0;
  for (const _ in out) n++;
  if (n <= 16) return out; // 4 in-object + 12 out-of-object properties: fast already
  const kind = `${String(rec.eventId)}\u0000${rec.provider ?? ''}\u0000${n}`;
  if (fastShapes.has(kind) || fastShapes.size >= 4096) return out;
  fastShapes.add(kind);
  return Object.fromEntries(Object.entries(out)) as Obj;
}

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;

/**
 * A value as Sigma reads it. Unnamed `<Data>` items arrive as `{"#text": v | [v…]}` (evtx_dump's
 * shape): one value is that value; several are one multi-valued field that also reads as their
 * joined text (events/multi-value.ts), so `Data|contains: …` tests every value and the whole.
 */
function nativeValue(v: object): unknown {
  if (Array.isArray(v) || !('#text' in v)) return v;
  for (const k in v) if (k !== '#text' && k !== '#attributes') return v;
  const t = (v as Obj)['#text'];
  if (!Array.isArray(t)) return t;
  return t.length === 1 ? t[0] : multiValue(t);
}

/**
 * A repeated element name gets a suffix in evtx_dump's shape (`Name`, `Name_1`, `Name_2`…: an
 * array substitution, or several `<Data Name="Name">`): the native `Name` holds all of them, so
 * a Sigma test on `Name` matches when any of them does. The suffixed fields stay as they are.
 */
function gatherRepeated(out: Obj, data: Obj): void {
  for (const base in data) {
    if (data[`${base}_1`] === undefined || (isDigitCode(base.charCodeAt(base.length - 1)) && /_\d+$/.test(base))) continue;
    const values: unknown[] = [out[base]];
    for (let i = 1; data[`${base}_${i}`] !== undefined; i++) values.push(out[`${base}_${i}`]);
    out[base] = values.flatMap((x) => (Array.isArray(x) ? x : [x]));
  }
}

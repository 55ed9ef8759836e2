/**
 * The generated fleet's events in every JSON shape spoor reads, so that benchmarks and soundness
 * tests of each format run on data of the repository, with the same planted attacks everywhere.
 *
 * The generator writes Elastic Defend documents (and Winlogbeat Security 5145s). Every other
 * format is rendered from them, line by line:
 * - `es-hits`: each document as an Elasticsearch hit (`_index`, `_id`, `_source`), as elasticdump
 *   and scroll exports write them — the same events, so the same alerts as `defend`;
 * - `winlogbeat`, `evtx-json`, `nxlog`: the Windows record the document stands for — its Sysmon
 *   (or Security) EventID, channel and EventData, read from the native view (normalize/'s reverse
 *   tables: process start → Sysmon 1, file creation → 11…), then written as Winlogbeat/Elastic
 *   Agent ECS (completed by normalization as the ingest pipeline would), as evtx_dump's JSONL, or
 *   as flat nxlog / Security-Datasets JSON (every field top level, `EventTime`/`TimeCreated` in the
 *   collector's local time (UTC+1, no zone), `Keywords` a 64-bit integer, a `Message` text: ~2 KB).
 *   The three Windows shapes hold the same records, so they give the same alerts; Defend may
 *   differ (Sysmon has no header bytes or signer of a started process, and the computer name is
 *   the FQDN in every Windows record, so Security 5145s join with Sysmon process starts).
 */
import { toEcs, toNative } from '../normalize/index.js';

export const DEMO_FORMATS = ['defend', 'es-hits', 'winlogbeat', 'evtx-json', 'nxlog'] as const;
export type DemoFormat = (typeof DEMO_FORMATS)[number];

type Obj = Record<string, unknown>;
const j = JSON.stringify;

/** Sysmon EventIDs for Defend documents the reverse table gives none (data: category → id). */
const FALLBACK_IDS: Readonly<Record<string, number>> = { network: 3, file: 2 };

/** Per log: provider GUID, Keywords (as the 64-bit value and as nxlog's signed integer), task names. */
const LOGS: Readonly<Record<string, { guid: string; keywords: string; signed: string; eventType: string; version: number }>> = {
  'Microsoft-Windows-Sysmon/Operational': { guid: '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}', keywords: '0x8000000000000000', signed: '-9223372036854775808', eventType: 'INFO', version: 5 },
  Security: { guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}', keywords: '0x8020000000000000', signed: '-9214364837600034816', eventType: 'AUDIT_SUCCESS', version: 1 },
};

/** What Sysmon's Message starts with, per EventID (the rest lists the fields). */
const MESSAGES: Readonly<Record<string, string>> = {
  '1': 'Process Create', '2': 'File creation time changed', '3': 'Network connection detected', '5': 'Process terminated',
  '7': 'Image loaded', '11': 'File created', '12': 'Registry object added or deleted', '13': 'Registry value set',
  '22': 'Dns query', '23': 'File Delete archived', '5145': 'A network share object was checked to see whether client can be granted desired access.',
};

/** Fields of the native view that are System fields, not EventData. */
const SYSTEM_KEYS = new Set(['EventID', 'Channel', 'Provider_Name', 'Provider_Guid', 'Computer', 'EventRecordID', 'TimeCreated', 'SystemTime']);

interface WinRecord {
  id: number;
  channel: string;
  provider: string;
  computer: string;
  record: number;
  /** ISO UTC with microseconds (the Defend document's @timestamp). */
  time: string;
  data: Obj;
}

/** Renders Defend lines as one format; keeps per-stream state (record numbers). */
export function lineRenderer(format: DemoFormat): (line: string) => string | null {
  if (format === 'defend') return (line) => line;
  let n = 0;
  if (format === 'es-hits') {
    return (line) => {
      const o = JSON.parse(line) as Obj;
      const ev = o['event'] as Obj | undefined;
      const dataset = typeof ev?.['dataset'] === 'string' ? (ev['dataset'] as string) : 'system.security';
      const id = typeof ev?.['id'] === 'string' ? (ev['id'] as string) : `gen-${++n}`;
      const ms = Date.parse(o['@timestamp'] as string);
      return `{"_index":".ds-logs-${dataset}-default-2026.03.02-000001","_id":${j(id)},"_score":null,"_source":${line},"sort":[${ms}]}`;
    };
  }
  const records = new Map<string, number>();
  const toRecord = (line: string): WinRecord | null => {
    const o = JSON.parse(line) as Obj;
    const nv = toNative(o) as Obj;
    let id = nv['EventID'];
    let channel = nv['Channel'];
    let provider = nv['Provider_Name'];
    if (typeof id !== 'number') {
      const cats = ((o['event'] as Obj | undefined)?.['category'] ?? []) as string[];
      const fb = cats.map((c) => FALLBACK_IDS[c]).find((x) => x !== undefined);
      if (fb === undefined) return null;
      id = fb;
      channel = 'Microsoft-Windows-Sysmon/Operational';
      provider = 'Microsoft-Windows-Sysmon';
    }
    const host = String(nv['Computer'] ?? 'unknown');
    const computer = host.includes('.') ? host : `${host}.corp.example.com`;
    const record = (records.get(`${channel}|${computer}`) ?? 100_000) + 1;
    records.set(`${channel}|${computer}`, record);
    const data: Obj = {};
    const time = o['@timestamp'] as string;
    if (channel === 'Microsoft-Windows-Sysmon/Operational') data['UtcTime'] = time.slice(0, 23).replace('T', ' ');
    for (const [k, v] of Object.entries(nv)) if (!SYSTEM_KEYS.has(k) && k !== 'AccessListDescription') data[k] = v;
    return { id: id as number, channel: String(channel), provider: String(provider), computer, record, time, data };
  };
  const render = format === 'winlogbeat' ? winlogbeatLine : format === 'evtx-json' ? evtxJsonLine : nxlogLine;
  return (line) => {
    const r = toRecord(line);
    return r === null ? null : render(r);
  };
}

function logOf(r: WinRecord): (typeof LOGS)[string] {
  return LOGS[r.channel] ?? LOGS['Security']!;
}

/** Execution pid/tid of the logging service (Sysmon's own service, or lsass for Security). */
function execution(r: WinRecord): { pid: number; tid: number } {
  return r.channel === 'Security' ? { pid: 668, tid: 700 + (r.record % 97) } : { pid: 2840, tid: 3100 + (r.record % 89) };
}

function messageOf(r: WinRecord): string {
  const head = MESSAGES[String(r.id)] ?? `Event ${r.id}`;
  const lines = [`${head}:`, 'RuleName: -'];
  for (const [k, v] of Object.entries(r.data)) lines.push(`${k}: ${typeof v === 'string' ? v : j(v)}`);
  return lines.join('\r\n');
}

function asStrings(data: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  return out;
}

/** Winlogbeat 8 / Elastic Agent: the raw document, completed by normalization as the ingest pipeline would. */
function winlogbeatLine(r: WinRecord): string {
  const log = logOf(r);
  const ex = execution(r);
  const doc: Obj = {
    '@timestamp': r.time,
    agent: { type: 'winlogbeat', version: '8.15.3', name: r.computer.split('.')[0] },
    ecs: { version: '8.0.0' },
    host: { name: r.computer },
    log: { level: 'information' },
    message: messageOf(r),
    event: { kind: 'event', code: String(r.id), provider: r.provider, created: r.time },
    winlog: {
      api: 'wineventlog',
      channel: r.channel,
      computer_name: r.computer,
      event_id: String(r.id),
      provider_name: r.provider,
      provider_guid: log.guid,
      record_id: String(r.record),
      process: { pid: ex.pid, thread: { id: ex.tid } },
      keywords: [r.channel === 'Security' ? 'Audit Success' : 'Info'],
      event_data: asStrings(r.data),
    },
  };
  return j(toEcs(doc));
}

/** evtx_dump `-o jsonl`: Event.System with #attributes, EventData by name. */
function evtxJsonLine(r: WinRecord): string {
  const log = logOf(r);
  const ex = execution(r);
  return (
    `{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":${j(r.provider)},"Guid":${j(log.guid)}}},` +
    `"EventID":${r.id},"Version":${log.version},"Level":4,"Task":${r.channel === 'Security' ? 12811 : r.id},"Opcode":0,"Keywords":${j(log.keywords)},` +
    `"TimeCreated":{"#attributes":{"SystemTime":${j(r.time)}}},"EventRecordID":${r.record},"Correlation":null,` +
    `"Execution":{"#attributes":{"ProcessID":${ex.pid},"ThreadID":${ex.tid}}},"Channel":${j(r.channel)},"Computer":${j(r.computer)},` +
    `"Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":${j(r.data)}}}`
  );
}

/** The collector's local time (UTC+1), without a zone: `YYYY-MM-DD HH:MM:SS` (nxlog's EventTime). */
function localTime(iso: string, fraction: boolean): string {
  const ms = Date.parse(iso) + 3600_000;
  const t = new Date(ms).toISOString();
  return fraction ? `${t.slice(0, 10)} ${t.slice(11, 23)}` : `${t.slice(0, 10)} ${t.slice(11, 19)}`;
}

/** nxlog im_msvistalog / Security-Datasets: every field top level, EventData as strings. */
function nxlogLine(r: WinRecord): string {
  const log = logOf(r);
  const ex = execution(r);
  const received = localTime(new Date(Date.parse(r.time) + 1000).toISOString(), false);
  const data = j(asStrings(r.data)).slice(1, -1);
  return (
    `{"EventTime":${j(localTime(r.time, false))},"TimeCreated":${j(localTime(r.time, true))},"Hostname":${j(r.computer)},"Keywords":${log.signed},` +
    `"EventType":${j(log.eventType)},"SeverityValue":2,"Severity":"INFO","EventID":${r.id},"SourceName":${j(r.provider)},"ProviderGuid":${j(log.guid)},` +
    `"Version":${log.version},"TaskValue":${r.channel === 'Security' ? 12811 : r.id},"OpcodeValue":0,"RecordNumber":${r.record},` +
    `"ExecutionProcessID":${ex.pid},"ExecutionThreadID":${ex.tid},"Channel":${j(r.channel)},"Domain":"NT AUTHORITY","AccountName":"SYSTEM",` +
    `"UserID":"S-1-5-18","AccountType":"User","Message":${j(messageOf(r))},"Category":${j(MESSAGES[String(r.id)] ?? 'None')},"Opcode":"Info",` +
    `${data}${data ? ',' : ''}"EventReceivedTime":${j(received)},"SourceModuleName":"eventlog","SourceModuleType":"im_msvistalog"}`
  );
}

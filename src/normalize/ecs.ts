/**
 * Events that arrive in ECS (Elastic Defend, Winlogbeat/Elastic Agent, other ECS producers):
 * completing them in place, and their native (Sigma) view.
 */
import { deriveCommon } from './derive.js';
import {
  REVERSE_BY_EVENT_ID,
  REVERSE_GENERIC,
  SYSMON_CHANNEL,
  SYSMON_EQUIVALENT,
  SYSMON_PROVIDER,
  type ReverseField,
} from './tables/reverse.js';
import { fromWinlogbeat, recordTime, recordTimeSource, recordToEcs, type WinRecord } from './windows.js';
import { hasDottedTopKey, isObj, mergeMissing, readerFor, setPath, text, toInt, type Obj, type Reader } from './util.js';

const HOST_ID = ['host', 'id'];
const HOST_NAME = ['host', 'name'];
const OS_TYPE = ['host', 'os', 'type'];
const OS_FAMILY = ['host', 'os', 'family'];
const OS_PLATFORM = ['host', 'os', 'platform'];

function str(read: Reader, path: string[]): string | undefined {
  const v = read(path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** host.id when missing: the lower-cased name of the computer that logged the event. */
function fillHostId(ev: Obj, read: Reader, computer: string | undefined): void {
  if (read(HOST_ID) !== undefined) return;
  const name = computer ?? str(read, HOST_NAME);
  if (name !== undefined) setPath(ev, HOST_ID, name.toLowerCase());
}

/**
 * How a field `completeEcs` may add relates to the raw text of the event it was added to, for
 * code that decides from the text alone whether an event can match (hunt/prefilter.ts):
 * `suffix`: the value ends some raw string (a base name, an extension); `whole`: it equals some raw
 * string; `lowered`: compare ignoring case (the value was lower-cased); `opaque`: no such relation.
 * A test runs completeEcs on a full event and checks that every field it adds is listed here.
 */
export type DerivedText = { at: 'suffix' | 'whole'; lowered: boolean } | 'opaque';
export const ECS_DERIVED_FIELDS: ReadonlyMap<string, DerivedText> = new Map<string, DerivedText>([
  ['host.id', { at: 'whole', lowered: true }],
  ['host.os.type', { at: 'whole', lowered: true }],
  ['process.name', { at: 'suffix', lowered: false }],
  ['process.parent.name', { at: 'suffix', lowered: false }],
  ['Target.process.name', { at: 'suffix', lowered: false }],
  ['file.name', { at: 'suffix', lowered: false }],
  ['file.extension', { at: 'suffix', lowered: true }],
  ['file.directory', 'opaque'],
  ['process.args', 'opaque'],
  ['process.args_count', 'opaque'],
  ['process.parent.args', 'opaque'],
  ['process.parent.args_count', 'opaque'],
]);

/** Elastic Defend / generic ECS: add host.id, host.os.type (when the OS is known to be Windows), names. */
export function completeEcs(ev: Obj): Obj {
  if (!hasDottedTopKey(ev)) return completeNested(ev);
  const read = readerFor(ev);
  fillHostId(ev, read, undefined);
  if (read(OS_TYPE) === undefined) {
    const os = (str(read, OS_FAMILY) ?? str(read, OS_PLATFORM))?.toLowerCase();
    if (os === 'windows') setPath(ev, OS_TYPE, 'windows');
  }
  deriveCommon(ev, read);
  return ev;
}

/**
 * completeEcs for an event read through plain nested paths (what readerFor gives it: no top-level
 * key holds a dot), written out: `host` and `host.os` are looked up once, not once per path, and
 * no reader closure is made per event. Every write lands in an object the reads reached, as
 * setPath's would (test/normalize/derive-nested.test.ts holds the two versions equal).
 */
function completeNested(ev: Obj): Obj {
  const host = ev['host'];
  if (isObj(host)) {
    if (host['id'] === undefined) {
      const name = host['name'];
      if (typeof name === 'string' && name !== '') host['id'] = name.toLowerCase();
    }
    const os = host['os'];
    if (isObj(os) && os['type'] === undefined) {
      const family = os['family'];
      const platform = os['platform'];
      const v = typeof family === 'string' && family !== '' ? family : typeof platform === 'string' && platform !== '' ? platform : undefined;
      if (v !== undefined && v.toLowerCase() === 'windows') os['type'] = 'windows';
    }
  }
  deriveCommon(ev);
  return ev;
}

/**
 * Winlogbeat: fill only what Elastic's ingest pipeline would have set and is missing (an agent
 * shipping without the pipeline leaves everything in winlog.event_data). Winlogbeat 6 events
 * have no ECS at all; they get a full ECS view, like evtx.
 */
export function completeWinlogbeat(ev: Obj): Obj {
  const rec = fromWinlogbeat(ev);
  if (!isObj(ev['winlog'])) {
    const src = recordTimeSource(rec);
    return recordToEcs(rec, src.time, src.raw);
  }
  const read = readerFor(ev);
  const built = recordToEcs(rec, read(['@timestamp']) === undefined ? recordTime(rec) : null, undefined, false);
  // The collector's host.name may be a WEF server: join on the computer that logged the event.
  fillHostId(ev, read, rec.computer);
  mergeMissing(ev, built);
  deriveCommon(ev, read);
  return ev;
}

/** Sysmon EventID equivalent of an ECS event's category/type, when it has one. */
export function sysmonEquivalent(ev: Obj, read: Reader = readerFor(ev)): number | undefined {
  const cats = asList(read(['event', 'category']));
  if (cats.length === 0) return undefined;
  const types = asList(read(['event', 'type']));
  const isDns = read(['dns', 'question', 'name']) !== undefined;
  const action = read(['event', 'action']);
  for (const rule of SYSMON_EQUIVALENT) {
    if (!cats.includes(rule.category)) continue;
    if (rule.dns && !isDns) continue;
    if (rule.type && !rule.type.some((t) => types.includes(t))) continue;
    if (rule.action && !(typeof action === 'string' && rule.action.includes(action))) continue;
    return rule.id;
  }
  return undefined;
}

function asList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

interface CompiledReverse extends ReverseField {
  path: string[];
}

const compiledReverse = new Map<readonly ReverseField[], CompiledReverse[]>();
function compiled(fields: readonly ReverseField[]): CompiledReverse[] {
  let c = compiledReverse.get(fields);
  if (!c) compiledReverse.set(fields, (c = fields.map((f) => ({ ...f, path: f.ecs.split('.') }))));
  return c;
}

function render(read: Reader, f: CompiledReverse): unknown {
  const v = read(f.path);
  if (v === undefined || v === null) return undefined;
  switch (f.format ?? 'value') {
    case 'user': {
      if (!isObj(v)) return typeof v === 'string' ? v : undefined;
      const name = text(v['name']);
      if (name === undefined) return undefined;
      const domain = text(v['domain']);
      return domain ? `${domain}\\${name}` : name;
    }
    case 'hashes': {
      if (!isObj(v)) return undefined;
      const parts: string[] = [];
      for (const k in v) {
        const h = text(v[k]);
        if (h !== undefined) parts.push(`${k.toUpperCase()}=${h.toUpperCase()}`);
      }
      return parts.length > 0 ? parts.join(',') : undefined;
    }
    case 'boolText':
      return typeof v === 'boolean' ? (v ? 'true' : 'false') : v;
    case 'direction':
      return v === 'egress' || v === 'outbound' ? 'true' : v === 'ingress' || v === 'inbound' ? 'false' : undefined;
    case 'regDetails':
      return registryDetails(v);
    default:
      return v;
  }
}

/** registry.data back to Sysmon's Details text: SZ_DWORD 1 → `DWORD (0x00000001)`. */
function registryDetails(v: unknown): unknown {
  if (!isObj(v)) return undefined;
  const strings = v['strings'];
  const first = Array.isArray(strings) ? strings[0] : strings;
  const s = text(first);
  if (s === undefined) return undefined;
  if (v['type'] === 'SZ_DWORD' && /^\d+$/.test(s)) return `DWORD (0x${Number(s).toString(16).padStart(8, '0')})`;
  if (v['type'] === 'SZ_QWORD' && /^\d+$/.test(s)) {
    const n = BigInt(s);
    const hex = (x: bigint): string => x.toString(16).padStart(8, '0');
    return `QWORD (0x${hex(n >> 32n)}-0x${hex(n & 0xffffffffn)})`;
  }
  return s;
}

function fillReverse(out: Obj, read: Reader, fields: readonly ReverseField[]): void {
  for (const f of compiled(fields)) {
    if (out[f.native] !== undefined) continue;
    const v = render(read, f);
    if (v !== undefined) out[f.native] = v;
  }
}

/** Native view of a Winlogbeat 7+ event: winlog.event_data flat, system fields, then ECS fields read back. */
export function winlogbeatNative(ev: Obj, rec: WinRecord): Obj {
  const out: Obj = {};
  if (rec.eventId !== undefined) out['EventID'] = rec.eventId;
  if (rec.channel !== undefined) out['Channel'] = rec.channel;
  if (rec.provider !== undefined) out['Provider_Name'] = rec.provider;
  if (rec.computer !== undefined) out['Computer'] = rec.computer;
  if (rec.recordId !== undefined) out['EventRecordID'] = rec.recordId;
  const data = rec.data;
  for (const k in data) if (!(k in out)) out[k] = data[k];
  const reverse = rec.eventId === undefined ? undefined : REVERSE_BY_EVENT_ID[String(rec.eventId)];
  if (reverse) fillReverse(out, readerFor(ev), reverse);
  return out;
}

/** Native view of Elastic Defend / generic ECS: the Sysmon equivalent (EventID, Channel) and its fields. */
export function ecsNative(ev: Obj): Obj {
  const out: Obj = {};
  const read = readerFor(ev);
  const code = toInt(read(['event', 'code']));
  const id = code ?? sysmonEquivalent(ev, read);
  if (id !== undefined) out['EventID'] = id;
  if (code === undefined && id !== undefined) {
    out['Channel'] = SYSMON_CHANNEL;
    out['Provider_Name'] = SYSMON_PROVIDER;
  }
  const computer = str(read, HOST_NAME);
  if (computer !== undefined) out['Computer'] = computer;
  fillReverse(out, read, (id !== undefined ? REVERSE_BY_EVENT_ID[String(id)] : undefined) ?? REVERSE_GENERIC);
  return out;
}

/**
 * Events that arrive in ECS (Elastic Defend, Winlogbeat/Elastic Agent, other ECS producers):
 * completing them in place, and their native (Sigma) view.
 */
import { getField, parseFieldPath } from '../events/field.js';
import { deriveCommon } from './derive.js';
import {
  REVERSE_BY_EVENT_ID,
  REVERSE_GENERIC,
  SYSMON_CHANNEL,
  SYSMON_EQUIVALENT,
  SYSMON_PROVIDER,
  type ReverseField,
} from './tables/reverse.js';
import { fromWinlogbeat, recordTime, recordToEcs, type WinRecord } from './windows.js';
import { isObj, mergeMissing, setPath, text, toInt, type Obj } from './util.js';

const HOST_ID = ['host', 'id'];
const HOST_NAME = ['host', 'name'];
const OS_TYPE = ['host', 'os', 'type'];
const OS_FAMILY = ['host', 'os', 'family'];
const OS_PLATFORM = ['host', 'os', 'platform'];

function str(ev: Obj, path: string[]): string | undefined {
  const v = getField(ev, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** host.id when missing: the lower-cased name of the computer that logged the event. */
function fillHostId(ev: Obj, computer: string | undefined): void {
  if (getField(ev, HOST_ID) !== undefined) return;
  const name = computer ?? str(ev, HOST_NAME);
  if (name !== undefined) setPath(ev, HOST_ID, name.toLowerCase());
}

/** Elastic Defend / generic ECS: add host.id, host.os.type (when the OS is known to be Windows), names. */
export function completeEcs(ev: Obj): Obj {
  fillHostId(ev, undefined);
  if (getField(ev, OS_TYPE) === undefined) {
    const os = (str(ev, OS_FAMILY) ?? str(ev, OS_PLATFORM))?.toLowerCase();
    if (os === 'windows') setPath(ev, OS_TYPE, 'windows');
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
  if (!isObj(ev['winlog'])) return recordToEcs(rec, recordTime(rec));
  const built = recordToEcs(rec, getField(ev, ['@timestamp']) === undefined ? recordTime(rec) : null);
  // The collector's host.name may be a WEF server: join on the computer that logged the event.
  fillHostId(ev, rec.computer);
  mergeMissing(ev, built);
  deriveCommon(ev);
  return ev;
}

/** Sysmon EventID equivalent of an ECS event's category/type, when it has one. */
export function sysmonEquivalent(ev: Obj): number | undefined {
  const cats = asList(getField(ev, ['event', 'category']));
  if (cats.length === 0) return undefined;
  const types = asList(getField(ev, ['event', 'type']));
  const isDns = getField(ev, ['dns', 'question', 'name']) !== undefined;
  for (const rule of SYSMON_EQUIVALENT) {
    if (!cats.includes(rule.category)) continue;
    if (rule.dns && !isDns) continue;
    if (rule.type && !rule.type.some((t) => types.includes(t))) continue;
    return rule.id;
  }
  return undefined;
}

function asList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const compiledPaths = new Map<string, (string | number)[]>();
function pathOf(ecs: string): (string | number)[] {
  let p = compiledPaths.get(ecs);
  if (!p) compiledPaths.set(ecs, (p = parseFieldPath(ecs)));
  return p;
}

function render(ev: Obj, f: ReverseField): unknown {
  const v = getField(ev, pathOf(f.ecs));
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
    case 'first':
      return Array.isArray(v) ? v[0] : v;
    default:
      return v;
  }
}

function fillReverse(out: Obj, ev: Obj, fields: readonly ReverseField[]): void {
  for (const f of fields) {
    if (out[f.native] !== undefined) continue;
    const v = render(ev, f);
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
  if (reverse) fillReverse(out, ev, reverse);
  return out;
}

/** Native view of Elastic Defend / generic ECS: the Sysmon equivalent (EventID, Channel) and its fields. */
export function ecsNative(ev: Obj): Obj {
  const out: Obj = {};
  const code = toInt(getField(ev, ['event', 'code']));
  const id = code ?? sysmonEquivalent(ev);
  if (id !== undefined) out['EventID'] = id;
  if (code === undefined && id !== undefined) {
    out['Channel'] = SYSMON_CHANNEL;
    out['Provider_Name'] = SYSMON_PROVIDER;
  }
  const computer = str(ev, HOST_NAME);
  if (computer !== undefined) out['Computer'] = computer;
  fillReverse(out, ev, (id !== undefined ? REVERSE_BY_EVENT_ID[String(id)] : undefined) ?? REVERSE_GENERIC);
  return out;
}

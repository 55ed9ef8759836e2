/**
 * Which fields of a matched event an analyst reads first, by event type (data, not code), and a
 * flat list of every raw field. Pure; shared with Node tests.
 */
import type { Event } from '../../events/field.js';
import { getField, parseFieldPath } from '../../events/field.js';
import type { EventKind } from '../../output/describe.js';

export const KEY_FIELDS: Record<EventKind, string[]> = {
  'process-start': ['process.executable', 'process.command_line', 'process.pid', 'process.parent.executable', 'process.parent.command_line', 'user.domain', 'user.name', 'process.code_signature.subject_name', 'process.code_signature.trusted', 'process.hash.sha256', 'process.hash.md5', 'process.pe.original_file_name'],
  'process-end': ['process.executable', 'process.pid', 'process.exit_code', 'user.name'],
  file: ['event.action', 'file.path', 'file.name', 'process.executable', 'process.pid', 'user.name', 'file.hash.sha256'],
  share: ['winlog.event_data.ShareName', 'winlog.event_data.RelativeTargetName', 'winlog.event_data.IpAddress', 'winlog.event_data.SubjectDomainName', 'winlog.event_data.SubjectUserName', 'winlog.event_data.AccessList', 'source.ip'],
  network: ['event.action', 'source.ip', 'source.port', 'destination.ip', 'destination.port', 'network.protocol', 'process.executable', 'user.name'],
  dns: ['dns.question.name', 'dns.resolved_ip', 'process.executable'],
  registry: ['event.action', 'registry.path', 'registry.value', 'registry.data.strings', 'process.executable', 'user.name'],
  library: ['dll.path', 'dll.code_signature.subject_name', 'process.executable'],
  service: ['service.name', 'service.executable', 'winlog.event_data.ServiceName', 'winlog.event_data.ImagePath', 'winlog.event_data.ServiceStartType', 'user.name'],
  other: ['event.code', 'event.action', 'event.provider', 'winlog.channel', 'process.executable', 'process.command_line', 'user.name', 'message'],
};

export function valueText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** `[field, value]` of the key fields present in the event, in table order. */
export function keyFields(ev: Event, kind: EventKind): [string, string][] {
  const out: [string, string][] = [];
  for (const f of KEY_FIELDS[kind]) {
    const v = valueText(getField(ev, parseFieldPath(f)));
    if (v !== '') out.push([f, v]);
  }
  return out;
}

/** Every leaf as `[dotted.path, value]`, sorted by path; arrays of scalars stay one value. */
export function flattenEvent(ev: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (ev !== null && typeof ev === 'object' && !Array.isArray(ev)) {
    for (const [k, v] of Object.entries(ev)) flattenEvent(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(ev) && ev.some((x) => x !== null && typeof x === 'object')) {
    ev.forEach((x, i) => flattenEvent(x, `${prefix}[${i}]`, out));
  } else out.push([prefix, valueText(ev)]);
  if (prefix === '') out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}

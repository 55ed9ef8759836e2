/** One-line descriptions of ECS events for timelines: what happened, by whom, on what. */
import { getField, parseFieldPath, type Event } from '../events/field.js';

const cache = new Map<string, (string | number)[]>();
function get(ev: Event, path: string): unknown {
  let p = cache.get(path);
  if (!p) cache.set(path, (p = parseFieldPath(path)));
  return getField(ev, p);
}
function str(ev: Event, path: string): string {
  const v = get(ev, path);
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(String).join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
function has(ev: Event, path: string, value: string): boolean {
  const v = get(ev, path);
  return Array.isArray(v) ? v.includes(value) : v === value;
}

export type EventKind = 'share' | 'process-start' | 'process-end' | 'file' | 'network' | 'dns' | 'registry' | 'library' | 'service' | 'other';

export interface EventDescription {
  kind: EventKind;
  /** Short label: `process start`, `file creation`, `SMB share access`… */
  label: string;
  text: string;
}

export function describeEvent(ev: Event): EventDescription {
  const code = str(ev, 'winlog.event_id') || str(ev, 'event.code');
  const proc = str(ev, 'process.name') || str(ev, 'process.executable');
  const pid = str(ev, 'process.pid');
  const by = proc ? ` by ${proc}${pid ? ` (${pid})` : ''}` : '';
  if (code === '5145' || code === '5140') {
    const share = str(ev, 'winlog.event_data.ShareName');
    const rel = str(ev, 'winlog.event_data.RelativeTargetName');
    const ip = str(ev, 'winlog.event_data.IpAddress') || str(ev, 'source.ip');
    const user = str(ev, 'winlog.event_data.SubjectUserName') || str(ev, 'user.name');
    const domain = str(ev, 'winlog.event_data.SubjectDomainName') || str(ev, 'user.domain');
    const writes = /%%4417|%%4418/.test(str(ev, 'winlog.event_data.AccessList'));
    return { kind: 'share', label: `share ${writes ? 'write' : 'access'} (${code})`, text: `${share}${rel ? `\\${rel}` : ''} from ${ip || '?'}${user ? ` as ${domain ? `${domain}\\` : ''}${user}` : ''}` };
  }
  if (code === '7045' || code === '4697') {
    return { kind: 'service', label: `service install (${code})`, text: `${str(ev, 'service.name') || str(ev, 'winlog.event_data.ServiceName')} → ${str(ev, 'service.executable') || str(ev, 'winlog.event_data.ImagePath')}` };
  }
  if (has(ev, 'event.category', 'process')) {
    if (has(ev, 'event.type', 'start')) {
      const parent = str(ev, 'process.parent.name') || str(ev, 'process.parent.executable');
      const cl = str(ev, 'process.command_line');
      return { kind: 'process-start', label: 'process start', text: `${str(ev, 'process.executable') || proc}${parent ? ` ← ${parent}` : ''}${cl ? ` · ${cl}` : ''}` };
    }
    if (has(ev, 'event.type', 'end')) return { kind: 'process-end', label: 'process end', text: `${str(ev, 'process.executable') || proc}${pid ? ` (${pid})` : ''}` };
  }
  if (has(ev, 'event.category', 'file')) {
    const action = str(ev, 'event.action') || str(ev, 'event.type');
    return { kind: 'file', label: `file ${action}`.trim(), text: `${str(ev, 'file.path')}${by}` };
  }
  if (get(ev, 'dns.question.name') !== undefined) {
    return { kind: 'dns', label: 'dns lookup', text: `${str(ev, 'dns.question.name')}${by}` };
  }
  if (has(ev, 'event.category', 'network')) {
    const src = `${str(ev, 'source.ip')}:${str(ev, 'source.port')}`;
    const dst = `${str(ev, 'destination.ip')}:${str(ev, 'destination.port')}`;
    return { kind: 'network', label: str(ev, 'event.action') || 'network', text: `${src} → ${dst}${by}` };
  }
  if (has(ev, 'event.category', 'registry')) {
    return { kind: 'registry', label: 'registry', text: `${str(ev, 'registry.path')}${str(ev, 'registry.data.strings') ? ` = ${str(ev, 'registry.data.strings')}` : ''}${by}` };
  }
  if (has(ev, 'event.category', 'library')) {
    return { kind: 'library', label: 'library load', text: `${str(ev, 'dll.path')}${by}` };
  }
  const action = str(ev, 'event.action') || str(ev, 'event.category') || 'event';
  return { kind: 'other', label: code ? `${action} (${code})` : action, text: `${str(ev, 'message').slice(0, 200)}${by}` };
}

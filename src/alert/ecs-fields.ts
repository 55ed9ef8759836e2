/** Reading the few ECS fields alerts need, tolerant of numbers-as-text and single-element arrays. */
import { getField, type Event } from '../events/field.js';
import { parseTimestamp, type Instant } from '../events/timestamp.js';

const paths = new Map<string, string[]>();
function path(dotted: string): string[] {
  let p = paths.get(dotted);
  if (!p) paths.set(dotted, (p = dotted.split('.')));
  return p;
}

export function str(ev: Event, dotted: string): string | undefined {
  let v = getField(ev, path(dotted));
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

export function num(ev: Event, dotted: string): number | undefined {
  let v = getField(ev, path(dotted));
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function bool(ev: Event, dotted: string): boolean | undefined {
  let v = getField(ev, path(dotted));
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** True when an ECS list-or-string field contains `value`. */
export function has(ev: Event, dotted: string, value: string): boolean {
  const v = getField(ev, path(dotted));
  return Array.isArray(v) ? v.includes(value) : v === value;
}

/** Event time of an ECS-view event (`@timestamp`, exact to the nanosecond). */
export function ecsTime(ev: Event): Instant | null {
  return parseTimestamp(getField(ev, ['@timestamp']));
}

/** The Windows event id of an ECS-view event (`event.code`, else `winlog.event_id`). */
export function eventCode(ev: Event): string | undefined {
  // The common nested shapes, read directly: this runs on every event of a hunt.
  const code = (ev.event as { code?: unknown } | undefined)?.code ?? (ev.winlog as { event_id?: unknown } | undefined)?.event_id;
  if (typeof code === 'string') return code;
  if (typeof code === 'number') return String(code);
  if (!('event.code' in ev) && !('winlog.event_id' in ev)) return undefined;
  return str(ev, 'event.code') ?? str(ev, 'winlog.event_id');
}

/** Host as the data names it: host.name, host.hostname, winlog.computer_name, then host.id. */
export function hostName(ev: Event): string | undefined {
  return str(ev, 'host.name') ?? str(ev, 'host.hostname') ?? str(ev, 'winlog.computer_name') ?? str(ev, 'host.id');
}

/** Host key for joining evidence across sources: the lower-cased first DNS label. */
export function hostKey(host: string): string {
  const h = host.toLowerCase();
  const i = h.indexOf('.');
  return i > 0 && !/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h.slice(0, i) : h;
}

/** Local path a 5145 refers to: file.path, else ShareLocalPath (`\??\` stripped) + RelativeTargetName. */
export function sharePath(ev: Event): string | undefined {
  const p = str(ev, 'file.path');
  if (p) return p;
  const local = str(ev, 'winlog.event_data.ShareLocalPath');
  const rel = str(ev, 'winlog.event_data.RelativeTargetName');
  if (!local || !rel) return undefined;
  const base = local.replace(/^\\\?\?\\/, '').replace(/\\+$/, '');
  return `${base}\\${rel.replace(/^\\+/, '')}`;
}

/**
 * The details of an alert: the few fields of its decisive event that say what happened, chosen
 * per event type by the DATA table in details-table.ts, plus the event's channel, id and record id.
 */
import type { Alert } from '../alert/types.js';
import { getField, type Event } from '../events/field.js';
import { DETAILS_TABLE, type DetailsEntry } from './details-table.js';

export interface EventDetails {
  /** Label → value, in the table's order; empty values left out. */
  fields: Record<string, string>;
  channel?: string;
  eventId?: string;
  /** Kept as text: record ids can exceed 2^53. */
  recordId?: string;
}

const pathCache = new Map<string, string[]>();
function read(ev: Event, dotted: string): string | undefined {
  let path = pathCache.get(dotted);
  if (!path) pathCache.set(dotted, (path = dotted.split('.')));
  const v = getField(ev, path);
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(String).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function first(ev: Event, paths: string[]): string | undefined {
  for (const p of paths) {
    const v = read(ev, p);
    if (v !== undefined) return v;
  }
  return undefined;
}

function categories(ev: Event): string[] {
  const c = getField(ev, ['event', 'category']);
  return Array.isArray(c) ? c.map(String) : typeof c === 'string' ? [c] : [];
}

/** The table entry for an event (the fallback when nothing more specific matches). */
export function detailsEntry(ev: Event, table: DetailsEntry[] = DETAILS_TABLE): DetailsEntry {
  const channel = (first(ev, ['winlog.channel', 'Channel']) ?? '').toLowerCase();
  const id = first(ev, ['event.code', 'winlog.event_id', 'EventID']);
  const cats = categories(ev);
  for (const e of table) {
    const w = e.when;
    if (!w) return e;
    if (w.channel !== undefined && !channel.includes(w.channel.toLowerCase())) continue;
    if (w.eventIds !== undefined && (id === undefined || !w.eventIds.includes(id))) continue;
    if (w.category !== undefined && !cats.includes(w.category)) continue;
    return e;
  }
  return table[table.length - 1]!;
}

export function eventDetails(ev: Event, table: DetailsEntry[] = DETAILS_TABLE): EventDetails {
  const entry = detailsEntry(ev, table);
  const fields: Record<string, string> = {};
  for (const f of entry.fields) {
    const v = first(ev, f.paths);
    if (v !== undefined) fields[f.label] = v;
  }
  const out: EventDetails = { fields };
  const channel = first(ev, ['winlog.channel', 'Channel']);
  const eventId = first(ev, ['event.code', 'winlog.event_id', 'EventID']);
  const recordId = first(ev, ['winlog.record_id', 'EventRecordID']);
  if (channel !== undefined) out.channel = channel;
  if (eventId !== undefined) out.eventId = eventId;
  if (recordId !== undefined) out.recordId = recordId;
  return out;
}

/** The decisive event: the last matched one (a sequence's execution, a single rule's only event). */
export function decisiveEvent(a: Alert): Event | undefined {
  return a.events[a.events.length - 1]?.event;
}

const cache = new WeakMap<Alert, EventDetails>();
export function alertDetails(a: Alert): EventDetails {
  let d = cache.get(a);
  if (!d) {
    const ev = decisiveEvent(a);
    d = ev ? eventDetails(ev) : { fields: {} };
    cache.set(a, d);
  }
  return d;
}

/** `Cmdline: … ¦ Proc: … ¦ User: …` (Hayabusa's separator). */
export function detailsText(d: EventDetails): string {
  return Object.entries(d.fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' ¦ ');
}

/**
 * Who and from where, for alerts without a writer (Sigma, single events): the matched events'
 * user (`DOMAIN\name`) and source address.
 */
export function userAndSource(a: Alert): string {
  let user: string | undefined;
  let ip: string | undefined;
  for (const { event } of [...a.events].reverse()) {
    if (!user) {
      const name = read(event, 'user.name') ?? read(event, 'winlog.event_data.TargetUserName') ?? read(event, 'winlog.event_data.SubjectUserName');
      const domain = read(event, 'user.domain');
      if (name) user = domain && !name.includes('\\') ? `${domain}\\${name}` : name;
    }
    ip ??= read(event, 'source.ip') ?? read(event, 'winlog.event_data.IpAddress');
  }
  return [user, ip && ip !== '-' ? ip : undefined].filter(Boolean).join(' ');
}

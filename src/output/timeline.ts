/**
 * Alerts as a super-timeline, one row per matched event at that event's own time (a sequence's
 * file write and process start each appear where they happened):
 * - `timeline`: CSV in Hayabusa's column order (its "standard" profile: Timestamp, Computer, Channel,
 *   EventID, Level, RecordID, RuleTitle, Details, ExtraFieldInfo), then RuleID, AlertID, EvtxFile.
 * - `jsonl-timesketch`: Timesketch's JSONL import format (`message`, `datetime`, `timestamp_desc`,
 *   `timestamp` in microseconds) plus the same fields, for `timesketch_importer` / the web upload.
 */
import type { Alert } from '../alert/types.js';
import type { Event } from '../events/field.js';
import { csvCell } from './csv.js';
import { detailsText, eventDetails, type EventDetails } from './details.js';
import { stringifyExact } from './json.js';

export const TIMELINE_COLUMNS = ['Timestamp', 'Computer', 'Channel', 'EventID', 'Level', 'RecordID', 'RuleTitle', 'Details', 'ExtraFieldInfo', 'RuleID', 'AlertID', 'EvtxFile'] as const;

export interface TimelineRow {
  /** ISO-8601 UTC, exact as the alert carries it. */
  time: string;
  alert: Alert;
  event: Event;
  file: string;
  details: EventDetails;
}

/** The time of the i-th matched event: exact for the first and last (the alert's), else @timestamp. */
function eventTime(a: Alert, i: number): string {
  if (i === 0) return a.firstTime;
  if (i === a.events.length - 1) return a.lastTime;
  const t = a.events[i]!.event['@timestamp'];
  return typeof t === 'string' ? t : a.firstTime;
}

/**
 * `2026-03-02T08:03:51.7648Z` → a key that sorts by time (fraction padded to nanoseconds). A row
 * without a readable time (an alert whose event had none: '') sorts last, as alerts do (alert/order.ts).
 */
function sortKey(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : `\uffff${iso}`;
}

export function timelineRows(alerts: Alert[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const a of alerts) {
    a.events.forEach((e, i) => rows.push({ time: eventTime(a, i), alert: a, event: e.event, file: e.file, details: eventDetails(e.event) }));
  }
  return rows.map((r) => [sortKey(r.time), r] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([, r]) => r);
}

/** Hayabusa's timestamp form: `2026-03-02 08:03:51.764837 +00:00` (all the digits we have). */
export function hayabusaTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} +00:00` : iso;
}

/** The event's other Windows fields (winlog.event_data) not already in the details. */
function extraFieldInfo(ev: Event, d: EventDetails): string {
  const data = (ev.winlog as { event_data?: unknown } | undefined)?.event_data;
  if (!data || typeof data !== 'object') return '';
  const shown = new Set(Object.values(d.fields));
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (v === undefined || v === null || v === '' || v === '-') continue;
    const text = typeof v === 'object' ? stringifyExact(v) : String(v);
    if (shown.has(text)) continue;
    parts.push(`${k}: ${text}`);
  }
  return parts.join(' ¦ ');
}

export function formatTimelineCsv(alerts: Alert[]): string {
  const lines = [TIMELINE_COLUMNS.join(',')];
  for (const r of timelineRows(alerts)) {
    const d = r.details;
    lines.push(
      [hayabusaTime(r.time), r.alert.host, d.channel, d.eventId, r.alert.severity, d.recordId, r.alert.ruleName, detailsText(d), extraFieldInfo(r.event, d), r.alert.ruleId, r.alert.id, r.file]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** Microseconds since 1970 from an ISO-8601 UTC time (exact: ms × 1000 + the next three digits). */
export function epochMicros(iso: string): number | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  const frac = /\.(\d+)Z$/.exec(iso)?.[1] ?? '';
  return ms * 1000 + Number(frac.slice(3, 6).padEnd(3, '0'));
}

export function formatTimesketchJsonl(alerts: Alert[]): string {
  let out = '';
  for (const r of timelineRows(alerts)) {
    const a = r.alert;
    const d = r.details;
    const details = detailsText(d);
    const line: Record<string, unknown> = {
      message: `[${a.severity}] ${a.ruleName}${details ? `: ${details}` : ''}`,
      datetime: r.time,
      timestamp: epochMicros(r.time),
      timestamp_desc: 'Event Time',
      computer: a.host,
      channel: d.channel,
      event_id: d.eventId,
      record_id: d.recordId,
      level: a.severity,
      rule_title: a.ruleName,
      rule_id: a.ruleId,
      alert_id: a.id,
      mitre: a.mitre,
      evtx_file: r.file,
      ...Object.fromEntries(Object.entries(d.fields).map(([k, v]) => [`details_${k}`, v])),
    };
    if (a.filePath) line.file_path = a.filePath;
    if (a.writer?.ip) line.writer_ip = a.writer.ip;
    out += stringifyExact(line) + '\n';
  }
  return out;
}

/**
 * The data the HTML report embeds for the browser UI (src/ui/), and its inverse. Pure (no Node, no
 * DOM): output/html.ts packs, ui/api.ts unpacks, tests round-trip.
 *
 * Alerts keep every field but `events`/`context`, whose entries point into one pool of events:
 * a host's surrounding events are shared by the alerts around them, so a Sigma hunt with
 * thousands of alerts stores each event once. Every alert gets its details (no first-200 limit).
 */
import type { Alert } from '../alert/types.js';
import type { Event } from '../events/field.js';
import type { ShareWriteRow } from '../shares/types.js';

export const REPORT_DATA_VERSION = 1;

/** `[pool index, file, position?]`. */
export type EventRef = [number, string, number?];

export interface PackedAlert extends Omit<Alert, 'events' | 'context'> {
  events: EventRef[];
  context?: EventRef[];
}

export interface ReportRuleStat {
  id: string;
  name: string;
  alerts: number;
}

export interface ReportData {
  version: number;
  title: string;
  generatedAt: string;
  alerts: PackedAlert[];
  events: Event[];
  rules: ReportRuleStat[];
  /** The share-write review of the same inputs (spoor shares), when the report was given one. */
  shares?: ShareWriteRow[];
}

type Located = { file: string; position?: number; event: Event };

export function packReportData(alerts: readonly Alert[], meta: { title: string; generatedAt: string; shares?: readonly ShareWriteRow[] }): ReportData {
  const pool: Event[] = [];
  const byKey = new Map<string, number>();
  const byObject = new Map<Event, number>();
  const ref = (e: Located): EventRef => {
    let i: number | undefined;
    if (e.position !== undefined) {
      const key = `${e.file}\u0000${e.position}`;
      i = byKey.get(key);
      if (i === undefined) byKey.set(key, (i = pool.push(e.event) - 1));
    } else {
      i = byObject.get(e.event);
      if (i === undefined) byObject.set(e.event, (i = pool.push(e.event) - 1));
    }
    return e.position === undefined ? [i, e.file] : [i, e.file, e.position];
  };
  const rules = new Map<string, ReportRuleStat>();
  const packed = alerts.map((a): PackedAlert => {
    const { events, context, ...rest } = a;
    const r = rules.get(a.ruleId);
    if (r) r.alerts++;
    else rules.set(a.ruleId, { id: a.ruleId, name: a.ruleName, alerts: 1 });
    const p: PackedAlert = { ...rest, events: events.map(ref) };
    if (context) p.context = context.map(ref);
    return p;
  });
  const out: ReportData = { version: REPORT_DATA_VERSION, title: meta.title, generatedAt: meta.generatedAt, alerts: packed, events: pool, rules: [...rules.values()] };
  if (meta.shares) out.shares = [...meta.shares];
  return out;
}

export function unpackAlert(p: PackedAlert, pool: readonly Event[]): Alert {
  const loc = ([i, file, position]: EventRef): Located => (position === undefined ? { file, event: pool[i] ?? {} } : { file, position, event: pool[i] ?? {} });
  const { events, context, ...rest } = p;
  const a: Alert = { ...rest, events: events.map(loc) };
  if (context) a.context = context.map(loc);
  return a;
}

/**
 * JSON for a `<script type="application/json">` block: `<` is written as `\u003c` (so no `</script>`
 * or `<!--` can end the block), and U+2028/2029 are escaped too. JSON.parse gives the same value.
 * 64-bit integers held as bigint become decimal text, so they stay exact.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

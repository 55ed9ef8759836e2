/**
 * The alert queue's questions, answered over plain arrays so 100k alerts stay fast: one row of
 * derived values per alert (computed once), filters → a list of indices, sort by any column,
 * group by rule / host / incident with counts, and the values each filter can take (facets).
 * Pure; shared with Node tests.
 */
import type { Alert } from '../../alert/types.js';
import type { Severity } from '../../ir/types.js';
import { alertPath, alertSourceIp, alertUser } from './alert-kind.js';
import { parseUtcInput, timeKey } from './time.js';

export type AlertStatus = 'open' | 'acknowledged' | 'closed';
export const STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'closed'];
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'informational'];
export const SEVERITY_RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** An alert as the UI holds it: workflow fields are present when a server keeps them. */
export interface UiAlert extends Alert {
  status?: AlertStatus;
  statusReason?: string;
  note?: string;
  /** Live (serve): who works the alert, its notes (the detail) and how many. */
  assignee?: string;
  notes?: { id: number; author: string; time: string; text: string }[];
  noteCount?: number;
}

/** Per-alert values the queue shows, sorts and filters on. */
export interface AlertRow {
  t: number;
  sev: number;
  user: string;
  ip: string;
  path: string;
  status: AlertStatus;
  /** Lower-cased text of every shown column, for free-text search. */
  text: string;
}

export function rowOf(a: UiAlert): AlertRow {
  const user = alertUser(a);
  const ip = alertSourceIp(a);
  const path = alertPath(a);
  const status = a.status ?? 'open';
  const text = [a.ruleId, a.ruleName, a.host, user, ip, path, a.process?.commandLine ?? '', a.process?.parentExecutable ?? '', a.severity, status, a.id].join('\u0001').toLowerCase();
  return { t: timeKey(a.firstTime), sev: SEVERITY_RANK[a.severity] ?? 0, user, ip, path, status, text };
}

export interface Filters {
  /** Empty: every severity. */
  severities: Severity[];
  rule: string;
  host: string;
  user: string;
  sourceIp: string;
  /** Empty: every status. */
  status: AlertStatus | '';
  /** UTC `YYYY-MM-DDTHH:MM` (or any ISO text); empty: open-ended. */
  from: string;
  to: string;
  text: string;
}

export const NO_FILTERS: Filters = { severities: [], rule: '', host: '', user: '', sourceIp: '', status: '', from: '', to: '', text: '' };

export function filterAlerts(alerts: readonly UiAlert[], rows: readonly AlertRow[], f: Filters): number[] {
  const sevs = f.severities.length ? new Set(f.severities.map((s) => SEVERITY_RANK[s])) : null;
  const from = parseUtcInput(f.from);
  const to = parseUtcInput(f.to);
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  const host = f.host.toLowerCase();
  const out: number[] = [];
  for (let i = 0; i < alerts.length; i++) {
    const a = alerts[i]!;
    const r = rows[i]!;
    if (sevs && !sevs.has(r.sev)) continue;
    if (f.rule && a.ruleId !== f.rule) continue;
    if (host && a.host.toLowerCase() !== host) continue;
    if (f.user && r.user !== f.user) continue;
    if (f.sourceIp && r.ip !== f.sourceIp) continue;
    if (f.status && r.status !== f.status) continue;
    if (!Number.isNaN(from) && !(r.t >= from)) continue;
    if (!Number.isNaN(to) && !(r.t <= to)) continue;
    if (words.length && !words.every((w) => r.text.includes(w))) continue;
    out.push(i);
  }
  return out;
}

export type SortKey = 'time' | 'severity' | 'rule' | 'host' | 'user' | 'sourceIp' | 'path' | 'gap' | 'status';
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/**
 * Sorts indices in place (stable; ties by time, then alert id, so the order is deterministic).
 * Alerts without a readable time (or gap) come last by time (or gap) in either direction.
 */
export function sortAlerts(idx: number[], alerts: readonly UiAlert[], rows: readonly AlertRow[], s: Sort): number[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  const num = (x: number, y: number): number => (Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : Number.isNaN(y) ? -1 : x - y);
  const by: Record<SortKey, (i: number, j: number) => number> = {
    time: (i, j) => num(rows[i]!.t, rows[j]!.t),
    severity: (i, j) => rows[i]!.sev - rows[j]!.sev,
    rule: (i, j) => collator.compare(alerts[i]!.ruleName, alerts[j]!.ruleName),
    host: (i, j) => collator.compare(alerts[i]!.host, alerts[j]!.host),
    user: (i, j) => collator.compare(rows[i]!.user, rows[j]!.user),
    sourceIp: (i, j) => collator.compare(rows[i]!.ip, rows[j]!.ip),
    path: (i, j) => collator.compare(rows[i]!.path, rows[j]!.path),
    gap: (i, j) => num(alerts[i]!.gapMs, alerts[j]!.gapMs),
    status: (i, j) => collator.compare(rows[i]!.status, rows[j]!.status),
  };
  const cmp = by[s.key];
  const missing = s.key === 'time' ? (i: number) => Number.isNaN(rows[i]!.t) : s.key === 'gap' ? (i: number) => Number.isNaN(alerts[i]!.gapMs) : null;
  return idx.sort((i, j) => (missing !== null ? Number(missing(i)) - Number(missing(j)) : 0) || sign * cmp(i, j) || num(rows[i]!.t, rows[j]!.t) || (alerts[i]!.id < alerts[j]!.id ? -1 : alerts[i]!.id > alerts[j]!.id ? 1 : 0));
}

export type GroupBy = 'none' | 'rule' | 'host' | 'incident';

export interface AlertGroup {
  key: string;
  label: string;
  /** Indices into the alerts, in the sorted order. */
  members: number[];
  /** Highest severity rank in the group. */
  sev: number;
}

/** Groups sorted indices; groups are ordered by size (largest first), then label. */
export function groupAlerts(sorted: readonly number[], alerts: readonly UiAlert[], rows: readonly AlertRow[], by: Exclude<GroupBy, 'none'>, incidentOf?: (i: number) => { key: string; label: string }): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const i of sorted) {
    const a = alerts[i]!;
    const g = by === 'rule' ? { key: a.ruleId, label: a.ruleName } : by === 'host' ? { key: a.host.toLowerCase(), label: a.host } : (incidentOf?.(i) ?? { key: a.id, label: a.id });
    let grp = groups.get(g.key);
    if (!grp) groups.set(g.key, (grp = { key: g.key, label: g.label, members: [], sev: 0 }));
    grp.members.push(i);
    grp.sev = Math.max(grp.sev, rows[i]!.sev);
  }
  return [...groups.values()].sort((x, y) => y.members.length - x.members.length || collator.compare(x.label, y.label));
}

export interface Facet {
  value: string;
  label: string;
  count: number;
}

/** Values each filter can take, with counts over all alerts (most frequent first). */
export function facets(alerts: readonly UiAlert[], rows: readonly AlertRow[]): Record<'rule' | 'host' | 'user' | 'sourceIp', Facet[]> {
  const maps = { rule: new Map<string, Facet>(), host: new Map<string, Facet>(), user: new Map<string, Facet>(), sourceIp: new Map<string, Facet>() };
  const add = (m: Map<string, Facet>, value: string, label: string): void => {
    if (!value) return;
    const f = m.get(value);
    if (f) f.count++;
    else m.set(value, { value, label, count: 1 });
  };
  alerts.forEach((a, i) => {
    const r = rows[i]!;
    add(maps.rule, a.ruleId, a.ruleName);
    add(maps.host, a.host.toLowerCase(), a.host);
    add(maps.user, r.user, r.user);
    add(maps.sourceIp, r.ip, r.ip);
  });
  const list = (m: Map<string, Facet>): Facet[] => [...m.values()].sort((x, y) => y.count - x.count || collator.compare(x.label, y.label));
  return { rule: list(maps.rule), host: list(maps.host), user: list(maps.user), sourceIp: list(maps.sourceIp) };
}

/**
 * Alerts folded into groups (`hunt --group-by rule|host|rule,host`) and the per-rule / per-host
 * statistics of the run summary: 1,517 alerts become a few lines a person can work through.
 */
import type { Alert } from '../alert/types.js';
import type { Severity } from '../ir/types.js';
import { csvCell } from './csv.js';
import { stringifyExact } from './json.js';
import { shortTime, severityColor } from './table.js';
import { formatCount, padEnd, padStart, palette, sanitize } from './text.js';
import { LEVELS } from './filters.js';
import { cutWords } from './cut.js';

export type GroupKey = 'rule' | 'host' | 'rule,host';
export const GROUP_KEYS: readonly GroupKey[] = ['rule', 'host', 'rule,host'];

export interface AlertGroup {
  /** Present when grouped by rule. */
  ruleId?: string;
  ruleName?: string;
  /** Present when grouped by host. */
  host?: string;
  /** Highest severity in the group. */
  severity: Severity;
  count: number;
  /** Distinct hosts and rules (ids) in the group, sorted. */
  hosts: string[];
  rules: string[];
  /** ISO-8601 first/last alert times (first events); '' when no alert of the group has a time. */
  firstTime: string;
  lastTime: string;
}

/** `rule`, `host`, `rule,host` (also `host,rule`); undefined when not one of them. */
export function parseGroupBy(text: string): GroupKey | undefined {
  const parts = text.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
  const set = new Set(parts);
  if (parts.length !== set.size || ![...set].every((p) => p === 'rule' || p === 'host')) return undefined;
  return set.size === 2 ? 'rule,host' : set.size === 1 ? (parts[0] as GroupKey) : undefined;
}

/** Groups in order: most alerts first, then highest severity, then name. */
export function groupAlerts(alerts: Alert[], by: GroupKey): AlertGroup[] {
  const byRule = by !== 'host';
  const byHost = by !== 'rule';
  const groups = new Map<string, AlertGroup & { hostSet: Set<string>; ruleSet: Set<string> }>();
  for (const a of alerts) {
    const key = `${byRule ? a.ruleId : ''}\u0000${byHost ? a.host : ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { severity: a.severity, count: 0, hosts: [], rules: [], firstTime: a.firstTime, lastTime: a.firstTime, hostSet: new Set(), ruleSet: new Set() };
      if (byRule) {
        g.ruleId = a.ruleId;
        g.ruleName = a.ruleName;
      }
      if (byHost) g.host = a.host;
      groups.set(key, g);
    }
    g.count++;
    g.hostSet.add(a.host);
    g.ruleSet.add(a.ruleId);
    if (LEVELS.indexOf(a.severity) > LEVELS.indexOf(g.severity)) g.severity = a.severity;
    // An alert whose event had no readable time (firstTime '') does not make the group's first or
    // last time: '' sorts before any time and would blank the group's first time.
    if (a.firstTime !== '') {
      if (g.firstTime === '' || timeLess(a.firstTime, g.firstTime)) g.firstTime = a.firstTime;
      if (g.lastTime === '' || timeLess(g.lastTime, a.firstTime)) g.lastTime = a.firstTime;
    }
  }
  return [...groups.values()]
    .map(({ hostSet, ruleSet, ...g }) => ({ ...g, hosts: [...hostSet].sort(), rules: [...ruleSet].sort() }))
    .sort((x, y) => y.count - x.count || LEVELS.indexOf(y.severity) - LEVELS.indexOf(x.severity) || label(x).localeCompare(label(y)));
}

/** ISO-8601 UTC times compare as text once the fraction is padded (`…:51Z` < `…:51.5Z`). */
function timeLess(a: string, b: string): boolean {
  return pad(a) < pad(b);
}
function pad(t: string): string {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(t);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : t;
}

function label(g: AlertGroup): string {
  return `${g.ruleName ?? g.ruleId ?? ''}\u0000${g.host ?? ''}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A rule as a person reads it: the title for Sigma's UUIDs, the id for spoor's own rules. */
function ruleLabel(id: string, name: string | undefined): string {
  return UUID.test(id) && name ? name : id;
}

/** `ws-1, ws-2, ws-3 +4 more` (a terminal) or every name (file/pipe, `max` = Infinity). */
function list(items: string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} +${items.length - max} more`;
}

export interface GroupTableOptions {
  color?: boolean;
  /** Terminal width; Infinity (file or pipe) keeps every cell and every name whole. */
  width?: number;
}

export function formatGroupTable(groups: AlertGroup[], by: GroupKey, opts: GroupTableOptions = {}): string {
  const p = palette(opts.color === true);
  if (groups.length === 0) return `${p.green('No alerts.')}\n`;
  const width = opts.width ?? 160;
  const fit = Number.isFinite(width);
  const names = fit ? 3 : Number.POSITIVE_INFINITY;
  const head = ['COUNT', 'SEVERITY', ...(by !== 'host' ? ['RULE'] : []), ...(by !== 'rule' ? ['HOST'] : []), 'FIRST (UTC)', 'LAST (UTC)', ...(by === 'host' ? ['RULES'] : by === 'rule' ? ['HOSTS'] : [])];
  const rows = groups.map((g) => [
    formatCount(g.count),
    g.severity,
    ...(by !== 'host' ? [ruleLabel(g.ruleId!, g.ruleName)] : []),
    ...(by !== 'rule' ? [g.host!] : []),
    shortTime(g.firstTime),
    shortTime(g.lastTime),
    // One rule on one host: nothing more to list.
    ...(by === 'host' ? [`${g.rules.length}: ${list(g.rules, names)}`] : by === 'rule' ? [`${g.hosts.length}: ${list(g.hosts, names)}`] : []),
  ].map(sanitize));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const last = head.length - 1;
  if (fit) {
    // Names (rule, host) capped at 48, the list takes what is left (at least 20).
    head.forEach((h, i) => {
      if (h === 'RULE' || h === 'HOST') widths[i] = Math.min(widths[i]!, 48);
    });
    const used = widths.slice(0, last).reduce((s, w) => s + w + 2, 0);
    widths[last] = Math.max(20, Math.min(widths[last]!, width - used));
  }
  const fmt = (t: string, i: number): string => {
    const c = fit ? cutWords(t, widths[i]!) : t;
    if (i === last) return c;
    return i === 0 ? padStart(c, widths[i]!) : padEnd(c, widths[i]!);
  };
  const lines = [p.bold(head.map(fmt).join('  ').trimEnd()), p.dim(widths.map((w) => '─'.repeat(w)).join('  '))];
  groups.forEach((g, r) => {
    const parts = rows[r]!.map(fmt);
    parts[1] = severityColor(p, g.severity)(parts[1]!);
    lines.push(parts.join('  ').trimEnd());
  });
  return lines.join('\n') + '\n';
}

export const GROUP_CSV_COLUMNS = ['count', 'severity', 'rule_id', 'rule_name', 'host', 'first_time', 'last_time', 'hosts', 'rules'] as const;

export function formatGroupCsv(groups: AlertGroup[]): string {
  const lines = [GROUP_CSV_COLUMNS.join(',')];
  for (const g of groups) {
    lines.push([g.count, g.severity, g.ruleId, g.ruleName, g.host, g.firstTime, g.lastTime, g.hosts.join(';'), g.rules.join(';')].map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

export function formatGroups(groups: AlertGroup[], by: GroupKey, format: 'table' | 'json' | 'ndjson' | 'csv', opts: GroupTableOptions = {}): string {
  switch (format) {
    case 'table':
      return formatGroupTable(groups, by, opts);
    case 'json':
      return stringifyExact(groups, 2) + '\n';
    case 'ndjson':
      return groups.map((g) => stringifyExact(g) + '\n').join('');
    case 'csv':
      return formatGroupCsv(groups);
  }
}

/** Per-rule and per-host statistics for the summary (text on stderr, and --summary-json). */
export interface AlertStats {
  byRule: AlertGroup[];
  byHost: AlertGroup[];
}

export function alertStats(alerts: Alert[]): AlertStats {
  return { byRule: groupAlerts(alerts, 'rule'), byHost: groupAlerts(alerts, 'host') };
}

/** The summary's statistics section: per rule (alerts, hosts, first–last) and per host. */
export function formatStats(stats: AlertStats, opts: { color?: boolean; max?: number } = {}): string {
  if (stats.byRule.length === 0) return '';
  const p = palette(opts.color === true);
  const max = opts.max ?? 20;
  const out: string[] = [];
  const section = (title: string, groups: AlertGroup[], name: (g: AlertGroup) => string, other: (g: AlertGroup) => string): void => {
    out.push(p.bold(title));
    const shown = groups.slice(0, max);
    const w = Math.min(60, Math.max(0, ...shown.map((g) => sanitize(name(g)).length)));
    for (const g of shown) {
      const when = g.firstTime === '' ? p.dim(shortTime('')) : `${shortTime(g.firstTime)} – ${shortTime(g.lastTime)}`;
      out.push(`  ${padEnd(cutWords(sanitize(name(g)), w), w)}  ${padStart(formatCount(g.count), 6)}  ${padEnd(other(g), 10)}  ${when}`);
    }
    if (groups.length > max) out.push(p.dim(`  … ${groups.length - max} more (all in --summary-json)`));
  };
  const n = (k: number, one: string, many: string): string => `${formatCount(k)} ${k === 1 ? one : many}`;
  section('Alerts per rule  (alerts, hosts, first – last UTC)', stats.byRule, (g) => ruleLabel(g.ruleId!, g.ruleName), (g) => n(g.hosts.length, 'host', 'hosts'));
  section('Alerts per host  (alerts, rules, first – last UTC)', stats.byHost, (g) => g.host!, (g) => n(g.rules.length, 'rule', 'rules'));
  return out.join('\n') + '\n';
}

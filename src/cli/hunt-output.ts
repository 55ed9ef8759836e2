/**
 * The `hunt` options that shape output for people (filters, grouping, details): registered and read
 * here so hunt.ts only calls in. The logic lives in src/output/.
 */
import type { Command } from 'commander';
import type { Alert } from '../alert/types.js';
import type { Rule } from '../ir/types.js';
import { filterShownAlerts, parseFilters, ruleFilter, LEVELS, STATUSES, type OutputFilters } from '../output/filters.js';
import { collect } from './common.js';
import { formatAlerts, type AlertFormat, type TableOptions } from '../output/index.js';
import { alertStats, formatGroups, formatStats, groupAlerts, parseGroupBy, GROUP_KEYS, type AlertStats, type GroupKey } from '../output/groups.js';

export interface HuntOutputFlags {
  minLevel?: string;
  status?: string[];
  ruleTag?: string[];
  start?: string;
  end?: string;
  host?: string[];
  groupBy?: string;
  format: string;
}

export function addHuntOutputOptions(cmd: Command): Command {
  return cmd
    .option('--min-level <level>', `only rules and alerts at this level or above: ${LEVELS.join(' | ')}`)
    .option('--status <status>', `only rules with this Sigma status: ${STATUSES.join(' | ')} (repeatable or comma-separated; pack rules count as stable)`, collect)
    .option('--rule-tag <tag>', 'only rules with this tag or a sub-tag, e.g. attack.t1021.002, attack.lateral_movement (repeatable)', collect)
    .option('--start <time>', 'only alerts whose first event is at or after TIME (ISO-8601; no zone = UTC)')
    .option('--end <time>', 'only alerts whose first event is at or before TIME (a date alone = the end of that day)')
    .option('--host <name>', 'only alerts on this host (case-insensitive; a short name also matches its FQDN; repeatable)', collect)
    .option('--group-by <key>', 'one line per group instead of per alert: rule | host | rule,host (count, hosts, first/last time)');
}

export interface HuntOutputPlan {
  filters: OutputFilters;
  groupBy?: GroupKey;
  ruleFilter?: (r: Rule) => boolean;
}

/** Reads the flags before the hunt; `error` is a usage error (exit 2). */
export function planHuntOutput(o: HuntOutputFlags): { plan: HuntOutputPlan; error?: string } {
  const { filters, error } = parseFilters(o);
  const plan: HuntOutputPlan = { filters };
  const rf = ruleFilter(filters);
  if (rf) plan.ruleFilter = rf;
  if (error) return { plan, error };
  if (o.groupBy !== undefined) {
    const by = parseGroupBy(o.groupBy);
    if (!by) return { plan, error: `--group-by takes ${GROUP_KEYS.join(' | ')}, not '${o.groupBy}'` };
    if (!['table', 'json', 'ndjson', 'csv'].includes(o.format)) return { plan, error: `--group-by writes table, json, ndjson or csv, not --format ${o.format}` };
    plan.groupBy = by;
  }
  return { plan };
}

/** The alerts to print after the hunt. */
export function shownAlerts(alerts: Alert[], plan: HuntOutputPlan): Alert[] {
  return filterShownAlerts(alerts, plan.filters);
}

/**
 * The hunt result narrowed by the alert filters: alerts, per-rule counts (and so the exit code)
 * count only what is shown; `alertsFilteredOut` says how many were left out.
 */
export function narrowResult<R extends { alerts: Alert[]; summary: { alertsByRule: Record<string, number> } }>(r: R, plan: HuntOutputPlan): R & { alertsFilteredOut: number } {
  const alerts = shownAlerts(r.alerts, plan);
  if (alerts === r.alerts) return { ...r, alertsFilteredOut: 0 };
  const alertsByRule: Record<string, number> = {};
  for (const a of alerts) alertsByRule[a.ruleId] = (alertsByRule[a.ruleId] ?? 0) + 1;
  return { ...r, alerts, summary: { ...r.summary, alertsByRule }, alertsFilteredOut: r.alerts.length - alerts.length };
}

/** The alerts as the user asked: one line per alert, or per group with --group-by. */
export function renderAlerts(alerts: Alert[], format: AlertFormat, plan: HuntOutputPlan, opts: TableOptions): string {
  if (plan.groupBy && format !== 'timeline' && format !== 'jsonl-timesketch') {
    return formatGroups(groupAlerts(alerts, plan.groupBy), plan.groupBy, format, opts);
  }
  return formatAlerts(alerts, format, opts);
}

/** Text for stderr after the summary: per-rule / per-host statistics, and what the filters left out. */
export function statsText(alerts: Alert[], filteredOut: number, color: boolean): string {
  const note = filteredOut > 0 ? `  filtered out     ${filteredOut.toLocaleString('en-US')} alert${filteredOut === 1 ? '' : 's'} (--min-level/--host/--start/--end)\n` : '';
  return note + formatStats(alertStats(alerts), { color });
}

/** The statistics for --summary-json. */
export function statsJson(alerts: Alert[], filteredOut: number): { alertStats: AlertStats; alertsFilteredOut: number } {
  return { alertStats: alertStats(alerts), alertsFilteredOut: filteredOut };
}

/**
 * Narrowing a hunt for people: which rules run (`--min-level`, `--status`, `--rule-tag`) and which
 * alerts are shown (`--min-level`, `--start`/`--end`, `--host`). Rule filters apply before the hunt
 * (fewer rules, faster run); alert filters after it, on what the alert carries.
 */
import type { Alert } from '../alert/types.js';
import type { Rule, Severity } from '../ir/types.js';

export const LEVELS: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];
export const STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;

export interface OutputFilters {
  minLevel?: Severity;
  /** Sigma `status` values; spoor's own pack rules (no status) count as `stable`. */
  statuses?: string[];
  /** Lower-case tags, `attack.` prefix removed (`t1021.002`, `lateral_movement`). */
  ruleTags?: string[];
  /** Sortable UTC keys (see timeKey) of the first alert time, both ends inclusive. */
  start?: string;
  end?: string;
  /** Lower-case host names. */
  hosts?: string[];
}

export interface FilterFlags {
  minLevel?: string;
  status?: string[];
  ruleTag?: string[];
  start?: string;
  end?: string;
  host?: string[];
}

/** Checks and reads the flags; an error message names the flag and what it takes. */
export function parseFilters(f: FilterFlags): { filters: OutputFilters; error?: string } {
  const filters: OutputFilters = {};
  if (f.minLevel !== undefined) {
    const l = f.minLevel.toLowerCase() === 'info' ? 'informational' : f.minLevel.toLowerCase();
    if (!(LEVELS as readonly string[]).includes(l)) return { filters, error: `--min-level takes ${LEVELS.join(' | ')}, not '${f.minLevel}'` };
    filters.minLevel = l as Severity;
  }
  const list = (v: string[] | undefined): string[] => (v ?? []).flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (f.status) {
    const s = list(f.status);
    const bad = s.find((x) => !(STATUSES as readonly string[]).includes(x));
    if (bad !== undefined) return { filters, error: `--status takes ${STATUSES.join(' | ')} (comma-separated or repeated), not '${bad}'` };
    filters.statuses = s;
  }
  if (f.ruleTag) filters.ruleTags = list(f.ruleTag).map(bareTag);
  if (f.host) filters.hosts = list(f.host);
  for (const which of ['start', 'end'] as const) {
    const v = f[which];
    if (v === undefined) continue;
    const key = timeKey(v, which === 'end');
    if (!key) return { filters, error: `--${which} takes an ISO-8601 time such as 2026-03-02, 2026-03-02T08:00:00Z or '2026-03-02 08:00:00+01:00', not '${v}'` };
    filters[which] = key;
  }
  if (filters.start && filters.end && filters.start > filters.end) return { filters, error: `--start ${f.start} is after --end ${f.end}` };
  return { filters };
}

function bareTag(t: string): string {
  return t.toLowerCase().replace(/^attack\./, '');
}

function levelRank(s: string | undefined): number {
  return LEVELS.indexOf((s ?? 'medium') as Severity);
}

/** A rule's status: Sigma's `status`; rules without one (spoor's pack) are `stable`. */
export function ruleStatus(r: Rule): string {
  const s = r.meta?.status;
  return typeof s === 'string' && s ? s.toLowerCase() : 'stable';
}

/** Every tag a rule carries, bare (Sigma tags, pack tags, MITRE ids). */
export function ruleTags(r: Rule): string[] {
  return [...(r.tags ?? []), ...(r.mitre ?? [])].map(bareTag);
}

/** The rule-side filter, or undefined when no flag narrows the rules. */
export function ruleFilter(f: OutputFilters): ((r: Rule) => boolean) | undefined {
  if (!f.minLevel && !f.statuses && !f.ruleTags) return undefined;
  const min = f.minLevel ? levelRank(f.minLevel) : -1;
  return (r) => {
    if (levelRank(r.severity) < min) return false;
    if (f.statuses && !f.statuses.includes(ruleStatus(r))) return false;
    if (f.ruleTags) {
      const tags = ruleTags(r);
      // `t1021` also selects `t1021.002`: a tag matches itself and its sub-tags.
      if (!f.ruleTags.some((want) => tags.some((t) => t === want || t.startsWith(want + '.')))) return false;
    }
    return true;
  };
}

/** The alerts the flags keep, in their order. */
export function filterShownAlerts(alerts: Alert[], f: OutputFilters): Alert[] {
  if (!f.minLevel && !f.start && !f.end && !f.hosts) return alerts;
  const min = f.minLevel ? levelRank(f.minLevel) : -1;
  return alerts.filter((a) => {
    if (levelRank(a.severity) < min) return false;
    if (f.hosts) {
      const h = a.host.toLowerCase();
      // A short name also selects its FQDN (ws-7 keeps ws-7.corp.local).
      if (!f.hosts.some((want) => h === want || h.startsWith(want + '.'))) return false;
    }
    if (f.start || f.end) {
      const k = timeKey(a.firstTime, false);
      if (!k) return false;
      if (f.start && k < f.start) return false;
      if (f.end && k > f.end) return false;
    }
    return true;
  });
}

/**
 * A time as a sortable UTC key `YYYY-MM-DDTHH:MM:SS.fffffffff` (nanoseconds, exact: no float).
 * Accepts a date, or a date and time with `T` or a space, optional fraction, optional `Z`/`±hh:mm`
 * (no zone = UTC, as the output prints). `endOfPeriod`: a date alone, or a time without seconds,
 * means the end of that day/minute (for `--end`).
 */
export function timeKey(text: string, endOfPeriod: boolean): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d\d:?\d\d)?$/i.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const dateOnly = hh === undefined;
  const noSeconds = ss === undefined;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh ?? 0), Number(mi ?? 0), Number(ss ?? 0));
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== Number(d)) return undefined;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d\d):?(\d\d)$/.exec(zone)!;
    ms -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  }
  let fraction = (frac ?? '').padEnd(9, '0');
  if (endOfPeriod && (dateOnly || noSeconds)) {
    ms += dateOnly ? 86_400_000 - 1000 : 59_000;
    fraction = '999999999';
  }
  return new Date(ms).toISOString().slice(0, 19) + '.' + fraction;
}

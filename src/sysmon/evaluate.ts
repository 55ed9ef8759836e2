/**
 * Would Sysmon log this event under this configuration? Sysinternals' rules: filters of one
 * event element combine by its RuleGroup's groupRelation (a `<Rule>` by its own); an event is
 * logged when it matches an include element (or there is none) and no exclude element — exclude
 * always wins. An empty include logs nothing; an empty exclude drops nothing.
 */
import { testCondition } from './conditions.js';
import type { EventFilterSet, FieldFilter, Filter, SysmonConfig } from './config.js';

export interface FilterMatch {
  /** `line 12: RuleGroup "…" / FileCreate onmatch="exclude" / <Image condition="is">System</Image>` */
  description: string;
  line: number;
}

export interface SysmonVerdict {
  logged: boolean;
  /** False when the configuration has no element for this event type. */
  configured: boolean;
  /** Why, in one sentence. */
  reason: string;
  include?: FilterMatch;
  exclude?: FilterMatch;
}

const fieldText = (f: FieldFilter): string => `<${f.field} condition="${f.condition}">${f.value}</${f.field}>${f.name ? ` (name "${f.name}")` : ''}`;

function fieldMatches(f: FieldFilter, fields: Readonly<Record<string, string>>): boolean {
  const v = fields[f.field];
  return v !== undefined && testCondition(f.condition, v, f.value);
}

/** The filters that made `set` match, or null. */
function setMatch(set: EventFilterSet, fields: Readonly<Record<string, string>>): Filter[] | null {
  if (set.filters.length === 0) return null;
  const hit = (f: Filter): boolean =>
    f.kind === 'field'
      ? fieldMatches(f, fields)
      : f.filters.length > 0 && (f.relation === 'and' ? f.filters.every((x) => fieldMatches(x, fields)) : f.filters.some((x) => fieldMatches(x, fields)));
  if (set.relation === 'and') return set.filters.every(hit) ? set.filters : null;
  const first = set.filters.find(hit);
  return first ? [first] : null;
}

function describe(set: EventFilterSet, filters: Filter[]): FilterMatch {
  const parts = filters.map((f) => (f.kind === 'field' ? fieldText(f) : `<Rule${f.name ? ` name="${f.name}"` : ''} groupRelation="${f.relation}"> ${f.filters.map(fieldText).join(' ')}`));
  const where = `${set.group !== undefined ? `RuleGroup "${set.group}" / ` : ''}<${set.event} onmatch="${set.onmatch}">`;
  const line = filters[0]?.line ?? set.line;
  return { description: `line ${line}: ${where} ${parts.join(set.relation === 'and' ? ' AND ' : '')}`, line };
}

export function evaluateSysmon(config: SysmonConfig, event: string, fields: Readonly<Record<string, string>>): SysmonVerdict {
  const sets = config.sets.filter((s) => s.event === event);
  if (sets.length === 0) return { logged: true, configured: false, reason: `no <${event}> filter in the configuration: Sysmon's default for the event type applies` };
  const includes = sets.filter((s) => s.onmatch === 'include');
  const excludes = sets.filter((s) => s.onmatch === 'exclude');
  let include: FilterMatch | undefined;
  for (const s of includes) {
    const m = setMatch(s, fields);
    if (m) {
      include = describe(s, m);
      break;
    }
  }
  for (const s of excludes) {
    const m = setMatch(s, fields);
    if (m) {
      const exclude = describe(s, m);
      return { logged: false, configured: true, reason: `dropped by the exclusion at ${exclude.description}`, exclude, ...(include ? { include } : {}) };
    }
  }
  if (includes.length > 0 && !include) {
    const empty = includes.every((s) => s.filters.length === 0);
    return {
      logged: false,
      configured: true,
      reason: empty ? `<${event} onmatch="include"> is empty: no ${event} event is logged` : `no include filter of <${event}> matches it (include mode logs only what a filter names)`,
    };
  }
  return include
    ? { logged: true, configured: true, reason: `logged: included by ${include.description}`, include }
    : { logged: true, configured: true, reason: `logged: no exclusion of <${event}> matches it` };
}

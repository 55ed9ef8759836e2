/**
 * Text checks (text-checks.ts) carried over to the raw text of Windows records — evtx_dump JSON,
 * flat nxlog / Security-Datasets JSON, Winlogbeat — whose ECS view normalization builds from
 * EventData through the mapping tables. The check of a stage is written against the ECS view
 * (`process.pid == 4` looks for `"pid": 4`); on a Windows record the same condition holds when:
 * - the field is one the row sets whatever its data (event.type of Sysmon 11 is `creation`,
 *   host.os.type is `windows`): decided once, for the row (`true`/`false`) — `false` still leaves
 *   the original check, since a Winlogbeat document may carry its own value, which wins;
 * - the field is mapped from EventData (`ProcessId` → `int:process.pid`): some raw key of the
 *   mapping gives a wanted value through the table's own writer (a `raw` check; hex and decimal
 *   pids alike), or the document carries the ECS field itself (the original check);
 * - a name derived from a path (`process.name` from the executable): the text check stands, as
 *   the path is a raw string of the record — unless the row runs a derivation;
 * - anything else normalization sets (host.*, winlog.*, @timestamp…) or a row's derivations
 *   write: no condition. A field the row never writes can only be the document's own: the
 *   original check.
 * Rows come from normalize/raw-keys.ts (derived from the tables, never per format).
 */
import type { Literal } from '../ir/types.js';
import type { RawRow } from '../normalize/index.js';
import type { TextCheck } from './text-checks.js';

/** A check on a Windows record of `row`: true (always holds), false (never), or a check to run. */
export type RowCheck = TextCheck | boolean;

/** Fields normalization sets from System data or times, not from EventData: not read from the text. */
export const SYSTEM_PREFIXES: readonly string[] = ['host.', 'winlog.', 'event.', '@timestamp', 'agent.', 'log.'];

export function checkOnRow(check: TextCheck | null, row: RawRow): RowCheck {
  if (check === null) return true;
  switch (check.kind) {
    case 'all': {
      const parts: TextCheck[] = [];
      for (const c of check.checks) {
        const t = checkOnRow(c, row);
        if (t === false) return false;
        if (t !== true) parts.push(t);
      }
      return parts.length === 0 ? true : parts.length === 1 ? parts[0]! : { kind: 'all', checks: parts };
    }
    case 'any': {
      const parts: TextCheck[] = [];
      for (const c of check.checks) {
        const t = checkOnRow(c, row);
        if (t === true) return true;
        if (t !== false) parts.push(t);
      }
      return parts.length === 0 ? false : parts.length === 1 ? parts[0]! : { kind: 'any', checks: parts };
    }
    case 'raw':
      return check;
    case 'text':
    case 'value':
      return fieldOnRow(check, row);
  }
}

function fieldOnRow(check: Extract<TextCheck, { kind: 'text' | 'value' }>, row: RawRow): RowCheck {
  const path = check.path;
  if (path === undefined) return true;
  const constant = row.constants.get(path);
  if (constant !== undefined) {
    if (check.kind === 'text') return meetsConstant(textValues(check), constant, true) ? true : check;
    return meetsConstant(check.values, constant, check.ci) ? true : check;
  }
  if (check.kind === 'text') return row.derived ? true : check;
  if (path.startsWith('winlog.event_data.')) return check; // the raw key itself
  const sources = row.sources(path);
  if (sources.length > 0) {
    const raws: TextCheck[] = sources.map((s) => ({ kind: 'raw', key: s.raw, read: s.read, source: `${row.module}:${row.id}:${path}:${s.raw}`, values: check.values, ci: check.ci }));
    return { kind: 'any', checks: [check, ...raws] };
  }
  if (row.derived || SYSTEM_PREFIXES.some((p) => path.startsWith(p))) return true;
  return check;
}

/** The wanted whole values of a text check on a whole-string field (`"windows"`), or null: any. */
function textValues(check: Extract<TextCheck, { kind: 'text' }>): readonly Literal[] {
  return check.needles.map((n) => (n.startsWith('"') && n.endsWith('"') ? JSON.parse(n) as string : n));
}

function meetsConstant(values: readonly Literal[], constant: readonly string[], ci: boolean): boolean {
  for (const v of values) {
    if (typeof v !== 'string') return true; // the engine may coerce: do not decide here
    for (const c of constant) if (ci ? c.toLowerCase() === v.toLowerCase() : c === v) return true;
  }
  return false;
}

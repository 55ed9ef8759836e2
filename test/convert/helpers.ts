/** Running a source rule and its conversion side by side on the same events (each in its view). */
import { runBatch } from '../../src/engine/index.js';
import { readInputs } from '../../src/sources/index.js';
import { eventTime } from '../../src/normalize/index.js';
import type { Event } from '../../src/events/field.js';
import type { parseEql } from '../../src/eql/index.js';

export async function events(paths: string[]): Promise<Event[]> {
  const out: Event[] = [];
  for await (const batch of readInputs(paths, () => {})) for (const se of batch) out.push(se.event);
  return out;
}

/** Views carry the time of the event they came from (a flat native view has no time field of its own). */
const times = new WeakMap<Event, ReturnType<typeof eventTime>>();
export const view = (evs: Event[], to: (e: Event) => Event): Event[] =>
  evs.map((e) => {
    const v = to(e);
    times.set(v, eventTime(e));
    return v;
  });
export const run = (query: ReturnType<typeof parseEql>, evs: Event[]) => runBatch(query, evs, { timestamp: (e) => times.get(e) ?? null }).length;


/** Each match as the positions of its events in `evs` (a view keeps its source's position). */
export const matched = (query: ReturnType<typeof parseEql>, evs: Event[]): string[] => {
  const at = new Map(evs.map((e, i) => [e, i]));
  return runBatch(query, evs, { timestamp: (e) => times.get(e) ?? null })
    .map((m) => m.events.map((e) => at.get(e) ?? -1).join(','))
    .sort();
};

/** GROUND_TRUTH.md rows for the mission rule: [row, path under ../shared, alerts the rule must raise]. */
export const GROUND_TRUTH_ROWS: readonly [string, string[], number][] = [
  ['P1', ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx'], 1],
  ['D1 defend', ['datasets', 'ecs-derived', 'POS_psexesvc_remote_copy.defend.ndjson'], 1],
  ['D1 winlogbeat', ['datasets', 'ecs-derived', 'POS_psexesvc_remote_copy.winlogbeat.ndjson'], 1],
  ['N1', ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'smbmap_upload_exec_sysmon.evtx'], 0],
  ['N2', ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'lateral_movement_startup_3_11.evtx'], 0],
  ['N3 defend', ['datasets', 'ecs-derived', 'NEG_local_psexec_writer_not_pid4.defend.ndjson'], 0],
  ['N3 winlogbeat', ['datasets', 'ecs-derived', 'NEG_local_psexec_writer_not_pid4.winlogbeat.ndjson'], 0],
  ['N4 defend', ['datasets', 'ecs-derived', 'NEG_covenant_copy_smb_write_no_exec.defend.ndjson'], 0],
  ['N4 winlogbeat', ['datasets', 'ecs-derived', 'NEG_covenant_copy_smb_write_no_exec.winlogbeat.ndjson'], 0],
];

/**
 * The boolean operators at each parenthesis level of a Lucene / Splunk query, outside quoted
 * strings and Lucene regexps: a level must not mix AND and OR, and a NOT must not stand bare in
 * an OR (those languages do not give AND precedence over OR; see TextTarget.groupMixed).
 */
export function mixedLevels(q: string): string[] {
  const bad: string[] = [];
  const levels: Set<string>[] = [new Set()];
  const close = (): void => {
    const ops = levels.pop()!;
    if (ops.has('AND') && ops.has('OR')) bad.push('AND and OR at one level');
    if (ops.has('OR') && ops.has('NOT')) bad.push('a bare NOT among ORs');
  };
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (c === '\\') i++;
    else if (c === '"' || (c === '/' && q[i - 1] === ':')) {
      for (i++; i < q.length && q[i] !== c; i++) if (q[i] === '\\') i++;
    } else if (c === '(') levels.push(new Set());
    else if (c === ')') close();
    else if (/\s/.test(q[i - 1] ?? ' ') || q[i - 1] === '(') {
      const m = /^(AND|OR|NOT)\s/.exec(q.slice(i, i + 4));
      if (m) levels.at(-1)!.add(m[1]!);
    }
  }
  close();
  return bad;
}

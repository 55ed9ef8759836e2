/**
 * Converted EQL means what its source rule means: the EQL text parses in spoor and, run on the
 * ECS view, gives the same matches as the Sigma rule on the native view — on GROUND_TRUTH rows
 * (the mission rule's temporal_ordered correlation) and on SigmaHQ's regression data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigmaPaths, loadSigmaText } from '../../src/sigma/index.js';
import { parseEql } from '../../src/eql/index.js';
import { runBatch } from '../../src/engine/index.js';
import { readInputs } from '../../src/sources/index.js';
import { eventTime, toEcs, toNative } from '../../src/normalize/index.js';
import { convertRules } from '../../src/convert/index.js';
import type { Event } from '../../src/events/field.js';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';

async function events(paths: string[]): Promise<Event[]> {
  const out: Event[] = [];
  for await (const batch of readInputs(paths, () => {})) for (const se of batch) out.push(se.event);
  return out;
}

/** Views carry the time of the event they came from (a flat native view has no time field of its own). */
const times = new WeakMap<Event, ReturnType<typeof eventTime>>();
const view = (evs: Event[], to: (e: Event) => Event): Event[] =>
  evs.map((e) => {
    const v = to(e);
    times.set(v, eventTime(e));
    return v;
  });
const run = (query: ReturnType<typeof parseEql>, evs: Event[]) => runBatch(query, evs, { timestamp: (e) => times.get(e) ?? null }).length;

const ROWS: [string, string[], number][] = [
  ['P1', ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx'], 1],
  ['D1 winlogbeat', ['datasets', 'ecs-derived', 'POS_psexesvc_remote_copy.winlogbeat.ndjson'], 1],
  ['N1', ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'smbmap_upload_exec_sysmon.evtx'], 0],
  ['N2', ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'lateral_movement_startup_3_11.evtx'], 0],
  ['N3 winlogbeat', ['datasets', 'ecs-derived', 'NEG_local_psexec_writer_not_pid4.winlogbeat.ndjson'], 0],
  ['N4 winlogbeat', ['datasets', 'ecs-derived', 'NEG_covenant_copy_smb_write_no_exec.winlogbeat.ndjson'], 0],
];

test('mission Sigma correlation → EQL sequence: same alerts on GROUND_TRUTH rows', async (t) => {
  const { rules } = await loadSigmaPaths([join(repoRoot, 'rules', 'sigma')]);
  const correlation = rules.find((r) => r.query.kind === 'correlation')!;
  const { queries, problems } = convertRules([correlation], 'eql');
  assert.deepEqual(problems, []);
  const eql = parseEql(queries[0]!.text);
  assert.equal(eql.kind, 'sequence');
  for (const [row, parts, want] of ROWS) {
    const p = sharedOrSkip(t, ...parts);
    if (!p) return;
    const evs = await events([p]);
    const sigma = run(correlation.query, view(evs, toNative));
    const converted = run(eql, view(evs, toEcs));
    assert.equal(sigma, want, `${row}: the Sigma rule itself`);
    assert.equal(converted, sigma, `${row}: converted EQL vs Sigma`);
  }
});

interface RegressionEntry {
  rule_path: string;
  tests: { json: string }[];
}

test('SigmaHQ regression data: every rule that converts to EQL matches exactly as the Sigma rule', async (t) => {
  const base = sharedOrSkip(t, 'conformance', 'sigma');
  if (!base) return;
  const index = JSON.parse(readFileSync(join(base, 'regression_index.json'), 'utf8')) as RegressionEntry[];
  let converted = 0;
  let unsupported = 0;
  let compared = 0;
  const mismatches: string[] = [];
  for (const entry of index) {
    const loaded = loadSigmaText(readFileSync(join(base, entry.rule_path), 'utf8'), entry.rule_path);
    const rule = loaded.rules[0];
    if (!rule) continue;
    const { queries, problems } = convertRules([rule], 'eql');
    if (problems.length > 0) {
      unsupported++;
      assert.equal(problems[0]!.severity, 'unsupported');
      continue;
    }
    converted++;
    const eql = parseEql(queries[0]!.text);
    for (const tc of entry.tests) {
      const evs = await events([join(base, tc.json)]);
      const want = run(rule.query, view(evs, toNative));
      const got = run(eql, view(evs, toEcs));
      compared++;
      if (got !== want) mismatches.push(`${entry.rule_path}: sigma ${want}, eql ${got}\n    ${queries[0]!.text}`);
    }
  }
  console.log(`regression rules → EQL: ${converted} converted (${compared} data sets compared), ${unsupported} reported unsupported`);
  for (const m of mismatches) console.log(`  MISMATCH ${m}`);
  assert.ok(converted >= 180, `${converted} converted`);
  assert.deepEqual(mismatches, []);
});

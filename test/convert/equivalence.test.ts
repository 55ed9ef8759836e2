/**
 * Converted EQL means what its source rule means: the EQL text parses in spoor and, run on the
 * ECS view, gives the same matches as the Sigma rule on the native view — on GROUND_TRUTH rows
 * (the mission rule's temporal_ordered correlation). SigmaHQ's regression data: sigmahq.slow.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSigmaPaths } from '../../src/sigma/index.js';
import { parseEql } from '../../src/eql/index.js';
import { toEcs, toNative } from '../../src/normalize/index.js';
import { convertRules } from '../../src/convert/index.js';
import { events, run, view } from './helpers.js';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';

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


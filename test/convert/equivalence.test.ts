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
import { events, GROUND_TRUTH_ROWS, run, view } from './helpers.js';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';


test('mission Sigma correlation → EQL sequence: same alerts on GROUND_TRUTH rows', async (t) => {
  const { rules } = await loadSigmaPaths([join(repoRoot, 'rules', 'sigma')]);
  const correlation = rules.find((r) => r.query.kind === 'correlation')!;
  const { queries, problems } = convertRules([correlation], 'eql');
  assert.deepEqual(problems, []);
  const eql = parseEql(queries[0]!.text);
  assert.equal(eql.kind, 'sequence');
  // Sigma → EQL writes Winlogbeat's names (winlog.channel, winlog.event_id): Elastic Defend rows have none.
  for (const [row, parts, want] of GROUND_TRUTH_ROWS.filter(([r]) => !r.endsWith('defend'))) {
    const p = sharedOrSkip(t, ...parts);
    if (!p) return;
    const evs = await events([p]);
    const sigma = run(correlation.query, view(evs, toNative));
    const converted = run(eql, view(evs, toEcs));
    assert.equal(sigma, want, `${row}: the Sigma rule itself`);
    assert.equal(converted, sigma, `${row}: converted EQL vs Sigma`);
  }
});


/**
 * The multi-rule matcher with all 2,407 SigmaHQ Windows rules gives exactly the matches of
 * rule-by-rule evaluation: on every event of the Sigma regression data and on a sample (every
 * 15th event) of ../shared/datasets. The full run over every event is
 * `node dist/test/sigma/differential-full.js` (differential-full.ts; ~1 min).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaDir } from '../../src/sigma/index.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { compareWithRuleByRule, nativeEvents } from './differential.js';

test('multi-rule matcher = rule by rule, all SigmaHQ Windows rules, regression data and a dataset sample', async (t) => {
  const rulesDir = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  const regression = sharedOrSkip(t, 'conformance', 'sigma', 'regression_data');
  const datasets = sharedOrSkip(t, 'datasets');
  if (!rulesDir || !regression || !datasets) return;
  const { rules } = await loadSigmaDir(rulesDir);
  assert.equal(rules.length, 2407);
  for (const [label, dir, stride] of [['regression data', regression, 1], ['datasets (every 15th event)', datasets, 15]] as const) {
    const { events } = await nativeEvents([dir]);
    const r = compareWithRuleByRule(rules, events, stride);
    console.log(`${label}: ${r.events} events, ${r.matches} matches; rule tests ${r.oldTests} rule by rule, ${r.newTests} through the matcher`);
    assert.ok(r.events > 400, `${label}: events read`);
    assert.ok(r.matches > 100, `${label}: the sample holds matches`);
    assert.deepEqual(r.missing, [], `${label}: matches the matcher left out`);
    assert.deepEqual(r.extra, [], `${label}: matches only the matcher found`);
    assert.ok(r.newTests * 5 < r.oldTests, `${label}: the matcher tests far fewer rules`);
  }
});

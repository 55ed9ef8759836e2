/**
 * spoor's built-in EQL pack → Sigma: the rules that convert load in spoor's own Sigma reader and
 * raise the same alerts (the same events) as the EQL rules they came from, on GROUND_TRUTH rows and
 * on the demo's generated fleet (planted attacks and trusted-deployment look-alikes); the rules
 * Sigma cannot say are reported with their reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulePack } from '../../src/rules/index.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { toEcs } from '../../src/normalize/index.js';
import { convertRules } from '../../src/convert/index.js';
import { generateEvents } from '../../src/demo/generate.js';
import type { Event } from '../../src/events/field.js';
import type { Query, Rule, Stage } from '../../src/ir/types.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { events, GROUND_TRUTH_ROWS, matched, view } from './helpers.js';

const pack = loadRulePack([], { builtin: true, hunting: true }).rules;
const converted = convertRules(pack, 'sigma');

/** The converted rule as spoor's Sigma reader loads it: the correlation, or the single rule. */
function loadBack(id: string): Rule {
  const q = converted.queries.find((x) => x.ruleId === id);
  assert.ok(q, `${id} did not convert: ${converted.problems.find((p) => p.id === id)?.reason}`);
  const loaded = loadSigmaText(q.text, `${id}.yml`);
  assert.deepEqual(loaded.problems, [], q.text);
  return loaded.rules.find((r) => r.query.kind === 'correlation') ?? loaded.rules[0]!;
}

const CONVERTS = ['file-share-remote-exec', 'file-share-remote-exec-mz-header'];

test('built-in pack → Sigma: the mission rule is base rules + a temporal_ordered correlation with aliases', () => {
  const text = converted.queries.find((q) => q.ruleId === 'file-share-remote-exec')!.text;
  assert.match(text, /taxonomy: ecs/);
  assert.match(text, /type: temporal_ordered/);
  assert.match(text, /group-by:\n\s+- host\.id\n\s+- file_path\n/);
  assert.match(text, /aliases:\n\s+file_path:\n\s+file_share_remote_exec_stage_1: file\.path\n\s+file_share_remote_exec_stage_2: process\.executable\n/);
  assert.match(text, /timespan: 1m/);
  const rule = loadBack('file-share-remote-exec');
  assert.equal(rule.query.kind, 'correlation');
  // What Sigma cannot say, each with its reason.
  const reasons = Object.fromEntries(converted.problems.map((p) => [p.id, p.reason]));
  assert.match(reasons['file-share-remote-exec-security-audit']!, /ignoring case/);
  assert.match(reasons['file-share-service-install']!, /ignoring case/);
  assert.match(reasons['file-share-written-not-executed']!, /missing-event stage/);
  assert.deepEqual(converted.queries.map((q) => q.ruleId).sort(), [...CONVERTS].sort());
});

function sameAlerts(evs: Event[], label: string, minimum?: number): void {
  const ecs = view(evs, toEcs);
  for (const id of CONVERTS) {
    const eql = matched(pack.find((r) => r.id === id)!.query, ecs);
    const sigma = matched(loadBack(id).query, ecs);
    assert.deepEqual(sigma, eql, `${label}: ${id}`);
    if (minimum !== undefined && id === 'file-share-remote-exec') assert.ok(eql.length >= minimum, `${label}: ${eql.length} alerts`);
  }
}


test('built-in pack → Sigma: same alerts as the EQL rules on GROUND_TRUTH rows', async (t) => {
  for (const [row, parts, want] of GROUND_TRUTH_ROWS) {
    const p = sharedOrSkip(t, ...parts);
    if (!p) return;
    const evs = await events([p]);
    const ecs = view(evs, toEcs);
    assert.equal(matched(pack.find((r) => r.id === 'file-share-remote-exec')!.query, ecs).length, want, `${row}: the EQL rule itself`);
    sameAlerts(evs, row);
  }
});

test('built-in pack → Sigma: same alerts as the EQL rules on the demo fleet (attacks and trusted look-alikes)', () => {
  const g = generateEvents({ events: 3_000, hosts: 12, seed: 42 });
  const evs = [...g.events] as Event[];
  assert.ok(g.scenarios.some((s) => !s.malicious), 'the demo data holds benign look-alikes');
  sameAlerts(evs, 'demo', g.planted.length);
  // The look-alikes matter: without its exclusion lists the EQL rule alerts on trusted deployments too.
  const q = pack.find((r) => r.id === 'file-share-remote-exec')!.query;
  if (q.kind !== 'sequence') return assert.fail(q.kind);
  const [stage1, stage2] = q.stages as [Stage, Stage];
  const unexcluded: Query = { ...q, stages: [stage1, { ...stage2, query: { ...stage2.query, where: { kind: 'literal', value: true } } }] };
  assert.ok(matched(unexcluded, view(evs, toEcs)).length > g.planted.length, 'the demo data has excluded look-alikes');
});

/** Sigma correlation rules: loading (references, aliases, generate) and sliding-window semantics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaText } from '../../src/sigma/index.js';
import { compileQuery, type Match } from '../../src/engine/index.js';
import type { Rule } from '../../src/ir/types.js';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { sharedOrSkip } from '../helpers/shared.js';

const BASES = `title: Failed logon
name: failed
id: base-failed
logsource:
    product: windows
detection:
    sel:
        Action: fail
    condition: sel
---
title: Successful logon
name: success
id: base-success
logsource:
    product: windows
detection:
    sel:
        Action: ok
    condition: sel
`;

function correlation(body: string, extra = ''): Rule {
  const text = `${BASES}---\ntitle: Corr\nid: corr-1\nlevel: high\n${extra}correlation:\n${body.replace(/^/gm, '    ')}\n`;
  const r = loadSigmaText(text, 'corr.yml');
  assert.deepEqual(r.problems, []);
  const rule = r.rules.find((x) => x.id === 'corr-1');
  assert.ok(rule);
  return rule;
}

/** Events: [seconds from t0, fields]. */
function run(rule: Rule, events: [number, Record<string, unknown>][]): Match[] {
  const runner = compileQuery(rule.query);
  const out: Match[] = [];
  for (const [s, fields] of events) {
    runner.push({ ...fields, TimeCreated: new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString() });
    out.push(...runner.drain());
  }
  out.push(...runner.end());
  return out;
}

test('base rules referenced by a correlation are embedded, not standalone (unless generate)', () => {
  const text = `${BASES}---\ntitle: C\nid: c\ncorrelation:\n    type: event_count\n    rules: [failed]\n    group-by: [User]\n    timespan: 5m\n    condition: {gte: 3}\n`;
  const r = loadSigmaText(text, 'x.yml');
  assert.deepEqual(r.rules.map((x) => x.id).sort(), ['base-success', 'c']);
  assert.equal(r.documents?.find((d) => d.id === 'base-failed')?.status, 'embedded');
  const gen = loadSigmaText(text.replace('rules: [failed]', 'rules: [failed]\n    generate: true'), 'x.yml');
  assert.deepEqual(gen.rules.map((x) => x.id).sort(), ['base-failed', 'base-success', 'c']);
});

test('event_count uses a sliding window, not fixed buckets', () => {
  const rule = correlation('type: event_count\nrules: [failed]\ngroup-by: [User]\ntimespan: 1m\ncondition:\n    gte: 3');
  // 50 s, 80 s, 100 s: no fixed one-minute bucket holds three, the sliding window [50,110] does.
  const m = run(rule, [
    [50, { Action: 'fail', User: 'bob' }],
    [80, { Action: 'fail', User: 'bob' }],
    [100, { Action: 'fail', User: 'bob' }],
  ]);
  assert.equal(m.length, 1);
  assert.deepEqual(m[0]!.keys, ['bob']);
  assert.equal(m[0]!.events.length, 3);
  // Spread beyond the timespan: none. Different users: separate groups.
  assert.equal(run(rule, [[0, { Action: 'fail', User: 'a' }], [61, { Action: 'fail', User: 'a' }], [122, { Action: 'fail', User: 'a' }]]).length, 0);
  assert.equal(run(rule, [[0, { Action: 'fail', User: 'a' }], [1, { Action: 'fail', User: 'b' }], [2, { Action: 'fail', User: 'a' }]]).length, 0);
});

test('event_count fires once per burst, then again for a new burst', () => {
  const rule = correlation('type: event_count\nrules: [failed]\ngroup-by: [User]\ntimespan: 1m\ncondition:\n    gte: 2');
  const evs: [number, Record<string, unknown>][] = [0, 1, 2, 3, 200, 201].map((s) => [s, { Action: 'fail', User: 'u' }]);
  assert.equal(run(rule, evs).length, 3); // (0,1), (2,3), (200,201)
});

test('event_count with an upper bound judges complete windows', () => {
  const rule = correlation('type: event_count\nrules: [failed]\ngroup-by: [User]\ntimespan: 1m\ncondition:\n    gte: 2\n    lte: 3');
  const burst = (n: number, start: number): [number, Record<string, unknown>][] =>
    Array.from({ length: n }, (_, i) => [start + i, { Action: 'fail', User: 'u' }]);
  assert.equal(run(rule, burst(2, 0)).length, 1);
  assert.equal(run(rule, burst(5, 0)).length, 0); // 5 in one window: above the range
  assert.equal(run(rule, [...burst(3, 0), ...burst(1, 500)]).length, 1);
});

test('value_count counts distinct values per group', () => {
  const rule = correlation(
    'type: value_count\nrules: [failed]\ngroup-by: [Source]\ntimespan: 10m\ncondition:\n    field: User\n    gte: 3',
  );
  const f = (s: number, user: string): [number, Record<string, unknown>] => [s, { Action: 'fail', Source: '10.0.0.1', User: user }];
  assert.equal(run(rule, [f(0, 'a'), f(1, 'a'), f(2, 'b'), f(3, 'b')]).length, 0);
  const m = run(rule, [f(0, 'a'), f(1, 'a'), f(2, 'b'), f(3, 'c')]);
  assert.equal(m.length, 1);
  assert.deepEqual(m[0]!.keys, ['10.0.0.1']);
});

test('value_sum and value_avg', () => {
  const sum = correlation('type: value_sum\nrules: [failed]\ngroup-by: [User]\ntimespan: 1h\ncondition:\n    field: Bytes\n    gt: 100');
  const e = (s: number, b: unknown): [number, Record<string, unknown>] => [s, { Action: 'fail', User: 'u', Bytes: b }];
  assert.equal(run(sum, [e(0, 60), e(10, '50')]).length, 1);
  assert.equal(run(sum, [e(0, 60), e(4000, 50)]).length, 0);
  const avg = correlation('type: value_avg\nrules: [failed]\ngroup-by: [User]\ntimespan: 1h\ncondition:\n    field: Bytes\n    gt: 100');
  assert.equal(run(avg, [e(0, 50), e(1, 300)]).length, 1);
  assert.equal(run(avg, [e(0, 50), e(1, 100)]).length, 0);
});

test('temporal: all rules in the window, any order', () => {
  const rule = correlation('type: temporal\nrules: [failed, success]\ngroup-by: [User]\ntimespan: 1m');
  assert.equal(run(rule, [[0, { Action: 'ok', User: 'u' }], [30, { Action: 'fail', User: 'u' }]]).length, 1);
  assert.equal(run(rule, [[0, { Action: 'ok', User: 'u' }], [90, { Action: 'fail', User: 'u' }]]).length, 0);
  assert.equal(run(rule, [[0, { Action: 'ok', User: 'u' }], [10, { Action: 'fail', User: 'v' }]]).length, 0);
});

test('temporal_ordered: order is really checked', () => {
  const rule = correlation('type: temporal_ordered\nrules: [failed, success]\ngroup-by: [User]\ntimespan: 1m');
  const inOrder = run(rule, [[0, { Action: 'fail', User: 'u' }], [20, { Action: 'ok', User: 'u' }]]);
  assert.equal(inOrder.length, 1);
  assert.deepEqual(inOrder[0]!.events.map((e) => e.Action), ['fail', 'ok']);
  assert.equal(run(rule, [[0, { Action: 'ok', User: 'u' }], [20, { Action: 'fail', User: 'u' }]]).length, 0);
  assert.equal(run(rule, [[0, { Action: 'fail', User: 'u' }], [61, { Action: 'ok', User: 'u' }]]).length, 0);
  // A later first step restarts the window: fail@0, fail@50, ok@100 → within 1m of the second.
  assert.equal(run(rule, [[0, { Action: 'fail', User: 'u' }], [50, { Action: 'fail', User: 'u' }], [100, { Action: 'ok', User: 'u' }]]).length, 1);
});

test('temporal_ordered with a partial condition is reported, not silently ignored', () => {
  const text = `${BASES}---\ntitle: C\nid: c4\ncorrelation:\n    type: temporal_ordered\n    rules: [failed, success]\n    group-by: [User]\n    timespan: 1m\n    condition: {gte: 1}\n`;
  const r = loadSigmaText(text, 'z.yml');
  assert.equal(r.problems.find((p) => p.id === 'c4')?.severity, 'unsupported');
  const ok = loadSigmaText(text.replace('gte: 1', 'gte: 2'), 'z.yml');
  assert.deepEqual(ok.problems, []);
});

test('aliases map different fields of each base rule to one group key', () => {
  const rule = correlation(
    'type: temporal_ordered\nrules: [failed, success]\ngroup-by: [ip]\ntimespan: 1m\naliases:\n    ip:\n        failed: SourceIp\n        success: DestinationIp',
  );
  assert.equal(run(rule, [[0, { Action: 'fail', SourceIp: '1.2.3.4' }], [5, { Action: 'ok', DestinationIp: '1.2.3.4' }]]).length, 1);
  assert.equal(run(rule, [[0, { Action: 'fail', SourceIp: '1.2.3.4' }], [5, { Action: 'ok', DestinationIp: '9.9.9.9' }]]).length, 0);
});

test('correlation problems are reported with the rule id', () => {
  const bad = loadSigmaText(`${BASES}---\ntitle: C\nid: c2\ncorrelation:\n    type: event_count\n    rules: [nope]\n    timespan: 1m\n    condition: {gte: 1}\n`, 'y.yml');
  assert.deepEqual(bad.problems.map((p) => [p.id, p.severity]), [['c2', 'error']]);
  assert.match(bad.problems[0]!.reason, /unknown rule 'nope'/);
  const noSpan = loadSigmaText(`${BASES}---\ntitle: C\nid: c3\ncorrelation:\n    type: temporal\n    rules: [failed, success]\n`, 'y.yml');
  assert.match(noSpan.problems.find((p) => p.id === 'c3')!.reason, /timespan/);
  // The base rules of a failed correlation do not run alone (they would alert on every building
  // block event); they are reported instead of silently disappearing.
  assert.deepEqual(noSpan.rules, []);
  assert.deepEqual(noSpan.problems.map((p) => p.id).sort(), ['base-failed', 'base-success', 'c3']);
  assert.match(noSpan.problems.find((p) => p.id === 'base-failed')!.reason, /only used by correlation c3/);
});

test('memory stays bounded: old windows are evicted', () => {
  const rule = correlation('type: event_count\nrules: [failed]\ngroup-by: [User]\ntimespan: 10s\ncondition:\n    gte: 1000000');
  const runner = compileQuery(rule.query);
  for (let i = 0; i < 20000; i++) {
    runner.push({ Action: 'fail', User: `u${i % 50}`, TimeCreated: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() });
  }
  assert.ok(runner.stateSize() <= 50 * 11, `state ${runner.stateSize()}`);
});

test('value_percentile: the share of a value in the group window', () => {
  const rule = correlation('type: value_percentile\nrules: [failed]\ngroup-by: [Host]\ntimespan: 1h\ncondition:\n    field: Image\n    lte: 10');
  const e = (s: number, image: string): [number, Record<string, unknown>] => [s, { Action: 'fail', Host: 'h', Image: image }];
  // 1 of 11 (9 %) is rare; 10 of 11 is not.
  const evs = [e(0, 'rare.exe'), ...Array.from({ length: 10 }, (_, i) => e(i + 1, 'common.exe'))];
  const m = run(rule, evs);
  assert.equal(m.length, 1);
  assert.deepEqual(m[0]!.events.map((x) => x.Image), ['rare.exe']);
});

test('temporal with a condition: that many distinct rules suffice', () => {
  const rule = correlation('type: temporal\nrules: [failed, success]\ngroup-by: [User]\ntimespan: 1m\ncondition:\n    gte: 1');
  assert.equal(run(rule, [[0, { Action: 'ok', User: 'u' }]]).length, 1);
});

test('the specification’s correlation examples load once their base rules exist', (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'sigma', 'spec', 'tests', 'schema', 'correlation');
  if (!dir) return;
  const types = new Set<string>();
  for (const f of readdirSync(dir)) {
    const text = readFileSync(`${dir}/${f}`, 'utf8');
    const doc = parse(text) as { correlation: { type: string; rules: string[] } };
    const stubs = doc.correlation.rules
      .map((ref, i) => `title: stub ${i}\nid: ${ref}\nname: ${ref}\nlogsource:\n    product: windows\ndetection:\n    sel:\n        X: ${i}\n    condition: sel\n`)
      .join('---\n');
    const r = loadSigmaText(`${stubs}---\n${text}`, f);
    assert.deepEqual(r.problems, [], f);
    const corr = r.rules.find((x) => x.query.kind === 'correlation');
    assert.ok(corr, f);
    assert.equal(corr.query.kind === 'correlation' && corr.query.type, doc.correlation.type);
    types.add(doc.correlation.type);
  }
  assert.equal(types.size, 7);
});

test('a long stream in one group: the threshold fires once per burst with all its events', () => {
  const rule = correlation('type: event_count\nrules: [failed]\ngroup-by: [User]\ntimespan: 1h\ncondition:\n    gte: 5000');
  const runner = compileQuery(rule.query);
  const base = Date.UTC(2024, 0, 1);
  const out: Match[] = [];
  for (let i = 0; i < 9000; i++) {
    runner.push({ Action: 'fail', User: 'u', TimeCreated: new Date(base + i * 100).toISOString() });
    out.push(...runner.drain());
  }
  out.push(...runner.end());
  assert.equal(out.length, 1); // 5,000 then 4,000: the second burst stays below the threshold
  assert.equal(out[0]!.events.length, 5000);
  assert.equal(out[0]!.events[4999]!.TimeCreated, new Date(base + 4999 * 100).toISOString());
});

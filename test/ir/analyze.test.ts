/** IR walks and analysis (src/ir/walk.ts, src/ir/analyze.ts): table-driven over parsed EQL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEql } from '../../src/eql/index.js';
import type { Expr, Query, Rule } from '../../src/ir/types.js';
import { conjuncts, eventQueries, mapExpr, someExpr } from '../../src/ir/walk.js';
import { requiredEventIds, requiredValues, telemetryCondition, telemetryNeeds } from '../../src/ir/analyze.js';
import { formatExpr } from '../../src/eql/format.js';
import { loadRulePack } from '../../src/rules/index.js';

const where = (text: string): Expr => {
  const q = parseEql(`any where ${text}`) as Query;
  assert.equal(q.kind, 'event');
  return (q as Extract<Query, { kind: 'event' }>).query.where;
};

test('walk: someExpr, conjuncts, mapExpr', () => {
  const e = where('a == 1 and (b == 2 and c : "x*") and not d == 3');
  assert.equal(conjuncts(e).length, 4);
  assert.equal(someExpr(e, (x) => x.kind === 'not'), true);
  assert.equal(someExpr(e, (x) => x.kind === 'regex'), false);
  const renamed = mapExpr(e, (x) => (x.kind === 'field' && x.path[0] === 'a' ? { ...x, path: ['z'] } : x));
  assert.match(formatExpr(renamed), /^z == 1/);
  assert.match(formatExpr(e), /^a == 1/, 'mapExpr does not change its input');
});

test('walk: eventQueries lists sequence stages, marks missing and until as negative', () => {
  const q = parseEql('sequence by h [file where true] ![process where true] [network where true] until [process where x == 1]') as Query;
  const s = eventQueries(q);
  assert.deepEqual(s.map((x) => [x.label, x.query.category, x.negative]), [
    ['stage 1', 'file', false], ['stage 2', 'process', true], ['stage 3', 'network', false], ['until', 'process', true],
  ]);
});

const valueCases: [string, string[], unknown[] | null][] = [
  ['event.code == "5145"', ['event', 'code'], ['5145']],
  ['event.code in ("1", "11") and x == 2', ['event', 'code'], ['1', '11']],
  ['event.code : "5145"', ['event', 'code'], ['5145']],
  ['event.code : "51*"', ['event', 'code'], null],
  ['event.code == "1" or event.code == "2"', ['event', 'code'], ['1', '2']],
  ['event.code == "1" or x == 2', ['event', 'code'], null],
  ['not event.code == "1"', ['event', 'code'], null],
  ['event.code in ("1", "2") and event.code == "2"', ['event', 'code'], ['2']],
];
for (const [text, field, want] of valueCases) {
  test(`requiredValues ${field.join('.')} of ${text}`, () => {
    const got = requiredValues(where(text), field);
    assert.deepEqual(got === null ? null : [...got], want);
  });
}

test('requiredEventIds folds "11" and 11', () => {
  assert.deepEqual([...requiredEventIds(where('EventID in (11, "11")'))!], [11]);
  assert.equal(requiredEventIds(where('EventID == "x"')), null);
});

const telemetryCases: [string, string | null][] = [
  ['event.code : "5145" and file.path != null and winlog.event_data.AccessList : "*%%4417*"', 'event.code : "5145"'],
  ['process.pid == 4 and file.extension : "exe"', 'process.pid == 4'],
  ['process.pid == 1234', null],
  ['(process.pid == 4 or (process.pid == null and process.name == "System")) and file.name == "x"', 'process.pid == 4 or process.pid == null and process.name == "System"'],
  ['process.pid == 4 or file.name == "x"', null],
  ['not event.code == "1"', null],
];
for (const [text, want] of telemetryCases) {
  test(`telemetryCondition of ${text}`, () => {
    const got = telemetryCondition(where(text));
    assert.equal(got === null ? null : formatExpr(got), want);
  });
}

test('telemetryNeeds of the built-in pack: each stage, deduplicated, PID 4 writer kept', () => {
  const { rules } = loadRulePack([]);
  const byId = new Map<string, Rule>(rules.map((r) => [r.id, r]));
  const strict = telemetryNeeds(byId.get('file-share-remote-exec')!);
  assert.deepEqual(strict.map((n) => [n.stage, n.category]), [['stage 1', 'file'], ['stage 2', 'process']]);
  assert.match(formatExpr(strict[0]!.condition!), /process\.pid == 4/);
  assert.match(formatExpr(strict[1]!.condition!), /event\.type == "start"/);
  const audit = telemetryNeeds(byId.get('file-share-remote-exec-security-audit')!);
  assert.equal(formatExpr(audit[0]!.condition!), 'event.code : "5145"');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../src/ir/types.js';
import { filterShownAlerts, parseFilters, ruleFilter, timeKey } from '../../src/output/filters.js';
import { sampleAlert } from './fixtures.js';

function rule(over: Partial<Rule>): Rule {
  return { id: 'r', name: 'r', source: 'x.yml', language: 'sigma', view: 'native', query: { kind: 'event' } as unknown as Rule['query'], severity: 'medium', ...over };
}

test('timeKey: dates, zones, fractions, end of period; rejects nonsense', () => {
  assert.equal(timeKey('2026-03-02', false), '2026-03-02T00:00:00.000000000');
  assert.equal(timeKey('2026-03-02', true), '2026-03-02T23:59:59.999999999');
  assert.equal(timeKey('2026-03-02 08:03', true), '2026-03-02T08:03:59.999999999');
  assert.equal(timeKey('2026-03-02T09:03:51.764837+01:00', false), '2026-03-02T08:03:51.764837000');
  assert.equal(timeKey('2026-03-02T08:03:51.764837Z', false), '2026-03-02T08:03:51.764837000');
  assert.equal(timeKey('2026-02-30', false), undefined);
  assert.equal(timeKey('yesterday', false), undefined);
});

test('parseFilters: bad level, status or time is a usage error naming the flag', () => {
  assert.match(parseFilters({ minLevel: 'severe' }).error ?? '', /--min-level/);
  assert.match(parseFilters({ status: ['stable,beta'] }).error ?? '', /--status .*'beta'/);
  assert.match(parseFilters({ start: 'soon' }).error ?? '', /--start/);
  assert.match(parseFilters({ start: '2026-03-03', end: '2026-03-02' }).error ?? '', /after --end/);
  assert.deepEqual(parseFilters({ status: ['Stable,test'], ruleTag: ['attack.T1021'] }).filters, { statuses: ['stable', 'test'], ruleTags: ['t1021'] });
});

test('ruleFilter: level, status (pack rules are stable), tags with sub-tags and MITRE ids', () => {
  const sigmaHigh = rule({ severity: 'high', meta: { status: 'experimental' }, tags: ['attack.lateral_movement', 'attack.t1021.002'] });
  const packMedium = rule({ language: 'eql', severity: 'medium', mitre: ['T1570'] });
  const f = (flags: Parameters<typeof parseFilters>[0]): ((r: Rule) => boolean) => ruleFilter(parseFilters(flags).filters)!;
  assert.equal(ruleFilter(parseFilters({}).filters), undefined);
  assert.deepEqual([sigmaHigh, packMedium].map(f({ minLevel: 'high' })), [true, false]);
  assert.deepEqual([sigmaHigh, packMedium].map(f({ status: ['stable'] })), [false, true]);
  assert.deepEqual([sigmaHigh, packMedium].map(f({ status: ['experimental'] })), [true, false]);
  assert.deepEqual([sigmaHigh, packMedium].map(f({ ruleTag: ['attack.t1021'] })), [true, false]);
  assert.deepEqual([sigmaHigh, packMedium].map(f({ ruleTag: ['attack.t1570'] })), [false, true]);
  assert.deepEqual([sigmaHigh, packMedium].map(f({ ruleTag: ['attack.t102'] })), [false, false], 'no partial word match');
});

test('filterShownAlerts: host (short name matches the FQDN), time window on the first event, level', () => {
  const a = sampleAlert({ host: 'ws-0007.corp.local', firstTime: '2026-03-02T08:03:51.764837Z' });
  const b = sampleAlert({ id: 'b', host: 'dc-01', firstTime: '2026-03-03T00:00:00Z', severity: 'critical' });
  const shown = (flags: Parameters<typeof parseFilters>[0]): string[] => filterShownAlerts([a, b], parseFilters(flags).filters).map((x) => x.id);
  assert.deepEqual(shown({ host: ['WS-0007'] }), ['a1b2c3']);
  assert.deepEqual(shown({ host: ['ws-00'] }), []);
  assert.deepEqual(shown({ end: '2026-03-02' }), ['a1b2c3']);
  assert.deepEqual(shown({ start: '2026-03-02T08:03:51.764838Z' }), ['b'], 'nanosecond-exact bound');
  assert.deepEqual(shown({ start: '2026-03-02T08:03:51.764837Z', end: '2026-03-02T08:03:51.764837Z' }), ['a1b2c3']);
  assert.deepEqual(shown({ minLevel: 'high' }), ['b']);
});

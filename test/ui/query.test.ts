import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAlert } from '../../src/ui/model/alert-kind.js';
import { flattenEvent, keyFields } from '../../src/ui/model/key-fields.js';
import { facets, filterAlerts, groupAlerts, NO_FILTERS, rowOf, sortAlerts, type UiAlert } from '../../src/ui/model/query.js';
import { reducer, initialState } from '../../src/ui/state/store.js';
import { shareAlert, sigmaAlert } from './fixtures.js';

function data(): UiAlert[] {
  return [
    shareAlert({ host: 'ws-0007', path: 'C:\\Windows\\PSEXESVC.exe', at: '2026-03-02T08:00:00.5Z', writerIp: '10.20.0.6', user: 'adm', severity: 'high' }),
    { ...sigmaAlert({ host: 'dc-1', at: '2026-03-02T07:00:00Z', rule: 'sigma-whoami', exe: 'C:\\Windows\\System32\\whoami.exe', severity: 'low' }), status: 'closed' },
    sigmaAlert({ host: 'DC-1', at: '2026-03-02T09:00:00.123456Z', rule: 'sigma-lsass', exe: 'C:\\Windows\\System32\\lsass.exe', severity: 'critical' }),
    shareAlert({ host: 'ws-0011', path: 'C:\\Windows\\a.exe', at: '2026-03-02T08:00:00.25Z', writerIp: '10.20.0.11', severity: 'medium' }),
  ];
}

test('filters: severity, rule, host (any case), user, source IP, status, time range, free text', () => {
  const alerts = data();
  const rows = alerts.map(rowOf);
  const f = (patch: Partial<typeof NO_FILTERS>): number[] => filterAlerts(alerts, rows, { ...NO_FILTERS, ...patch });
  assert.deepEqual(f({}), [0, 1, 2, 3]);
  assert.deepEqual(f({ severities: ['critical', 'high'] }), [0, 2]);
  assert.deepEqual(f({ rule: 'sigma-whoami' }), [1]);
  assert.deepEqual(f({ host: 'dc-1' }), [1, 2]);
  assert.deepEqual(f({ user: 'CORP\\adm' }), [0]);
  assert.deepEqual(f({ sourceIp: '10.20.0.11' }), [3]);
  assert.deepEqual(f({ status: 'closed' }), [1]);
  assert.deepEqual(f({ status: 'open' }), [0, 2, 3]);
  assert.deepEqual(f({ from: '2026-03-02T08:00', to: '2026-03-02T08:30' }), [0, 3]);
  assert.deepEqual(f({ from: '2026-03-02T09:00:00' }), [2]);
  assert.deepEqual(f({ text: 'psexesvc 10.20' }), [0]);
  assert.deepEqual(f({ text: 'LSASS' }), [2]);
});

test('sort by every column, both ways; time sorts sub-millisecond digits exactly', () => {
  const alerts = data();
  const rows = alerts.map(rowOf);
  const all = (): number[] => [0, 1, 2, 3];
  assert.deepEqual(sortAlerts(all(), alerts, rows, { key: 'time', dir: 'asc' }), [1, 3, 0, 2]);
  assert.deepEqual(sortAlerts(all(), alerts, rows, { key: 'time', dir: 'desc' }), [2, 0, 3, 1]);
  assert.deepEqual(sortAlerts(all(), alerts, rows, { key: 'severity', dir: 'desc' }), [2, 0, 3, 1]);
  assert.deepEqual(sortAlerts(all(), alerts, rows, { key: 'host', dir: 'asc' }).map((i) => alerts[i]!.host.toLowerCase()), ['dc-1', 'dc-1', 'ws-0007', 'ws-0011']);
  assert.deepEqual(sortAlerts(all(), alerts, rows, { key: 'sourceIp', dir: 'desc' }).slice(0, 2), [3, 0]);
  assert.deepEqual(sortAlerts(all(), alerts, rows, { key: 'status', dir: 'asc' }).at(0), 1);
  for (const key of ['rule', 'user', 'path', 'gap'] as const) {
    const up = sortAlerts(all(), alerts, rows, { key, dir: 'asc' });
    const down = sortAlerts(all(), alerts, rows, { key, dir: 'desc' });
    assert.equal(up.length, 4);
    assert.notDeepEqual(up, down, key);
  }
  // Same millisecond, different microseconds.
  const a = sigmaAlert({ host: 'h', at: '2026-03-02T08:00:00.123400Z', rule: 'r' });
  const b = sigmaAlert({ host: 'h', at: '2026-03-02T08:00:00.1233Z', rule: 'r' });
  assert.deepEqual(sortAlerts([0, 1], [a, b], [a, b].map(rowOf), { key: 'time', dir: 'asc' }), [1, 0]);
  // An alert whose event had no readable time (firstTime '') comes last both ways.
  const withTimeless = [...alerts, sigmaAlert({ host: 'h', at: '', rule: 'r' })];
  const trows = withTimeless.map(rowOf);
  assert.deepEqual(sortAlerts([4, 0, 1, 2, 3], withTimeless, trows, { key: 'time', dir: 'asc' }), [1, 3, 0, 2, 4]);
  assert.deepEqual(sortAlerts([4, 0, 1, 2, 3], withTimeless, trows, { key: 'time', dir: 'desc' }), [2, 0, 3, 1, 4]);
});

test('group by rule and host with counts, largest group first', () => {
  const alerts = data();
  const rows = alerts.map(rowOf);
  const byHost = groupAlerts([0, 1, 2, 3], alerts, rows, 'host');
  assert.deepEqual(byHost.map((g) => [g.key, g.members.length]), [['dc-1', 2], ['ws-0007', 1], ['ws-0011', 1]]);
  const byRule = groupAlerts([0, 1, 2, 3], alerts, rows, 'rule');
  assert.equal(byRule[0]!.key, 'file-share-remote-exec');
  assert.equal(byRule[0]!.members.length, 2);
  const f = facets(alerts, rows);
  assert.deepEqual(f.host[0], { value: 'dc-1', label: 'dc-1', count: 2 });
  assert.equal(f.sourceIp.length, 2);
});

test('alert kinds: write → run with a writer is file-share; one event is single, even with a writer', () => {
  const [fs, sg] = data();
  assert.equal(classifyAlert(fs!), 'file-share');
  assert.equal(classifyAlert(sg!), 'single');
  assert.equal(classifyAlert({ ...sg!, writer: { ip: '1.2.3.4', evidence: 'Security 5145 (matched event)' } }), 'single');
  const seq = { ...sg!, events: [sg!.events[0]!, { ...sg!.events[0]!, position: 999 }] };
  assert.equal(classifyAlert(seq), 'multi');
});

test('key fields by event type and every raw field', () => {
  const ev = { '@timestamp': 't', process: { executable: 'C:\\x.exe', command_line: 'x /y', pid: 5 }, event: { category: ['process'], type: ['start'] }, tags: ['a', 'b'], nested: [{ k: 1 }] };
  assert.deepEqual(keyFields(ev, 'process-start'), [['process.executable', 'C:\\x.exe'], ['process.command_line', 'x /y'], ['process.pid', '5']]);
  const flat = flattenEvent(ev);
  assert.deepEqual(flat.map(([k]) => k), ['@timestamp', 'event.category', 'event.type', 'nested[0].k', 'process.command_line', 'process.executable', 'process.pid', 'tags']);
  assert.deepEqual(flat.find(([k]) => k === 'tags'), ['tags', 'a, b']);
});

test('reducer: load, upsert (live), filters, sort toggling, grouping, selection', () => {
  let s = reducer(initialState, { type: 'alerts/LOADED', alerts: data() });
  assert.equal(s.alerts.length, 4);
  assert.equal(s.byId.get(s.alerts[2]!.id), 2);
  const v = s.version;
  s = reducer(s, { type: 'alerts/UPSERT', alerts: [{ ...s.alerts[0]!, status: 'acknowledged', events: [] }, sigmaAlert({ host: 'new', at: '2026-03-02T10:00:00Z', rule: 'r' })] });
  assert.equal(s.alerts.length, 5);
  assert.equal(s.rows[0]!.status, 'acknowledged');
  assert.equal(s.alerts[0]!.events.length, 2, 'an update without events keeps the known events');
  assert.ok(s.version > v);
  s = reducer(s, { type: 'sort/BY', key: 'host' });
  assert.deepEqual(s.sort, { key: 'host', dir: 'asc' });
  s = reducer(s, { type: 'sort/BY', key: 'host' });
  assert.deepEqual(s.sort, { key: 'host', dir: 'desc' });
  s = reducer(s, { type: 'sort/BY', key: 'gap' });
  assert.deepEqual(s.sort, { key: 'gap', dir: 'desc' });
  s = reducer(s, { type: 'filters/SET', patch: { host: 'dc-1' } });
  assert.equal(s.filters.host, 'dc-1');
  s = reducer(s, { type: 'filters/RESET' });
  assert.equal(s.filters.host, '');
  s = reducer(s, { type: 'group/SET', group: 'host' });
  s = reducer(s, { type: 'group/TOGGLE', key: 'dc-1' });
  assert.ok(s.collapsed.has('dc-1'));
  s = reducer(s, { type: 'group/TOGGLE', key: 'dc-1' });
  assert.ok(!s.collapsed.has('dc-1'));
  s = reducer(s, { type: 'alert/SELECT', id: 'x' });
  assert.equal(s.selectedId, 'x');
});

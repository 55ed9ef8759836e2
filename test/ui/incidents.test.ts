import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeIncidents } from '../../src/ui/model/incidents.js';
import { shareAlert, sigmaAlert } from './fixtures.js';

const ids = (alerts: { id: string }[], members: number[]): string[] => members.map((i) => alerts[i]!.id);

test('the same write/execution seen by two rules is one incident', () => {
  const a = shareAlert({ host: 'ws-0007', path: 'C:\\Windows\\x.exe', at: '2026-03-02T08:00:00.000Z', writerIp: '10.0.0.5', rule: 'file-share-remote-exec' });
  const b = shareAlert({ host: 'WS-0007', path: 'c:\\windows\\X.EXE', at: '2026-03-02T08:00:00.050Z', rule: 'file-share-remote-exec-mz-header' });
  const { incidents, incidentOf } = mergeIncidents([a, b]);
  assert.equal(incidents.length, 1);
  assert.deepEqual(incidents[0]!.reasons, ['same-execution']);
  assert.deepEqual(incidents[0]!.rules, ['file-share-remote-exec', 'file-share-remote-exec-mz-header']);
  assert.equal(incidentOf[0], incidentOf[1]);
});

test('the same path on the same host outside the window, or on another host, stays apart', () => {
  const a = shareAlert({ host: 'ws-1', path: 'C:\\Windows\\x.exe', at: '2026-03-02T08:00:00Z' });
  const later = shareAlert({ host: 'ws-1', path: 'C:\\Windows\\x.exe', at: '2026-03-02T08:02:00.001Z' });
  const other = shareAlert({ host: 'ws-2', path: 'C:\\Windows\\x.exe', at: '2026-03-02T08:00:00Z' });
  assert.equal(mergeIncidents([a, later, other]).incidents.length, 3);
  // Two minutes exactly is inside the default window; a wider window merges the later one.
  assert.equal(mergeIncidents([a, later], { sameExecutionWindowMs: 180_000 }).incidents.length, 1);
});

test('one writer touching several hosts within the window is one incident; chains extend it', () => {
  const x = [
    shareAlert({ host: 'ws-1', path: 'C:\\a.exe', at: '2026-03-02T08:00:00Z', writerIp: '172.16.40.23' }),
    shareAlert({ host: 'ws-2', path: 'C:\\b.exe', at: '2026-03-02T08:20:00Z', writerIp: '172.16.40.23' }),
    shareAlert({ host: 'ws-3', path: 'C:\\c.exe', at: '2026-03-02T08:45:00Z', writerIp: '172.16.40.23' }), // 25 min after the previous: chained
    shareAlert({ host: 'ws-4', path: 'C:\\d.exe', at: '2026-03-02T10:00:00Z', writerIp: '172.16.40.23' }), // 75 min later: new incident
    shareAlert({ host: 'ws-5', path: 'C:\\e.exe', at: '2026-03-02T08:10:00Z', writerIp: '10.9.9.9' }), // other writer
  ];
  const { incidents } = mergeIncidents(x);
  assert.equal(incidents.length, 3);
  const first = incidents[0]!;
  assert.deepEqual(ids(x, first.members), [x[0]!.id, x[1]!.id, x[2]!.id]);
  assert.deepEqual(first.hosts, ['ws-1', 'ws-2', 'ws-3']);
  assert.deepEqual(first.writers, ['172.16.40.23']);
  assert.deepEqual(first.reasons, ['same-writer']);
  assert.equal(first.id, `inc-${x[0]!.id}`);
  // Incidents are ordered by their first alert.
  assert.deepEqual(incidents.map((i) => i.members.length), [3, 1, 1]);
  assert.equal(incidents[1]!.hosts[0], 'ws-5');
});

test('an account names the writer when there is no address', () => {
  const a = shareAlert({ host: 'ws-1', path: 'C:\\a.exe', at: '2026-03-02T08:00:00Z', user: 'adm' });
  const b = shareAlert({ host: 'ws-2', path: 'C:\\b.exe', at: '2026-03-02T08:05:00Z', user: 'ADM' });
  const c = shareAlert({ host: 'ws-3', path: 'C:\\c.exe', at: '2026-03-02T08:05:00Z', user: 'other' });
  assert.equal(mergeIncidents([a, b, c]).incidents.length, 2);
});

test('Sigma alerts without a writer never merge by writer; one event matched by two rules does', () => {
  const s1 = sigmaAlert({ host: 'dc-1', at: '2026-03-02T08:00:00Z', rule: 'r1', position: 77 });
  const s2 = sigmaAlert({ host: 'dc-1', at: '2026-03-02T08:00:00Z', rule: 'r2', position: 77 });
  const s3 = sigmaAlert({ host: 'dc-2', at: '2026-03-02T08:00:01Z', rule: 'r1', position: 78 });
  const s4 = sigmaAlert({ host: 'dc-3', at: '2026-03-02T08:00:02Z', rule: 'r1', position: 79 });
  const { incidents } = mergeIncidents([s1, s2, s3, s4]);
  assert.equal(incidents.length, 3);
  assert.deepEqual(incidents[0]!.reasons, ['same-event']);
  assert.equal(incidents[0]!.members.length, 2);
  assert.equal(incidents[0]!.severity, 'high');
});

test('severity is the highest of the members; lastTime the latest', () => {
  const a = shareAlert({ host: 'ws-1', path: 'C:\\a.exe', at: '2026-03-02T08:00:00Z', writerIp: '1.1.1.1', severity: 'low' });
  const b = shareAlert({ host: 'ws-2', path: 'C:\\b.exe', at: '2026-03-02T08:01:00Z', writerIp: '1.1.1.1', severity: 'critical' });
  const [inc] = mergeIncidents([a, b]).incidents;
  assert.equal(inc!.severity, 'critical');
  assert.equal(inc!.lastTime, b.lastTime);
});

test('20k alerts: every alert lands in exactly one incident', () => {
  const alerts = Array.from({ length: 20_000 }, (_, i) =>
    shareAlert({ host: `ws-${i % 500}`, path: `C:\\p${i % 900}.exe`, at: new Date(Date.UTC(2026, 2, 2) + i * 1000).toISOString(), writerIp: i % 3 ? `10.0.${i % 50}.1` : undefined }),
  );
  const { incidents, incidentOf } = mergeIncidents(alerts);
  // Every alert is in exactly one incident.
  assert.equal(incidents.reduce((s, x) => s + x.members.length, 0), alerts.length);
  for (const [k, inc] of incidents.entries()) for (const i of inc.members) assert.equal(incidentOf[i], k);
});

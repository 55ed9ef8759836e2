import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertStats, formatGroups, formatStats, groupAlerts, parseGroupBy } from '../../src/output/groups.js';
import { epochMicros, formatTimelineCsv, formatTimesketchJsonl, hayabusaTime, TIMELINE_COLUMNS } from '../../src/output/timeline.js';
import { sampleAlert } from './fixtures.js';

const alerts = [
  sampleAlert({ id: '1', host: 'ws-1', firstTime: '2026-03-02T08:00:00.5Z' }),
  sampleAlert({ id: '2', host: 'ws-2', firstTime: '2026-03-02T07:00:00Z', severity: 'high' }),
  sampleAlert({ id: '3', host: 'ws-1', firstTime: '2026-03-02T09:00:00Z' }),
  sampleAlert({ id: '4', host: 'ws-1', ruleId: '93820dc7-8c6d-4fb9-9558-ad0f09a2d1b8', ruleName: 'Sigma Title', firstTime: '2026-03-02T08:00:00Z', severity: 'low' }),
];

test('parseGroupBy: rule, host, rule,host in any order; nothing else', () => {
  assert.equal(parseGroupBy('rule'), 'rule');
  assert.equal(parseGroupBy('Host'), 'host');
  assert.equal(parseGroupBy('host,rule'), 'rule,host');
  assert.equal(parseGroupBy('rule,rule'), undefined);
  assert.equal(parseGroupBy('user'), undefined);
});

test('groupAlerts: counts, distinct hosts and rules, first/last time, highest severity, biggest first', () => {
  const byRule = groupAlerts(alerts, 'rule');
  assert.equal(byRule.length, 2);
  assert.deepEqual(
    { ...byRule[0] },
    { ruleId: 'file-share-remote-exec', ruleName: byRule[0]!.ruleName, severity: 'high', count: 3, hosts: ['ws-1', 'ws-2'], rules: ['file-share-remote-exec'], firstTime: '2026-03-02T07:00:00Z', lastTime: '2026-03-02T09:00:00Z' },
  );
  const byHost = groupAlerts(alerts, 'host');
  assert.deepEqual(byHost.map((g) => [g.host, g.count, g.rules.length, g.firstTime]), [['ws-1', 3, 2, '2026-03-02T08:00:00Z'], ['ws-2', 1, 1, '2026-03-02T07:00:00Z']]);
  const both = groupAlerts(alerts, 'rule,host');
  assert.deepEqual(both.map((g) => `${g.ruleId}@${g.host}:${g.count}`), ['file-share-remote-exec@ws-1:2', 'file-share-remote-exec@ws-2:1', '93820dc7-8c6d-4fb9-9558-ad0f09a2d1b8@ws-1:1'], 'ties: higher severity first');
});

test('groupAlerts: an alert whose event had no readable time (firstTime empty) leaves the group first/last time to the timed ones', () => {
  const timeless = sampleAlert({ id: '5', host: 'ws-1', firstTime: '', lastTime: '' });
  for (const order of [[timeless, ...alerts], [...alerts, timeless]]) {
    const g = groupAlerts(order, 'rule').find((x) => x.ruleId === 'file-share-remote-exec')!;
    assert.deepEqual([g.count, g.firstTime, g.lastTime], [4, '2026-03-02T07:00:00Z', '2026-03-02T09:00:00Z']);
  }
  const only = groupAlerts([timeless], 'host');
  assert.deepEqual([only[0]!.firstTime, only[0]!.lastTime], ['', '']);
  assert.match(formatStats(alertStats([timeless])), /^  ws-1\s+1\s+1 rule\s+no time$/m);
  assert.match(formatStats(alertStats([timeless, ...alerts])), /^  file-share-remote-exec\s+4\s+2 hosts\s+2026-03-02 07:00:00 – 2026-03-02 09:00:00$/m);
});

test('group table: one line per group, Sigma titles instead of UUIDs; JSON and CSV carry the same groups', () => {
  const text = formatGroups(groupAlerts(alerts, 'rule'), 'rule', 'table', { width: Number.POSITIVE_INFINITY });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^COUNT\s+SEVERITY\s+RULE\s+FIRST \(UTC\)\s+LAST \(UTC\)\s+HOSTS$/);
  assert.match(lines[2]!, /^\s+3\s+high\s+file-share-remote-exec\s+2026-03-02 07:00:00\s+2026-03-02 09:00:00\s+2: ws-1, ws-2$/);
  assert.match(lines[3]!, /Sigma Title/);
  const json = JSON.parse(formatGroups(groupAlerts(alerts, 'host'), 'host', 'json')) as { host: string; count: number }[];
  assert.deepEqual(json.map((g) => [g.host, g.count]), [['ws-1', 3], ['ws-2', 1]]);
  const csv = formatGroups(groupAlerts(alerts, 'rule,host'), 'rule,host', 'csv').trimEnd().split('\r\n');
  assert.equal(csv[0], 'count,severity,rule_id,rule_name,host,first_time,last_time,hosts,rules');
  assert.equal(csv.length, 4);
});

test('summary statistics: per rule and per host, limited on stderr with a pointer to the JSON', () => {
  const text = formatStats(alertStats(alerts));
  assert.match(text, /^Alerts per rule/m);
  assert.match(text, /^  file-share-remote-exec\s+3\s+2 hosts\s+2026-03-02 07:00:00 – 2026-03-02 09:00:00$/m);
  assert.match(text, /^Alerts per host/m);
  assert.match(text, /^  ws-1\s+3\s+2 rules/m);
  assert.match(formatStats(alertStats(alerts), { max: 1 }), /… 1 more \(all in --summary-json\)/);
  assert.equal(formatStats(alertStats([])), '');
});

test('timeline CSV: Hayabusa column order, one row per matched event in time order', () => {
  const a = sampleAlert({ events: [
    { file: 'a.evtx', event: { event: { code: '11' }, winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', record_id: 18446744073709551615n, event_data: { TargetFilename: 'C:\\x.exe', RuleName: '-', Extra: 'kept' } }, file: { path: 'C:\\x.exe' } } },
    { file: 'a.evtx', event: { event: { code: '1' }, winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', record_id: 8 }, process: { command_line: 'x.exe -run' } } },
  ], firstTime: '2026-03-02T08:03:51.764837Z', lastTime: '2026-03-02T08:03:51.979Z' });
  const early = sampleAlert({ id: 'early', firstTime: '2026-03-01T00:00:00Z', lastTime: '2026-03-01T00:00:00Z', events: [{ file: 'b.evtx', event: {} }] });
  const rows = formatTimelineCsv([a, early]).trimEnd().split('\r\n');
  assert.equal(rows[0], TIMELINE_COLUMNS.join(','));
  assert.deepEqual(TIMELINE_COLUMNS.slice(0, 9), ['Timestamp', 'Computer', 'Channel', 'EventID', 'Level', 'RecordID', 'RuleTitle', 'Details', 'ExtraFieldInfo']);
  assert.equal(rows.length, 4);
  assert.match(rows[1]!, /^2026-03-01 00:00:00 \+00:00,ws-0007,/);
  assert.match(rows[2]!, /^2026-03-02 08:03:51\.764837 \+00:00,ws-0007,Microsoft-Windows-Sysmon\/Operational,11,medium,18446744073709551615,Remote Execution via File Shares – Creation by System,Path: C:\\x\.exe,Extra: kept,file-share-remote-exec,a1b2c3,a\.evtx$/);
  assert.match(rows[3]!, /^2026-03-02 08:03:51\.979 \+00:00,.*,1,medium,8,.*Cmdline: x\.exe -run/);
  assert.equal(hayabusaTime('2026-03-02T08:03:51Z'), '2026-03-02 08:03:51 +00:00');
  // An alert whose event had no readable time comes last, as in the alert order.
  const timeless = sampleAlert({ id: 'timeless', firstTime: '', lastTime: '', events: [{ file: 'c.json', event: {} }] });
  const withTimeless = formatTimelineCsv([timeless, a, early]).trimEnd().split('\r\n');
  assert.equal(withTimeless.length, 5);
  assert.match(withTimeless[1]!, /^2026-03-01 00:00:00 \+00:00,/);
  assert.match(withTimeless[4]!, /^,ws-0007,.*,timeless,c\.json$/);
});

test('Timesketch JSONL: message, datetime, timestamp_desc and microsecond timestamp on every line', () => {
  const lines = formatTimesketchJsonl([sampleAlert()]).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  for (const l of lines) {
    assert.equal(typeof l.message, 'string');
    assert.equal(typeof l.datetime, 'string');
    assert.equal(l.timestamp_desc, 'Event Time');
    assert.equal(l.computer, 'ws-0007');
  }
  assert.equal(lines[0]!.datetime, '2026-03-02T08:03:51.764837Z');
  assert.equal(lines[0]!.timestamp, 1772438631764837);
  assert.match(String(lines[0]!.message), /^\[medium\] Remote Execution via File Shares – Creation by System: Path: C:\\Windows\\PSEXESVC\.exe/);
  assert.equal(epochMicros('1970-01-01T00:00:01.000002Z'), 1_000_002);
});

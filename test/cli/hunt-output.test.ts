import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedOrSkip } from '../helpers/shared.js';
import { runCli } from './run-cli.js';

const P1 = ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx'];
const SIGMA_ID = '93820dc7-8c6d-4fb9-9558-ad0f09a2d1b8';

interface AlertJson {
  ruleId: string;
  host: string;
  severity: string;
  details?: string;
}

const ids = (stdout: string): string[] => (JSON.parse(stdout) as AlertJson[]).map((a) => a.ruleId).sort();

test('hunt filters: --min-level, --status, --rule-tag narrow the rules; --host, --start/--end the alerts', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const base = ['hunt', p1, '--sigma', 'rules/sigma', '-f', 'json'];
  const [all, high, stable, experimental, tag, host, otherHost, before, inside] = await Promise.all([
    runCli(base),
    runCli([...base, '--min-level', 'high']),
    runCli([...base, '--status', 'stable']),
    runCli([...base, '--status', 'experimental,test']),
    runCli([...base, '--rule-tag', 'smb']),
    runCli([...base, '--host', '04246W-WIN10']),
    runCli([...base, '--host', 'dc-01']),
    runCli([...base, '--end', '2020-08-26']),
    runCli([...base, '--start', '2020-08-27T11:40:56.396Z', '--end', '2020-08-27 11:40']),
  ]);
  assert.deepEqual(ids(all.stdout), [SIGMA_ID, 'file-share-remote-exec']);
  assert.deepEqual(ids(high.stdout), [SIGMA_ID], high.stderr);
  assert.match(high.stderr, /rules loaded\s+1\b/, 'level filters the rules before the hunt');
  assert.deepEqual(ids(stable.stdout), ['file-share-remote-exec'], 'pack rules count as stable; the Sigma rule is not');
  assert.deepEqual(ids(experimental.stdout), [SIGMA_ID]);
  assert.deepEqual(ids(tag.stdout), ['file-share-remote-exec']);
  assert.deepEqual(ids(host.stdout), [SIGMA_ID, 'file-share-remote-exec'], 'short host name, any case');
  assert.deepEqual(ids(otherHost.stdout), []);
  assert.equal(otherHost.code, 0, 'no alert shown: exit 0');
  assert.deepEqual(ids(before.stdout), []);
  assert.deepEqual(ids(inside.stdout), [SIGMA_ID, 'file-share-remote-exec']);
});

test('hunt filters: a bad value is a usage error (exit 2) before any hunting', async () => {
  for (const args of [['--min-level', 'severe'], ['--status', 'beta'], ['--start', 'tomorrow']]) {
    const r = await runCli(['hunt', 'no-such-file', ...args]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(args[0]!));
  }
});

test('hunt --group-by, --format timeline / jsonl-timesketch, statistics in the summary and --summary-json', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const dir = mkdtempSync(join(tmpdir(), 'spoor-hunt-output-'));
  try {
    const summaryFile = join(dir, 's.json');
    const base = ['hunt', p1, '--sigma', 'rules/sigma'];
    const [grouped, groupedJson, timeline, sketch, withSummary, badGroup, badCombo] = await Promise.all([
      runCli([...base, '--group-by', 'host']),
      runCli([...base, '--group-by', 'rule,host', '-f', 'json']),
      runCli([...base, '-f', 'timeline']),
      runCli([...base, '-f', 'jsonl-timesketch']),
      runCli([...base, '-f', 'json', '--summary-json', summaryFile, '--host', 'nowhere']),
      runCli([...base, '--group-by', 'user']),
      runCli([...base, '--group-by', 'rule', '-f', 'timeline']),
    ]);
    assert.equal(grouped.code, 1, grouped.stderr);
    const rows = grouped.stdout.trimEnd().split('\n');
    assert.equal(rows.length, 3, grouped.stdout);
    assert.match(rows[2]!, /^\s+2\s+high\s+04246w-win10\.threebeesco\.com\s+2020-08-27 11:40:56\.396\s+2020-08-27 11:40:56\.396\s+2: /);
    assert.match(grouped.stderr, /^Alerts per rule/m);
    assert.match(grouped.stderr, /^Alerts per host[^\n]*\n  04246w-win10\.threebeesco\.com\s+2\s+2 rules/m);
    const groups = JSON.parse(groupedJson.stdout) as { ruleId: string; host: string; count: number }[];
    assert.deepEqual(groups.map((g) => g.count), [1, 1]);

    const csv = timeline.stdout.trimEnd().split('\r\n');
    assert.match(csv[0]!, /^Timestamp,Computer,Channel,EventID,Level,RecordID,RuleTitle,Details,ExtraFieldInfo,/);
    assert.equal(csv.length, 5, 'two alerts, two matched events each');
    assert.match(csv[1]!, /^2020-08-27 11:40:56\.396 \+00:00,04246w-win10\.threebeesco\.com,Microsoft-Windows-Sysmon\/Operational,11,(high|medium),263572,/);
    assert.match(csv[4]!, /,1,(high|medium),263573,.*Cmdline: C:\\WINDOWS\\PSEXESVC\.exe/);

    const lines = sketch.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 4);
    for (const l of lines) for (const k of ['message', 'datetime', 'timestamp_desc']) assert.ok(l[k], `${k} in ${JSON.stringify(l)}`);

    assert.equal(withSummary.code, 0, 'every alert filtered out: exit 0');
    assert.match(withSummary.stderr, /filtered out\s+2 alerts/);
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { alerts: number; alertsFilteredOut: number; alertStats: { byRule: unknown[]; byHost: unknown[] } };
    assert.equal(s.alerts, 0);
    assert.equal(s.alertsFilteredOut, 2);
    assert.deepEqual(s.alertStats, { byRule: [], byHost: [] });

    assert.equal(badGroup.code, 2);
    assert.match(badGroup.stderr, /--group-by takes rule \| host \| rule,host/);
    assert.equal(badCombo.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--summary-json carries per-rule and per-host statistics', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const dir = mkdtempSync(join(tmpdir(), 'spoor-hunt-output-'));
  try {
    const file = join(dir, 's.json');
    const r = await runCli(['hunt', p1, '-f', 'csv', '--summary-json', file]);
    assert.equal(r.code, 1, r.stderr);
    const head = r.stdout.split('\r\n')[0]!;
    assert.match(head, /,details,channel,event_id,record_id$/);
    const s = JSON.parse(readFileSync(file, 'utf8')) as { alertStats: { byRule: { ruleId: string; count: number; hosts: string[] }[]; byHost: { host: string; rules: string[] }[] } };
    assert.deepEqual(s.alertStats.byRule.map((g) => [g.ruleId, g.count, g.hosts]), [['file-share-remote-exec', 1, ['04246w-win10.threebeesco.com']]]);
    assert.deepEqual(s.alertStats.byHost.map((g) => [g.host, g.rules]), [['04246w-win10.threebeesco.com', ['file-share-remote-exec']]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Zone-less times never mixed silently (issue 10 item 6). test/fixtures/nxlog-local-time.ndjson is
 * nxlog-style flat JSON of host WKS01 whose collector writes EventTime in local time, UTC−4, without
 * a zone; its Sysmon events also carry UtcTime. Two PsExec-like runs: 5145 (ADMIN$ write of
 * PSEXESVC.exe) → Sysmon 1, and ten minutes later Sysmon 11 (System writes updsvc.exe) → 4688. The
 * Security events come first in the file, before any event that shows the offset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHunt } from '../../src/hunt/run.js';
import { parseTimeZone } from '../../src/events/timestamp.js';
import type { HuntResult } from '../../src/hunt/types.js';
import { repoRoot } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'nxlog-local-time.ndjson');

function times(r: HuntResult): string[] {
  return r.alerts.map((a) => `${a.ruleId} ${a.firstTime} ${a.lastTime}`).sort();
}

const EXPECTED = [
  'file-share-remote-exec 2020-09-21T23:13:52.100Z 2020-09-21T23:13:54.000Z',
  'file-share-remote-exec-security-audit 2020-09-21T23:03:51.000Z 2020-09-21T23:03:53.300Z',
];

test('offset learned per host: both cross-channel sequences found once, at the right UTC times', async () => {
  const r = await runHunt({ inputs: [FIXTURE], workers: 0, progress: false });
  assert.deepEqual(times(r), EXPECTED);
  assert.deepEqual(r.summary.timeZones, [{ host: 'wks01.corp.example', basis: 'learned', zone: '-04:00', events: 4, learnedFrom: 2 }]);
});

test('the same in a worker thread (offsets learned before the run travel with it)', async () => {
  const r = await runHunt({ inputs: [FIXTURE], workers: 1, progress: false });
  assert.deepEqual(times(r), EXPECTED);
  assert.equal(r.summary.timeZones?.[0]?.basis, 'learned');
});

test('Security and Sysmon in separate files of one host: one clock for both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-tz-'));
  try {
    const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const sysmon = lines.filter((l) => l.includes('"Channel":"Microsoft-Windows-Sysmon/Operational"'));
    writeFileSync(join(dir, 'security.ndjson'), lines.filter((l) => !sysmon.includes(l)).join('\n') + '\n');
    writeFileSync(join(dir, 'sysmon.ndjson'), sysmon.join('\n') + '\n');
    const r = await runHunt({ inputs: [dir], workers: 0, progress: false });
    assert.deepEqual(times(r), EXPECTED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--utc reads zone-less times as UTC (and says the Sysmon events disagree); --timezone names the zone', async () => {
  const utc = await runHunt({ inputs: [FIXTURE], workers: 0, progress: false, timeZone: parseTimeZone('UTC')! });
  // Read as UTC, the Security events sit 4 h before the Sysmon events: the cross-channel sequences miss.
  assert.deepEqual(times(utc), ['file-share-remote-exec-security-audit 2020-09-21T19:03:51.000Z 2020-09-21T19:03:54.000Z']);
  assert.deepEqual(utc.summary.timeZones, [{ host: 'wks01.corp.example', basis: 'given', zone: '+00:00', events: 4, disagreements: 2 }]);
  for (const zone of ['-04:00', 'America/New_York']) {
    const r = await runHunt({ inputs: [FIXTURE], workers: 0, progress: false, timeZone: parseTimeZone(zone)! });
    assert.deepEqual(times(r), EXPECTED, zone);
    assert.equal(r.summary.timeZones?.[0]?.disagreements, undefined, zone);
  }
});

test('nothing to learn from: zone-less times are read as UTC and the summary says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-tz-'));
  try {
    const security = readFileSync(FIXTURE, 'utf8').trim().split('\n').filter((l) => l.includes('"Channel":"Security"'));
    const file = join(dir, 'security.ndjson');
    writeFileSync(file, security.join('\n') + '\n');
    const r = await runHunt({ inputs: [file], workers: 0, progress: false });
    assert.deepEqual(r.summary.timeZones, [{ host: 'wks01.corp.example', basis: 'assumed-utc', zone: '+00:00', events: 4 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: --timezone and --utc on hunt, query and dump; the summary names the assumption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-tz-'));
  try {
    const summaryFile = join(dir, 'summary.json');
    const hunt = await runCli(['hunt', FIXTURE, '--no-progress', '-f', 'json', '--summary-json', summaryFile]);
    assert.equal(hunt.code, 1, hunt.stderr);
    assert.match(hunt.stderr, /time zones[\s\S]*wks01\.corp\.example: 4 events read as UTC-04:00 \(learned from 2 events carrying both\)/);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { timeZones: unknown };
    assert.deepEqual(summary.timeZones, [{ host: 'wks01.corp.example', basis: 'learned', zone: '-04:00', events: 4, learnedFrom: 2 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = await runCli(['hunt', FIXTURE, '--timezone', 'Mars/Olympus']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--timezone 'Mars\/Olympus'/);
  const both = await runCli(['dump', FIXTURE, '--utc', '--timezone', '+01:00']);
  assert.equal(both.code, 2);
  const dump = await runCli(['dump', FIXTURE, '--view', 'ecs', '--timezone', 'America/New_York']);
  assert.equal(dump.code, 0, dump.stderr);
  const stamps = dump.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { '@timestamp': string })['@timestamp']);
  assert.deepEqual(stamps, [
    '2020-09-21T23:03:50.000Z',
    '2020-09-21T23:03:51.000Z',
    '2020-09-21T23:03:53.300Z',
    '2020-09-21T23:03:54.000Z',
    '2020-09-21T23:13:52.100Z',
    '2020-09-21T23:13:54.000Z',
  ]);
  assert.match(dump.stderr, /time zone: wks01\.corp\.example: 4 events read as America\/New_York \(given\)/);
  const q = await runCli(['query', 'process where event.code == "4688"', FIXTURE, '-f', 'ndjson']);
  assert.equal(q.code, 1, q.stderr); // 1 = results
  const qt = q.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { '@timestamp': string })['@timestamp']);
  assert.deepEqual(qt, ['2020-09-21T23:03:54.000Z', '2020-09-21T23:13:54.000Z']);
  assert.match(q.stderr, /learned from 2 events/);
});

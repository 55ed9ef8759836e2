/** Share-write review (src/shares/): rows, attribution, execution, counting, CLI formats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewShares } from '../../src/shares/index.js';
import type { SourceProblem } from '../../src/sources/types.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';
import { logon4624, ndjson, process4688, share5145, sysmon1, sysmon11 } from './fixtures.js';

const FS = 'FS01.corp.example';
const WS = 'WS02.corp.example';

function fleet(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-shares-'));
  // Security log of FS01: a write of evil.exe to ADMIN$ (two access checks 20 ms apart = one write),
  // a second write an hour later, a read-only check and a text file (neither kept), then 4688 of evil.exe.
  writeFileSync(join(dir, 'fs01-security.ndjson'), ndjson([
    share5145(FS, '2024-03-05T10:00:00.100Z', 'evil.exe'),
    share5145(FS, '2024-03-05T10:00:00.120Z', 'evil.exe'),
    share5145(FS, '2024-03-05T10:00:01.000Z', 'notes.txt'),
    share5145(FS, '2024-03-05T10:00:02.000Z', 'other.exe', { access: '%%4416' }),
    process4688(FS, '2024-03-05T10:00:03.000Z', 'C:\\Windows\\evil.exe'),
    share5145(FS, '2024-03-05T11:00:00.000Z', 'evil.exe'),
    share5145(FS, '2024-03-05T11:05:00.000Z', 'Temp\\drop.dll', { share: '\\\\*\\C$', local: '\\??\\C:\\', user: 'svc_backup', ip: '10.0.0.9' }),
  ]));
  // WS02: Sysmon sees System write tool.dll and run.exe; the network logon that explains them is in
  // the Security file, read after (file order is not time order). run.exe is started, tool.dll is not.
  writeFileSync(join(dir, 'ws02-sysmon.ndjson'), ndjson([
    sysmon11(WS, '2024-03-05T09:00:10.000Z', 'C:\\Windows\\Temp\\tool.dll'),
    sysmon11(WS, '2024-03-05T09:00:11.000Z', 'C:\\Users\\Public\\run.exe'),
    sysmon11(WS, '2024-03-05T09:00:12.000Z', 'C:\\Users\\Public\\local.exe', 5120, 'C:\\Tools\\copy.exe'),
    sysmon1(WS, '2024-03-05T09:00:13.000Z', 'C:\\Users\\Public\\run.exe'),
    sysmon1(WS, '2024-03-05T08:00:00.000Z', 'C:\\Windows\\Temp\\tool.dll'),
  ]));
  writeFileSync(join(dir, 'ws02-security.ndjson'), ndjson([
    logon4624(WS, '2024-03-05T08:59:50.000Z', 'ANONYMOUS LOGON', '10.0.0.1'),
    logon4624(WS, '2024-03-05T09:00:05.000Z', 'bob', '10.0.0.7'),
  ]));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('share review: one row per host/share/file/writer with first/last seen, writes and execution', async () => {
  const f = fleet();
  try {
    const problems: SourceProblem[] = [];
    const { rows, stats } = await reviewShares([f.dir], {}, (p) => problems.push(p));
    assert.deepEqual(problems, []);
    assert.equal(stats.files, 3);
    assert.equal(stats.share5145, 6);
    assert.equal(stats.pid4FileEvents, 2);
    const byPath = new Map(rows.map((r) => [r.path, r]));
    assert.deepEqual([...byPath.keys()].sort(), ['C:\\Temp\\drop.dll', 'C:\\Users\\Public\\run.exe', 'C:\\Windows\\Temp\\tool.dll', 'C:\\Windows\\evil.exe']);

    const evil = byPath.get('C:\\Windows\\evil.exe')!;
    assert.equal(evil.host, FS);
    assert.equal(evil.share, 'ADMIN$');
    assert.equal(evil.shareInferred, false);
    assert.equal(evil.account, 'CORP\\mallory');
    assert.equal(evil.sourceIp, '10.0.0.66');
    assert.equal(evil.events, 3);
    assert.equal(evil.writes, 2, 'two checks 20 ms apart are one write; an hour later is another');
    assert.equal(evil.firstSeen, '2024-03-05T10:00:00.100Z');
    assert.equal(evil.lastSeen, '2024-03-05T11:00:00.000Z');
    assert.equal(evil.executed, true);
    assert.equal(evil.lastExecuted, '2024-03-05T10:00:03.000Z');
    assert.deepEqual(evil.sources, ['security-5145']);

    const drop = byPath.get('C:\\Temp\\drop.dll')!;
    assert.equal(drop.share, 'C$');
    assert.equal(drop.account, 'CORP\\svc_backup');
    assert.equal(drop.executed, false);

    const run = byPath.get('C:\\Users\\Public\\run.exe')!;
    assert.equal(run.host, WS);
    assert.equal(run.share, 'C$');
    assert.equal(run.shareInferred, true);
    assert.equal(run.account, 'CORP\\bob', 'the network logon shortly before names the writer');
    assert.equal(run.sourceIp, '10.0.0.7');
    assert.match(run.writerEvidence ?? '', /4624/);
    assert.equal(run.executed, true);
    assert.deepEqual(run.sources, ['file-event-pid4']);

    const tool = byPath.get('C:\\Windows\\Temp\\tool.dll')!;
    assert.equal(tool.share, 'ADMIN$');
    assert.equal(tool.executed, false, 'a start before the write does not count');
  } finally {
    f.done();
  }
});

test('share review: --all-files keeps non-executables', async () => {
  const f = fleet();
  try {
    const { rows } = await reviewShares([f.dir], { allFiles: true }, () => {});
    assert.ok(rows.some((r) => r.path === 'C:\\Windows\\notes.txt'));
    assert.ok(!rows.some((r) => r.path === 'C:\\Windows\\other.exe'), 'read access is not a write');
  } finally {
    f.done();
  }
});

test('share review on the real PsExec sample (GROUND_TRUTH P1): ADMIN$ write by System, then executed', async (t) => {
  const p = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx');
  if (!p) return;
  const { rows } = await reviewShares([p], {}, () => {});
  const row = rows.find((r) => r.path === 'C:\\Windows\\PSEXESVC.exe');
  assert.ok(row, JSON.stringify(rows));
  assert.equal(row.host, '04246w-win10.threebeesco.com');
  assert.equal(row.share, 'ADMIN$');
  assert.equal(row.shareInferred, true);
  assert.equal(row.executed, true);
  assert.equal(row.firstSeen, '2020-08-27T11:40:56.396Z');
});

test('spoor shares CLI: table, csv, json, --executed, bad format', async () => {
  const f = fleet();
  try {
    const table = await runCli(['shares', f.dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /HOST\s+SHARE\s+PATH/);
    assert.match(table.stdout, /C\$\?\s+C:\\Users\\Public\\run\.exe\s+CORP\\bob/);
    assert.match(table.stderr, /4 row\(s\)/);
    const csv = await runCli(['shares', f.dir, '--format', 'csv', '--executed']);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split('\r\n');
    assert.equal(lines[0]!.split(',')[0], 'host');
    assert.equal(lines.length, 3, csv.stdout);
    const json = await runCli(['shares', f.dir, '--format', 'json']);
    const parsed = JSON.parse(json.stdout) as { rows: { path: string }[]; stats: { share5145: number } };
    assert.equal(parsed.rows.length, 4);
    assert.equal(parsed.stats.share5145, 6);
    const bad = await runCli(['shares', f.dir, '--format', 'xml']);
    assert.equal(bad.code, 2);
    const missing = await runCli(['shares', join(f.dir, 'nope')]);
    assert.equal(missing.code, 2);
  } finally {
    f.done();
  }
});

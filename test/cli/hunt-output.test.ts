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

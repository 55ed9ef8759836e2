/**
 * The documented exit codes (docs/cli.md#exit-codes), table-driven: hunt and query report what
 * they found and whether anything failed as two independent bits (0 nothing, 1 found, 2 errors,
 * 3 found and errors), so an input error never hides an alert; dump uses 0 / 2; bad arguments
 * (an --exclude-rule id that names no rule included) exit 2 before any input is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';
import { tempDir } from '../helpers/temp.js';
import { runCli } from './run-cli.js';

const P1 = ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx'];
const N3 = ['datasets', 'ecs-derived', 'NEG_local_psexec_writer_not_pid4.defend.ndjson'];
const SYSTEM_WRITE = 'file where process.pid == 4';

test('hunt, query and dump exit codes: 0 nothing, 1 found, 2 errors, 3 found and errors', async (t) => {
  const alerting = sharedOrSkip(t, ...P1);
  const quiet = sharedOrSkip(t, ...N3);
  if (!alerting || !quiet) return;
  const dir = tempDir('spoor-exit-');
  const missing = join(dir, 'no-such-file.evtx');
  const badExceptions = join(dir, 'bad-exceptions.yml');
  writeFileSync(badExceptions, 'rules:\n  some-other-rule:\n    paths: 42\n');
  const cases: { args: string[]; code: number; stderr?: RegExp; why: string }[] = [
    { args: ['hunt', quiet], code: 0, why: 'no alert, no error' },
    { args: ['hunt', alerting], code: 1, why: 'alerts' },
    { args: ['hunt', quiet, missing], code: 2, stderr: /no-such-file\.evtx/, why: 'an unreadable input, no alert' },
    { args: ['hunt', alerting, missing], code: 3, stderr: /no-such-file\.evtx/, why: 'alerts and an unreadable input' },
    { args: ['hunt', quiet, '--exceptions', badExceptions], code: 2, stderr: /bad-exceptions\.yml:3:12: rules\.some-other-rule\.paths: expected a string or a list of strings, got number 42/, why: 'a bad exceptions entry, no alert' },
    { args: ['hunt', alerting, '--exceptions', badExceptions], code: 3, stderr: /rules\.some-other-rule\.paths/, why: 'alerts and a bad exceptions entry' },
    { args: ['hunt', alerting, '--exclude-rule', 'file-share-remote-exek'], code: 2, stderr: /--exclude-rule file-share-remote-exek: no rule has this id; did you mean 'file-share-remote-exec'\? \(nothing hunted\)/, why: 'a typo in --exclude-rule, before any input' },
    { args: ['query', SYSTEM_WRITE, quiet], code: 0, why: 'no result' },
    { args: ['query', SYSTEM_WRITE, alerting], code: 1, why: 'results' },
    { args: ['query', SYSTEM_WRITE, quiet, missing], code: 2, why: 'no result and an unreadable input' },
    { args: ['query', SYSTEM_WRITE, alerting, missing], code: 3, why: 'results and an unreadable input' },
    { args: ['query', 'process where', alerting], code: 2, stderr: /EQL error/, why: 'syntax error' },
    { args: ['dump', alerting, '-n', '1'], code: 0, why: 'dump done' },
    { args: ['dump', alerting, missing, '-n', '1'], code: 2, why: 'dump with an unreadable input' },
  ];
  const runs = await Promise.all(cases.map((c) => runCli(c.args)));
  runs.forEach((r, i) => {
    const c = cases[i]!;
    assert.equal(r.code, c.code, `${c.why}: spoor ${c.args.join(' ')}\n${r.stderr}`);
    if (c.stderr) assert.match(r.stderr, c.stderr, c.why);
    assert.doesNotMatch(r.stderr, /^\s+at .*\.js:\d+/m, `${c.why}: no stack trace`);
  });
  // The --exclude-rule typo is caught before any input is read: no summary, no alert output.
  const typo = runs[cases.findIndex((c) => c.args.includes('--exclude-rule'))]!;
  assert.doesNotMatch(typo.stderr, /^Summary/m);
  assert.equal(typo.stdout, '');
});

test('docs/cli.md and --help document the same exit codes (0, 1, 2, 3 for hunt and query)', async () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8');
  const table = (heading: string): string[] => {
    const at = doc.indexOf(heading);
    assert.ok(at >= 0, `docs/cli.md has '${heading}'`);
    const rows = doc.slice(at).split('\n').slice(1);
    const start = rows.findIndex((l) => l.startsWith('| code'));
    const body: string[] = [];
    for (const l of rows.slice(start + 2)) {
      if (!l.startsWith('|')) break;
      body.push(l.split('|')[1]!.trim());
    }
    return body;
  };
  assert.deepEqual(table('## `spoor hunt PATH...`'), ['0', '1', '2', '3']);
  assert.deepEqual(table('## `spoor query'), ['0', '1', '2', '3']);
  const [hunt, query] = await Promise.all([runCli(['hunt', '--help']), runCli(['query', '--help'])]);
  assert.match(hunt.stdout, /^ +3 +alerts and errors$/m);
  assert.match(query.stdout, /3 results and errors/);
});

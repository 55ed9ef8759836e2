import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';
import { cliCommand, runCli } from './run-cli.js';

test('spoor --help lists every command; --version prints the package version', async () => {
  const [help, version] = await Promise.all([runCli(['--help']), runCli(['--version'])]);
  assert.equal(help.code, 0);
  for (const c of ['hunt', 'query', 'dump', 'rules', 'demo']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), pkg.version);
  assert.match(help.stdout, /Exit codes \(hunt, query\): 0 nothing found, 1 alerts\/results, 2 errors, 3 alerts\/results and errors/);
  assert.match(help.stdout, /spoor demo /);
});

test('hunt and query --help give defaults, exit codes and examples', async () => {
  const [hunt, query] = await Promise.all([runCli(['hunt', '--help']), runCli(['query', '--help'])]);
  for (const r of [hunt, query]) {
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes/);
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /\(default:\s+"table"\)/);
  }
  assert.match(hunt.stdout, /0 +no alert, no error\n +1 +alerts, no error\n +2 +errors and no alert\n +3 +alerts and errors/);
  assert.match(query.stdout, /0 no result and no error,\s+1 results, 2 errors and no result, 3 results and errors/);
});

/** Runs `spoor ARGS | head -c 200` through a real pipe whose reader goes away early. */
function pipeToHead(args: string[]): Promise<{ code: number | null; stderr: string; got: number }> {
  const [cmd, ...prefix] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...prefix, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let got = 0;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      got += d.length;
      child.stdout.destroy(); // like `head` exiting after its first lines
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, got }));
  });
}

test('EPIPE (output piped to head) ends quietly: no stack trace, normal exit code', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', 'Lateral Movement');
  if (!dir) return;
  const r = await pipeToHead(['query', 'any where true', dir, '-f', 'ndjson', '-q']);
  assert.ok(r.got > 0);
  assert.doesNotMatch(r.stderr, /EPIPE|Error|at .*\.js:\d+/);
  assert.equal(r.code, 1, r.stderr); // results were found (and partly printed)
});

test('spoor rules check on the built-in pack: every rule loads, exit 0', async () => {
  const r = await runCli(['rules', 'check', 'rules']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^loaded\s+file-share-remote-exec\s/m);
  assert.match(r.stdout, /0 unsupported, 0 errors/);
});

test('usage errors exit 2 in every command (1 means "alerts" for hunt), help and version exit 0', async () => {
  const runs = await Promise.all([runCli(['nosuchcommand']), runCli(['rules', 'check', '--bogus', 'rules']), runCli([]), runCli(['help', 'hunt'])]);
  assert.equal(runs[0]!.code, 2);
  assert.match(runs[0]!.stderr, /unknown command 'nosuchcommand'/);
  assert.equal(runs[1]!.code, 2);
  assert.match(runs[1]!.stderr, /unknown option '--bogus'/);
  assert.equal(runs[2]!.code, 2, 'no command: help on stderr, exit 2');
  assert.match(runs[2]!.stderr, /Usage: spoor/);
  assert.equal(runs[3]!.code, 0);
  assert.match(runs[3]!.stdout, /Usage: spoor hunt/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';
import { tempDir } from './util.js';

const fromSource = import.meta.url.endsWith('.ts');
const cli = fromSource ? ['--import', 'tsx', join(repoRoot, 'test/sources/dump-cli.ts')] : [join(repoRoot, 'dist/test/sources/dump-cli.js')];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dump(args: string[], stdin?: Buffer | string, stopAfterFirstOutput = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, 'dump', ...args], {
      cwd: repoRoot,
      env: { ...process.env, SPOOR_DUMP_CLI: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stopAfterFirstOutput) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}); // the child may exit before reading all of stdin
    child.stdin.end(stdin ?? '');
  });
}

test('dump reads gzip NDJSON from stdin, keeps 64-bit integers exact, counts malformed lines (exit 0)', async () => {
  const input = gzipSync('{"t":131485996510000001,"n":1}\n{"n":\n{"n":3}\n');
  const r = await dump(['-'], input);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['{"t":131485996510000001,"n":1}', '{"n":3}']);
  assert.match(r.stderr, /spoor: -:line 2: /);
  assert.match(r.stderr, /2 events from 1 file; problems: malformed-json: 1/);
});

test('dump of Windows XML on stdin, as a JSON array, with --limit and --quiet', async () => {
  const ev = (id: number) => `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>${id}</EventID></System></Event>`;
  const r = await dump(['-', '--format', 'json', '--limit', '2', '--quiet'], `<Events>${ev(1)}${ev(2)}<Event><bad></Event>${ev(3)}</Events>`);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { Event: { System: { EventID: number } } }[];
  assert.deepEqual(out.map((e) => e.Event.System.EventID), [1, 2]);
  assert.doesNotMatch(r.stderr, /spoor: -:/);
  assert.match(r.stderr, /stopped at --limit 2/);
});

test('dump exits 2 on wrong arguments and unreadable inputs, 0 when a directory holds some unknown files', async () => {
  const t = tempDir();
  try {
    t.file('ok.ndjson', '{"a":1}\n');
    t.file('notes.txt', 'hello\n');
    assert.equal((await dump(['--view', 'odd', t.dir])).code, 2);
    assert.equal((await dump(['--limit', 'x', t.dir])).code, 2);
    const missing = await dump([join(t.dir, 'missing.evtx')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /unreadable-file: 1/);
    const dir = await dump([t.dir, '--format', 'table']);
    assert.equal(dir.code, 0, dir.stderr);
    assert.match(dir.stderr, /notes\.txt: .*skipped/);
    assert.match(dir.stdout, /^time\s+host\s+event/);
    assert.equal((await dump([join(t.dir, 'notes.txt')])).code, 2, 'an explicitly named file of unknown format');
  } finally {
    t.cleanup();
  }
});

test('dump stops quietly when its reader goes away (EPIPE, as with | head)', async () => {
  const t = tempDir();
  try {
    const line = JSON.stringify({ pad: 'x'.repeat(200) }) + '\n';
    const f = t.file('big.ndjson', line.repeat(50000));
    const r = await dump([f], undefined, true);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Error/);
  } finally {
    t.cleanup();
  }
});

test('dump reads a named pipe given by path (as with <(zcat logs.gz)), format sniffed', async (t) => {
  if (process.platform === 'win32') return t.skip('no mkfifo on Windows');
  const tmp = tempDir();
  try {
    const fifo = join(tmp.dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const run = dump([fifo, '--view', 'raw']);
    await writeFile(fifo, gzipSync('{"a":1}\n{"a":2}\n'));
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['{"a":1}', '{"a":2}']);
  } finally {
    tmp.cleanup();
  }
});

test('an EVTX from stdin or gzip-compressed is spooled to a temporary file and read like the file itself', async (t) => {
  const samples = sharedOrSkip(t, 'datasets', 'evtx-attack-samples');
  if (!samples) return;
  const file = join(samples, 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx');
  const direct = await dump([file, '--format', 'ndjson']);
  assert.equal(direct.code, 0, direct.stderr);
  const events = direct.stdout.trim().split('\n');
  assert.ok(events.length >= 2);
  const piped = await dump(['-', '--format', 'ndjson'], readFileSync(file));
  assert.equal(piped.code, 0, piped.stderr);
  assert.deepEqual(piped.stdout.trim().split('\n'), events);
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const gz = tmp.file('sysmon.evtx.gz', gzipSync(readFileSync(file)));
  const fromGz = await dump([gz, '--format', 'ndjson']);
  assert.equal(fromGz.code, 0, fromGz.stderr);
  assert.deepEqual(fromGz.stdout.trim().split('\n'), events);
  const gzPiped = await dump(['-', '--format', 'ndjson'], gzipSync(readFileSync(file)));
  assert.deepEqual(gzPiped.stdout.trim().split('\n'), events);
  assert.match(gzPiped.stderr, /2 events from 1 file; no problems/);
});

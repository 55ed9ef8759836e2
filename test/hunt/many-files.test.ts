/**
 * Many files of one fleet under a low limit of open files. A hunt merges every file of a host at
 * once; before 2026-12-03 each merged stream held its file open, and 3,000 files under the usual
 * limit of 1,024 descriptors read nothing at all (EMFILE on every file, 0 events).
 * `spoor hunt` runs in a child process whose limit is set by the shell (`ulimit -n`).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';
import { ndjson, noise, start, systemWrite } from './defend-events.js';

interface Summary {
  files: number;
  events: number;
  alertsByRule: Record<string, number>;
  problems: unknown[];
}

/** `spoor hunt ARGS` with at most `limit` open files; its summary, stderr and exit status. */
function huntLimited(t: TestContext, limit: number, args: string[], dir: string): { summary: Summary; stderr: string; status: number | null } | null {
  const sumFile = join(dir, `summary-${limit}-${args.join('_').replace(/\W/g, '')}.json`);
  const main = join(repoRoot, 'dist/src/cli/main.js');
  const quoted = [main, 'hunt', ...args, '-q', '--no-progress', '-f', 'json', '--summary-json', sumFile].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `ulimit -n ${limit} && exec '${process.execPath}' ${quoted} > /dev/null`], { encoding: 'utf8' });
  if (r.error) {
    t.skip(`cannot run bash: ${r.error.message}`);
    return null;
  }
  return { summary: JSON.parse(readFileSync(sumFile, 'utf8')) as Summary, stderr: r.stderr, status: r.status };
}

test('600 NDJSON files of three hosts are all read with 128 open files allowed, on one thread and on two', (t) => {
  const dir = tempDir('spoor-many-');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const evs: Record<string, unknown>[] = [];
  let ms = 0;
  for (let i = 0; i < 600; i++) {
    const lines = [noise((ms += 10), `h${i % 3}`), noise((ms += 10), `h${(i + 1) % 3}`)];
    // A write and the start of what it wrote, in different files of the same host.
    if (i === 300) lines.push(systemWrite((ms += 10), 'h0', 'C:\\Windows\\psexesvc.exe'));
    if (i === 301) lines.push(start((ms += 10), 'h0', 'C:\\Windows\\psexesvc.exe'));
    evs.push(...lines);
    writeFileSync(join(logs, `f${String(i).padStart(3, '0')}.ndjson`), ndjson(lines));
  }
  for (const workers of ['0', '2']) {
    const r = huntLimited(t, 128, [logs, '-w', workers], dir);
    if (!r) return;
    assert.equal(r.summary.files, 600, `workers=${workers}`);
    assert.equal(r.summary.events, evs.length, `workers=${workers}: every event read; stderr: ${r.stderr.slice(0, 500)}`);
    assert.deepEqual(r.summary.problems, [], `workers=${workers}`);
    assert.equal(r.summary.alertsByRule['file-share-remote-exec'], 1, `workers=${workers}: ${JSON.stringify(r.summary.alertsByRule)}`);
    assert.equal(r.status, 1, 'alerts, no error');
  }
});

test('the 277 EVTX attack samples give the same events and alerts with 96 open files allowed (77 of them were skipped with 128 before)', (t) => {
  const samples = sharedOrSkip(t, 'datasets', 'evtx-attack-samples');
  if (!samples) return;
  const dir = tempDir('spoor-many-evtx-');
  const free = huntLimited(t, 4096, [samples, '-w', '0'], dir);
  const tight = huntLimited(t, 96, [samples, '-w', '0'], dir);
  if (!free || !tight) return;
  assert.ok(free.summary.files >= 270 && free.summary.events > 8000, JSON.stringify(free.summary.events));
  assert.equal(tight.summary.files, free.summary.files);
  assert.equal(tight.summary.events, free.summary.events);
  assert.deepEqual(tight.summary.alertsByRule, free.summary.alertsByRule);
  assert.deepEqual(tight.summary.problems, free.summary.problems);
});

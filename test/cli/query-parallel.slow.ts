import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { generateEvents } from '../../src/demo/generate.js';
import { runCli, compiled } from './run-cli.js';

const FILE_SHARE = `sequence by host.id with maxspan=1m
  [file where event.type in ("creation", "change") and process.pid == 4 and file.extension : ("exe", "dll")] by file.path
  [process where event.type == "start"] by process.executable`;

/** Demo data (Defend NDJSON, planted attacks) in two files that overlap in time and one later file. */
function demoFiles(): string {
  const dir = tempDir('spoor-query-par-');
  const lines = [...generateEvents({ events: 12_000, hosts: 6, seed: 3 }).lines];
  const cut = Math.floor(lines.length * 0.7);
  writeFileSync(join(dir, 'a.ndjson'), lines.slice(0, cut).filter((_, i) => i % 2 === 0).join('\n') + '\n');
  writeFileSync(join(dir, 'b.ndjson'), lines.slice(0, cut).filter((_, i) => i % 2 === 1).join('\n') + '\n');
  writeFileSync(join(dir, 'c.ndjson'), lines.slice(cut).join('\n') + '\n');
  return dir;
}

test('spoor query on worker threads prints exactly what one thread prints, in the same order', { skip: !compiled && 'worker threads need the compiled dist/' }, async () => {
  const dir = demoFiles();
  const cases: { q: string; parallel: boolean; args?: string[] }[] = [
    { q: FILE_SHARE, parallel: true },
    { q: 'process where process.name : "svchost.exe"', parallel: true, args: ['-f', 'table'] },
    // Pipes see the whole ordered stream: one thread.
    { q: 'process where true | tail 3', parallel: false },
    // No maxspan: unbounded, one thread.
    { q: 'sequence by host.id [file where process.pid == 4] [process where true]', parallel: false },
  ];
  for (const c of cases) {
    const one = await runCli(['query', '--workers', '0', c.q, dir, '-f', 'ndjson', ...(c.args ?? [])]);
    const two = await runCli(['query', '--workers', '2', c.q, dir, '-f', 'ndjson', ...(c.args ?? [])]);
    assert.equal(two.code, one.code, `${c.q}: exit ${two.stderr}`);
    assert.ok(one.stdout.length > 10, `${c.q}: results`);
    assert.equal(two.stdout, one.stdout, `${c.q}: same output`);
    assert.equal(/time slices on 2 threads/.test(two.stderr), c.parallel, `${c.q}: ${two.stderr}`);
    assert.doesNotMatch(one.stderr, /time slices/);
  }
  // --limit streams and stops early: one thread.
  const lim = await runCli(['query', '--workers', '2', '-n', '2', 'process where true', dir, '-f', 'ndjson']);
  assert.equal(lim.stdout.trim().split('\n').length, 2);
  assert.doesNotMatch(lim.stderr, /time slices/);
  const bad = await runCli(['query', '--workers', 'x', 'process where true', dir]);
  assert.equal(bad.code, 2);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { runHunt } from '../../src/hunt/run.js';
import { planWork } from '../../src/hunt/plan.js';
import { discoverInputs } from '../../src/sources/index.js';
import { generateEvents } from '../../src/demo/generate.js';
import type { Alert } from '../../src/alert/types.js';
import * as defend from './defend-events.js';
import { ndjson } from './defend-events.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { formatSummary } from '../../src/output/summary.js';

// One host, ws1.
const systemWrite = (ms: number, path: string): Record<string, unknown> => defend.systemWrite(ms, 'ws1', path);
const start = (ms: number, path: string): Record<string, unknown> => defend.start(ms, 'ws1', path);
const noise = (ms: number): Record<string, unknown> => defend.noise(ms, 'ws1');
const ids = (as: Alert[]): string[] => as.map((a) => a.id).sort();
const fileShare = (as: Alert[]): Alert[] => as.filter((a) => a.ruleId === 'file-share-remote-exec');

/**
 * One host, four files of consecutive hours (rotated logs) plus one file covering all of them (a
 * second channel). A file-share sequence straddles the end of file 2 and the start of file 3
 * (write in one, start 20 s later in the other); others lie inside files.
 */
function writeHost(dir: string): void {
  const hour = 3600_000;
  for (let f = 0; f < 4; f++) {
    const evs: Record<string, unknown>[] = [];
    for (let i = 0; i < 600; i++) evs.push(noise(f * hour + i * 5000));
    if (f === 1) evs.push(systemWrite(2 * hour - 10_000 + 1, 'C:\\Windows\\straddle.exe'));
    if (f === 2) evs.push(start(2 * hour + 5_000, 'C:\\Windows\\straddle.exe'));
    if (f === 0) evs.splice(100, 0, systemWrite(500_001, 'C:\\Windows\\inside.exe'), start(500_002, 'C:\\Windows\\inside.exe'));
    evs.sort((a, b) => Date.parse(a['@timestamp'] as string) - Date.parse(b['@timestamp'] as string));
    writeFileSync(join(dir, `rot-${f}.ndjson`), ndjson(evs));
  }
  // The other channel: writes here, starts in the rotated files, and the other way round.
  const other: Record<string, unknown>[] = [];
  for (let i = 0; i < 1400; i++) other.push(noise(i * 10_000 + 3));
  other.push(systemWrite(2 * hour + 1_000_007, 'C:\\Windows\\cross.exe'));
  other.push(start(3 * hour + 5_000_011, 'C:\\Windows\\late.exe'));
  other.sort((a, b) => Date.parse(a['@timestamp'] as string) - Date.parse(b['@timestamp'] as string));
  writeFileSync(join(dir, 'other.ndjson'), ndjson(other));
  writeFileSync(join(dir, 'rot-2.ndjson'), ndjson([start(2 * hour + 1_000_107, 'C:\\Windows\\cross.exe')]), { flag: 'a' });
  writeFileSync(join(dir, 'rot-3.ndjson'), ndjson([systemWrite(3 * hour + 4_999_011, 'C:\\Windows\\late.exe')]), { flag: 'a' });
}

test('a host of several files is cut into time slices; a sequence straddling a cut is found exactly once', async () => {
  const dir = tempDir('spoor-slices-');
  writeHost(dir);
  const files = await discoverInputs([dir], () => {});
  const units = await planWork(files, { workers: 2, sliceBytes: 20_000, overlapNs: 300e9 }, () => {});
  assert.ok(units.length >= 3, `the host is sliced (${units.length} units)`);
  assert.ok(units.every((u) => u.slice !== undefined), 'every unit is a slice');
  const whole = await runHunt({ inputs: [dir], workers: 0, sliceBytes: 1e12 });
  assert.equal(whole.summary.workUnits, 1, 'the unsplit run has one unit');
  // Rule loading is timed apart from the run, and the summary says events/s leaves it out.
  assert.ok(typeof whole.summary.ruleLoadSeconds === 'number' && whole.summary.ruleLoadSeconds >= 0);
  assert.match(formatSummary(whole.summary), /rules loaded\s+\d+ in \d+\.\d\d s \(not in the events\/s above\)/);
  const paths = fileShare(whole.alerts).map((a) => a.filePath).sort();
  assert.deepEqual(paths, ['C:\\Windows\\cross.exe', 'C:\\Windows\\inside.exe', 'C:\\Windows\\late.exe', 'C:\\Windows\\straddle.exe']);
  for (const workers of [0, 2]) {
    const sliced = await runHunt({ inputs: [dir], workers, sliceBytes: 20_000 });
    assert.ok((sliced.summary.workUnits ?? 0) >= 3, `workers=${workers}: sliced`);
    assert.equal(sliced.summary.hostsRerunWhole, undefined, 'files in time order: the slices stand');
    assert.deepEqual(ids(sliced.alerts), ids(whole.alerts), `workers=${workers}: same alerts as one unit`);
    assert.equal(fileShare(sliced.alerts).filter((a) => a.filePath === 'C:\\Windows\\straddle.exe').length, 1);
    assert.equal(sliced.summary.events, whole.summary.events, 'every event counted once');
    // Line numbers are the files' own, whichever slice found the alert.
    assert.deepEqual(
      sliced.alerts.map((a) => a.events.map((e) => `${e.file}:${e.position}`)).sort(),
      whole.alerts.map((a) => a.events.map((e) => `${e.file}:${e.position}`)).sort(),
    );
  }
});

test('a host whose files are not in time order is run again as one unit, with the same alerts', async () => {
  const dir = tempDir('spoor-slices-unsorted-');
  writeHost(dir);
  // The second channel's lines in reverse time order: slices would own interleaved times.
  const other = join(dir, 'other.ndjson');
  const lines = readFileSync(other, 'utf8').trimEnd().split('\n').reverse();
  writeFileSync(other, lines.join('\n') + '\n');
  const whole = await runHunt({ inputs: [dir], workers: 0, sliceBytes: 1e12 });
  assert.equal(fileShare(whole.alerts).length, 4);
  for (const workers of [0, 2]) {
    const sliced = await runHunt({ inputs: [dir], workers, sliceBytes: 20_000 });
    assert.equal(sliced.summary.hostsRerunWhole, 1, `workers=${workers}: the host ran again whole`);
    assert.deepEqual(ids(sliced.alerts), ids(whole.alerts), `workers=${workers}`);
    assert.equal(sliced.summary.events, whole.summary.events, 'events counted once');
  }
});

test('a rule without a bounded window: the host is not sliced, its files are read once, same alerts', async () => {
  const dir = tempDir('spoor-slices-unbounded-');
  const data = join(dir, 'data');
  const rules = join(dir, 'rules');
  mkdirSync(data);
  mkdirSync(rules);
  writeHost(data);
  // No maxspan: the write in the first hour and the start in the last hour still join.
  writeFileSync(
    join(rules, 'unbounded.yml'),
    `id: test-unbounded
name: Written early, run much later
enabled: true
severity: high
risk_score: 70
description: test rule without maxspan
language: eql
view: ecs
query: |
  sequence
    [file where process.pid == 4] by host.id, file.path
    [process where event.type == "start"] by host.id, process.executable
`,
  );
  const files = await discoverInputs([data], () => {});
  // Bounded rules only: the host is cut into slices.
  assert.ok((await planWork(files, { workers: 2, sliceBytes: 20_000, overlapNs: 300e9 }, () => {})).length >= 3);
  // A sequence without maxspan: a slice's overlap would read every later file; one unit, all rules.
  const units = await planWork(files, { workers: 2, sliceBytes: 20_000, overlapNs: 300e9, open: true }, () => {});
  assert.equal(units.length, 1, 'one unit for the host');
  assert.ok(units[0]!.slice === undefined && units[0]!.parts.every((p) => p.range === undefined));
  const whole = await runHunt({ inputs: [data], rulesDirs: [rules], workers: 0, sliceBytes: 1e12 });
  const unbounded = whole.alerts.filter((a) => a.ruleId === 'test-unbounded');
  assert.ok(unbounded.length >= 4, `the unbounded rule fires (${unbounded.length})`);
  for (const workers of [0, 2]) {
    const sliced = await runHunt({ inputs: [data], rulesDirs: [rules], workers, sliceBytes: 20_000 });
    assert.deepEqual(ids(sliced.alerts), ids(whole.alerts), `workers=${workers}`);
    assert.equal(sliced.summary.events, whole.summary.events, `workers=${workers}: every event read once`);
    assert.equal(sliced.summary.workUnits, 1);
  }
});

test('demo data of one host in several files: sliced and unsplit runs give the same alerts', async (t) => {
  const dir = tempDir('spoor-slices-demo-');
  const g = generateEvents({ events: 30_000, hosts: 1, seed: 7 });
  const lines = [...g.lines];
  // Rotated files, and process events apart from the rest (two channels over the same time).
  const per = Math.ceil(lines.length / 3);
  for (let f = 0; f < 3; f++) {
    const part = lines.slice(f * per, (f + 1) * per);
    writeFileSync(join(dir, `proc-${f}.ndjson`), part.filter((l) => l.includes('"process"')).join('\n') + '\n');
    writeFileSync(join(dir, `rest-${f}.ndjson`), part.filter((l) => !l.includes('"process"')).join('\n') + '\n');
  }
  const whole = await runHunt({ inputs: [dir], workers: 0, sliceBytes: 1e12 });
  assert.ok(whole.alerts.length > 0, 'the demo data has alerts');
  const sliced = await runHunt({ inputs: [dir], workers: 2, sliceBytes: 2_000_000 });
  assert.ok((sliced.summary.workUnits ?? 0) >= 3, `sliced (${sliced.summary.workUnits} units)`);
  assert.equal(sliced.summary.hostsRerunWhole, undefined, 'the demo files are in time order: the slices stand');
  assert.deepEqual(ids(sliced.alerts), ids(whole.alerts));
  assert.equal(sliced.summary.events, whole.summary.events);
  t.diagnostic(`units ${sliced.summary.workUnits}, hosts run again whole: ${sliced.summary.hostsRerunWhole ?? 0}, alerts ${sliced.alerts.length}`);
});

test('real EVTX of one host in many files (../shared): sliced and unsplit runs give the same alerts', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'evtx-attack-samples');
  if (!dir) return;
  const whole = await runHunt({ inputs: [dir], workers: 0, sliceBytes: 1e12 });
  const sliced = await runHunt({ inputs: [dir], workers: 2, sliceBytes: 1_000_000 });
  assert.ok((sliced.summary.workUnits ?? 0) > (whole.summary.workUnits ?? 0), `sliced: ${sliced.summary.workUnits} vs ${whole.summary.workUnits} units`);
  assert.deepEqual(ids(sliced.alerts), ids(whole.alerts));
  assert.equal(sliced.summary.events, whole.summary.events);
  t.diagnostic(`units ${sliced.summary.workUnits}, hosts run again whole: ${sliced.summary.hostsRerunWhole ?? 0}, alerts ${sliced.alerts.length}`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/temp.js';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { makeZip } from '../sources/zip-writer.js';
import { join } from 'node:path';
import { runHunt } from '../../src/hunt/run.js';
import { byteSplits, planWork } from '../../src/hunt/plan.js';
import { runUnit } from '../../src/hunt/unit.js';
import { Detector } from '../../src/hunt/detector.js';
import { loadHuntRules, longestWindowNs } from '../../src/hunt/load-rules.js';
import { discoverInputs } from '../../src/sources/index.js';
import { ruleLineFilters, TIME_PROBE_EVERY } from '../../src/hunt/prefilter.js';
import type { Alert } from '../../src/alert/types.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { BASE, iso, ndjson, noise, start, systemWrite } from './defend-events.js';

const fileShareAlerts = (as: Alert[]): Alert[] => as.filter((a) => /file.?share|remote.?exec/i.test(a.ruleId + ' ' + a.ruleName));

test('a sequence split across two files of the same host is found once', async () => {
  const dir = tempDir('spoor-hunt-');
  writeFileSync(join(dir, 'writes.ndjson'), ndjson([noise(0, 'ws1'), systemWrite(1000, 'ws1', 'C:\\Windows\\evil.exe'), noise(5000, 'ws1')]));
  writeFileSync(join(dir, 'starts.ndjson'), ndjson([noise(10, 'ws1'), start(1200, 'ws1', 'C:\\Windows\\evil.exe'), noise(6000, 'ws1')]));
  for (const workers of [0, 2]) {
    const r = await runHunt({ inputs: [dir], workers });
    const fs = fileShareAlerts(r.alerts);
    assert.equal(fs.length, 1, `workers=${workers}: ${JSON.stringify(r.alerts.map((a) => a.ruleId))}`);
    assert.equal(fs[0]!.host.toLowerCase(), 'ws1');
    assert.equal(fs[0]!.filePath, 'C:\\Windows\\evil.exe');
    assert.ok(Math.abs(fs[0]!.gapMs - 200) < 1e-6);
    assert.equal(r.summary.events, 6);
    assert.equal(r.summary.files, 2);
  }
});

test('a big file split into parts still finds a sequence that straddles the split, exactly once', async () => {
  const dir = tempDir('spoor-split-');
  const evs: Record<string, unknown>[] = [];
  let t = 0;
  for (let i = 0; i < 3000; i++) evs.push(noise((t += 10), `h${i % 7}`));
  // Planted sequences across the file; the middle one straddles the half-way split.
  const mid = evs.length / 2;
  evs.splice(mid + 1, 0, start(Date.parse(evs[mid]!['@timestamp'] as string) - BASE + 5, 'hx', 'C:\\Windows\\mid.exe'));
  evs.splice(mid - 1, 0, systemWrite(Date.parse(evs[mid - 2]!['@timestamp'] as string) - BASE + 1, 'hx', 'C:\\Windows\\mid.exe'));
  evs.splice(10, 0, systemWrite(Date.parse(evs[9]!['@timestamp'] as string) - BASE + 1, 'hy', 'C:\\Windows\\early.exe'));
  evs.splice(12, 0, start(Date.parse(evs[11]!['@timestamp'] as string) - BASE + 1, 'hy', 'C:\\Windows\\early.exe'));
  const n = evs.length;
  evs.splice(n - 20, 0, systemWrite(Date.parse(evs[n - 21]!['@timestamp'] as string) - BASE + 1, 'hz', 'C:\\Windows\\late.exe'));
  evs.splice(n - 17, 0, start(Date.parse(evs[n - 18]!['@timestamp'] as string) - BASE + 1, 'hz', 'C:\\Windows\\late.exe'));
  const file = join(dir, 'big.ndjson');
  const lines = ndjson(evs).split('\n');
  const badLine = lines.length - 40; // 1-based number of the malformed line, in the second half
  lines.splice(badLine - 1, 0, '{"broken": ');
  writeFileSync(file, lines.join('\n'));
  const lineOf = (path: string): number => lines.findIndex((l) => l.includes(path.replace(/\\/g, '\\\\')) && l.includes('"start"')) + 1;

  const files = await discoverInputs([file], () => {});
  const units = await planWork(files, { workers: 2, splitBytes: 1000 }, () => {});
  assert.ok(units.length >= 2, 'the file is split');
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  const alerts: Alert[] = [];
  const problems: string[] = [];
  let events = 0;
  for (const u of units) {
    const s = await runUnit(u, new Detector(loaded.rules, { contextEvents: 0 }), {
      overlapNs: longestWindowNs(loaded.rules),
      onProblem: (p) => problems.push(p.where ?? ''),
      onAlerts: (a) => alerts.push(...a),
    });
    events += s.events;
  }
  assert.equal(events, evs.length, 'every event counted once across parts');
  const fs = fileShareAlerts(alerts);
  const paths = fs.map((a) => a.filePath).sort();
  assert.deepEqual(paths, ['C:\\Windows\\early.exe', 'C:\\Windows\\late.exe', 'C:\\Windows\\mid.exe']);
  // Positions are the file's own line numbers, whichever part found them.
  for (const a of fs) assert.equal(a.events[1]!.position, lineOf(a.filePath!), a.filePath);
  assert.deepEqual(problems, [`line ${badLine}`]);
});

test('a split part reads its overlap only as far as pending state reaches, per rule', async () => {
  // 10 minutes of events on one file; a custom 5-minute rule has a partial open at the split and
  // completes 3 minutes past it, while the 1-minute built-in rules' state expires much sooner.
  const dir = tempDir('spoor-horizon-');
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(
    join(rulesDir, 'slow.yml'),
    [
      'id: slow-exec',
      'name: Slow execution of a System-written file',
      'severity: low',
      'language: eql',
      'view: ecs',
      'query: |',
      '  sequence with maxspan=5m',
      '    [file where process.pid == 4] by host.id, file.path',
      '    [process where event.type == "start"] by host.id, process.executable',
      '',
    ].join('\n'),
  );
  const evs: Record<string, unknown>[] = [];
  for (let i = 0; i < 3000; i++) evs.push(noise(i * 200, `h${i % 7}`));
  const mid = evs.length / 2;
  const tMid = Date.parse(evs[mid]!['@timestamp'] as string) - BASE;
  evs.splice(mid - 1, 0, systemWrite(tMid - 300, 'hs', 'C:\\Windows\\slow.exe'));
  evs.push(start(tMid + 180_000, 'hs', 'C:\\Windows\\slow.exe'));
  evs.sort((a, b) => Date.parse(a['@timestamp'] as string) - Date.parse(b['@timestamp'] as string));
  const file = join(dir, 'ten-minutes.ndjson');
  writeFileSync(file, ndjson(evs));
  const files = await discoverInputs([file], () => {});
  const units = await planWork(files, { workers: 2, splitBytes: 1000 }, () => {});
  assert.equal(units.length, 2);
  const loaded = await loadHuntRules({ rulesDirs: [rulesDir], sigmaDirs: [], excludeRules: [], hunting: false });
  assert.ok(loaded.rules.some((r) => r.id === 'slow-exec'));
  const filters = ruleLineFilters(loaded.rules, 0) ?? undefined;
  assert.ok(filters);
  const alerts: Alert[] = [];
  let overlapRead = 0;
  for (const u of units) {
    const s = await runUnit(u, new Detector(loaded.rules, { contextEvents: 0 }), {
      overlapNs: longestWindowNs(loaded.rules),
      filters,
      onProblem: () => {},
      onAlerts: (a) => alerts.push(...a),
    });
    overlapRead += s.overlapRead;
  }
  assert.deepEqual(alerts.map((a) => [a.ruleId, a.filePath]), [['slow-exec', 'C:\\Windows\\slow.exe']]);
  // Only the slow rule was pending, and only process starts can continue it: the overlap parses
  // the one start it needs (and one time probe per TIME_PROBE_EVERY lines it skips, to know when
  // to stop), not 5 minutes (1,500) of network events.
  assert.ok(overlapRead >= 1 && overlapRead <= 1 + Math.ceil(1500 / TIME_PROBE_EVERY), `overlap read ${overlapRead}`);
});

test('a split part whose events are out of time order caps its overlap instead of reading on to the end', async () => {
  // Chunks of history concatenated out of order (as in merged or forwarded logs): the second
  // half is an hour older than the first, so no overlap event is ever past the time limit.
  const dir = tempDir('spoor-shuffled-');
  const first: Record<string, unknown>[] = [];
  for (let i = 0; i < 1500; i++) first.push(noise(3_600_000 + i * 400 + (i % 2 === 0 ? 30_000 : 0), `h${i % 5}`)); // out of order
  const second: Record<string, unknown>[] = [];
  for (let i = 0; i < 1500; i++) second.push(noise(i * 400, `h${i % 5}`));
  const file = join(dir, 'shuffled.ndjson');
  writeFileSync(file, ndjson([...first, ...second]));
  const files = await discoverInputs([file], () => {});
  const units = await planWork(files, { workers: 2, splitBytes: 1000 }, () => {});
  assert.equal(units.length, 2);
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  let events = 0;
  let overlapRead = 0;
  for (const u of units) {
    const s = await runUnit(u, new Detector(loaded.rules, { contextEvents: 0 }), { overlapNs: longestWindowNs(loaded.rules), onProblem: () => {}, onAlerts: () => {} });
    events += s.events;
    overlapRead += s.overlapRead;
  }
  assert.equal(events, 3000);
  // The first part spans ~10 minutes with 1,500 events; a 5-minute window caps the overlap at
  // about 2 x 735 events, short of the 1,500 it would otherwise read to the end of the file.
  assert.ok(overlapRead > 0 && overlapRead < 1500, `overlap read ${overlapRead}`);
});

test('byte splits: parts that read an overlap are made smaller by its estimated cost', async () => {
  const dir = tempDir('spoor-splits-');
  const file = join(dir, 'ten-minutes.ndjson');
  writeFileSync(file, ndjson(Array.from({ length: 3000 }, (_, i) => noise(i * 200, 'h1')))); // 10 minutes
  const size = statSync(file).size;
  const even = await byteSplits(file, size, 2);
  assert.deepEqual(even, [[0, Math.ceil(size / 2)], [Math.ceil(size / 2), size]]);
  const [a, b] = await byteSplits(file, size, 2, 5 * 60e9);
  // Overlap ≈ half the file, at half the cost of a part's own bytes: S = (size − size/4) / 2.
  assert.ok(Math.abs(a![1] - (size * 3) / 8) < size * 0.01, `first part ${a![1]} of ${size}`);
  assert.deepEqual([a![0], b![0], b![1]], [0, a![1], size]);
  // A window longer than the file: the first part never shrinks below half its even share.
  const [c] = await byteSplits(file, size, 2, 3600e9);
  assert.equal(c![1], Math.ceil(size / 4));
  const untimed = join(dir, 'untimed.ndjson');
  writeFileSync(untimed, '{"a":1}\n'.repeat(1000));
  assert.deepEqual(await byteSplits(untimed, statSync(untimed).size, 2, 60e9), [[0, 4000], [4000, 8000]]);
});

test('events out of order within the reorder window are sorted before detection', async () => {
  const dir = tempDir('spoor-order-');
  // The start is logged before the write (shipping delay), 300 ms apart in event time.
  writeFileSync(join(dir, 'x.ndjson'), ndjson([start(1300, 'ws2', 'C:\\Windows\\x.exe'), systemWrite(1000, 'ws2', 'C:\\Windows\\x.exe')]));
  const r = await runHunt({ inputs: [dir], workers: 0 });
  assert.equal(fileShareAlerts(r.alerts).length, 1);
});

test('malformed lines are counted and the good events around them still detected', async () => {
  const dir = tempDir('spoor-bad-');
  const text = JSON.stringify(systemWrite(1000, 'ws3', 'C:\\Windows\\y.exe')) + '\n{"truncated": \n' + JSON.stringify(start(1100, 'ws3', 'C:\\Windows\\y.exe')) + '\n';
  writeFileSync(join(dir, 'y.ndjson'), text);
  const seen: string[] = [];
  const r = await runHunt({ inputs: [dir], workers: 0 }, { onProblem: (p) => seen.push(`${p.file}:${p.where}`) });
  assert.equal(fileShareAlerts(r.alerts).length, 1);
  assert.equal(r.summary.skipped['malformed-json'], 1);
  assert.ok(seen[0]!.endsWith('y.ndjson:line 2'), seen[0]);
});

test('worker threads and the main thread give the same alerts on the ground-truth ECS files', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'ecs-derived');
  if (!dir) return;
  const a = await runHunt({ inputs: [dir], workers: 0 });
  const b = await runHunt({ inputs: [dir], workers: 2 });
  assert.deepEqual(b.alerts.map((x) => x.id), a.alerts.map((x) => x.id));
  assert.equal(b.summary.events, a.summary.events);
});

test('one work unit with workers asked for runs in this thread as a worker would: same alerts, summary, problems', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'ecs-derived');
  if (!dir) return;
  const file = join(dir, 'POS_psexesvc_remote_copy.defend.ndjson');
  const a = await runHunt({ inputs: [file], workers: 0 });
  const b = await runHunt({ inputs: [file], workers: 2 });
  assert.equal(b.summary.workUnits, 1);
  assert.ok(a.alerts.length > 0);
  assert.deepEqual(b.alerts, a.alerts);
  const { seconds: _s1, eventsPerSecond: _e1, ruleLoadSeconds: _l1, ...sa } = a.summary;
  const { seconds: _s2, eventsPerSecond: _e2, ruleLoadSeconds: _l2, ...sb } = b.summary;
  assert.deepEqual(sb, sa);
});

test('an EVTX inside a zip or a .gz (read from its spooled copy) is split by chunk ranges as the file is', async (t) => {
  const file = sharedOrSkip(t, 'datasets', 'deepbluecli', 'many-events-application.evtx');
  if (!file) return;
  const dir = tempDir('spoor-spooled-split-');
  const bytes = readFileSync(file);
  writeFileSync(join(dir, 'logs.zip'), makeZip([{ name: 'Application.evtx', data: bytes }]));
  writeFileSync(join(dir, 'Application.evtx.gz'), gzipSync(bytes));
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  const run = async (units: Awaited<ReturnType<typeof planWork>>): Promise<{ events: number; positions: string }> => {
    let events = 0;
    const seen: number[] = [];
    for (const u of units) {
      const s = await runUnit(u, new Detector(loaded.rules, { contextEvents: 0 }), { overlapNs: 60e9, onProblem: () => {}, onAlerts: () => {} });
      events += s.events;
      seen.push(s.events);
    }
    return { events, positions: seen.join(',') };
  };
  const plain = await planWork(await discoverInputs([file], () => {}), { workers: 3, splitBytes: 100_000 }, () => {});
  const want = await run(plain);
  for (const name of ['logs.zip', 'Application.evtx.gz']) {
    const files = await discoverInputs([join(dir, name)], () => {});
    assert.equal(files.length, 1);
    assert.ok(files[0]!.spooled, `${name} is read from a spooled copy`);
    const split = await planWork(files, { workers: 3, splitBytes: 100_000 }, () => {});
    assert.deepEqual(split.map((u) => u.parts[0]!.range), plain.map((u) => u.parts[0]!.range), `${name}: the same chunk ranges as the file`);
    assert.deepEqual(await run(split), want, name);
  }
});

test('an EVTX file split by chunk ranges yields every record once, as the whole file does', async (t) => {
  const file = sharedOrSkip(t, 'datasets', 'deepbluecli', 'many-events-application.evtx');
  if (!file) return;
  const files = await discoverInputs([file], () => {});
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  const count = async (units: Awaited<ReturnType<typeof planWork>>): Promise<number> => {
    let events = 0;
    for (const u of units) {
      const s = await runUnit(u, new Detector(loaded.rules, { contextEvents: 0 }), { overlapNs: 60e9, onProblem: () => {}, onAlerts: () => {} });
      events += s.events;
    }
    return events;
  };
  const whole = await planWork(files, { workers: 1 }, () => {});
  const split = await planWork(files, { workers: 3, splitBytes: 100_000 }, () => {});
  assert.equal(whole.length, 1);
  assert.ok(split.length >= 3, `split into ${split.length} parts`);
  assert.ok(split.every((u) => u.parts[0]!.range?.unit === 'chunks'));
  const n = await count(whole);
  assert.ok(n > 1000);
  assert.equal(await count(split), n);
});

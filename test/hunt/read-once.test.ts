/**
 * A hunt reads each input once whatever its rules (hunt/plan.ts ruleReach): a sequence without
 * maxspan runs on split parts (their overlap without a time limit), a rule that needs a whole
 * stream keeps the file whole — never a second unit over the same file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { partOverlapNs, planWork, ruleReach, type WorkUnit } from '../../src/hunt/plan.js';
import { runUnit } from '../../src/hunt/unit.js';
import { CompiledRuleSet, Detector } from '../../src/hunt/detector.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { ruleLineFilters } from '../../src/hunt/prefilter.js';
import { discoverInputs } from '../../src/sources/index.js';
import type { Alert } from '../../src/alert/types.js';
import type { Rule } from '../../src/ir/types.js';
import { BASE, noise, start, systemWrite } from './defend-events.js';

const write = systemWrite;

const RULE = (id: string, query: string): string => `id: ${id}
name: ${id}
enabled: true
severity: high
risk_score: 70
description: test rule
language: eql
view: ecs
query: |
${query
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;

/** A sequence without maxspan: a write in the first minutes and a start hours later still join. */
const OPEN = `sequence
  [file where process.pid == 4] by host.id, file.path
  [process where event.type == "start"] by host.id, process.executable`;

const HOUR = 3600e3;

/** 10 hours of one event a few seconds, 7 noisy hosts; writes and starts planted across the file. */
function writeData(dir: string): { file: string; events: number } {
  const evs: Record<string, unknown>[] = [];
  for (let i = 0; i < 4000; i++) evs.push(noise(i * 9000, `h${i % 7}`));
  const plant = (ms: number, ev: Record<string, unknown>): void => {
    const at = evs.findIndex((e) => Date.parse(e['@timestamp'] as string) - BASE > ms);
    evs.splice(at < 0 ? evs.length : at, 0, ev);
  };
  // Starts in the first part, ends in the second, 8 hours later: found by the first part's overlap.
  plant(0.5 * HOUR, write(0.5 * HOUR, 'hx', 'C:\\Windows\\early.exe'));
  plant(8.5 * HOUR, start(8.5 * HOUR, 'hx', 'C:\\Windows\\early.exe'));
  // Both in the second part.
  plant(7 * HOUR, write(7 * HOUR, 'hy', 'C:\\Windows\\late.exe'));
  plant(9 * HOUR, start(9 * HOUR, 'hy', 'C:\\Windows\\late.exe'));
  // Both in the first part.
  plant(0.2 * HOUR, write(0.2 * HOUR, 'hz', 'C:\\Windows\\first.exe'));
  plant(1 * HOUR, start(1 * HOUR, 'hz', 'C:\\Windows\\first.exe'));
  // A write whose start never comes: state held to the end of the file.
  plant(0.1 * HOUR, write(0.1 * HOUR, 'hw', 'C:\\Windows\\never.exe'));
  const file = join(dir, 'big.ndjson');
  writeFileSync(file, evs.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return { file, events: evs.length };
}

async function run(units: WorkUnit[], rules: Rule[]): Promise<{ alerts: Alert[]; events: number }> {
  const compiled = new CompiledRuleSet(rules);
  const filters = ruleLineFilters(rules, 0) ?? undefined;
  const alerts: Alert[] = [];
  let events = 0;
  for (const u of units) {
    const s = await runUnit(u, new Detector(compiled, { contextEvents: 0 }), {
      overlapNs: partOverlapNs(ruleReach(rules)),
      filters,
      onProblem: () => {},
      onAlerts: (a) => alerts.push(...a),
    });
    events += s.events;
  }
  return { alerts, events };
}

const ids = (as: Alert[]): string[] => as.map((a) => a.id).sort();

test('ruleReach: bounded windows, sequences without maxspan, whole-stream rules', async () => {
  const dir = tempDir('spoor-reach-');
  writeFileSync(join(dir, 'open.yml'), RULE('t-open', OPEN));
  writeFileSync(join(dir, 'head.yml'), RULE('t-head', 'process where event.type == "start" | head 1'));
  const loaded = await loadHuntRules({ rulesDirs: [dir], sigmaDirs: [], excludeRules: [], hunting: false });
  const builtin = loaded.rules.filter((r) => !r.id.startsWith('t-'));
  const r0 = ruleReach(builtin);
  assert.ok(r0.windowNs > 0 && !r0.open && !r0.whole, 'the built-in pack is bounded');
  const r1 = ruleReach(loaded.rules.filter((r) => r.id !== 't-head'));
  assert.ok(r1.open && !r1.whole && r1.windowNs === r0.windowNs);
  assert.equal(partOverlapNs(r1), Infinity);
  assert.ok(ruleReach(loaded.rules).whole);
});

test('a sequence without maxspan runs on split parts: each event read once, the same alerts as the whole file', async () => {
  const dir = tempDir('spoor-read-once-');
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'open.yml'), RULE('t-open', OPEN));
  const { file, events } = writeData(dir);
  const loaded = await loadHuntRules({ rulesDirs: [rulesDir], sigmaDirs: [], excludeRules: [], hunting: false });
  const reach = ruleReach(loaded.rules);
  assert.ok(reach.open);
  const files = await discoverInputs([file], () => {});
  const split = await planWork(files, { workers: 2, splitBytes: 1000, overlapNs: reach.windowNs, open: true }, () => {});
  assert.equal(split.length, 2, 'two parts, no extra unit over the whole file');
  assert.ok(split.every((u) => u.parts[0]!.range !== undefined));
  const whole = await run([{ id: 0, parts: [{ file: files[0]! }], bytes: files[0]!.size }], loaded.rules);
  const parts = await run(split, loaded.rules);
  assert.equal(whole.events, events);
  assert.equal(parts.events, events, 'every event counted once across the parts');
  const open = (as: Alert[]): string[] => as.filter((a) => a.ruleId === 't-open').map((a) => a.filePath!).sort();
  assert.deepEqual(open(whole.alerts), ['C:\\Windows\\early.exe', 'C:\\Windows\\first.exe', 'C:\\Windows\\late.exe']);
  assert.deepEqual(open(parts.alerts), open(whole.alerts), 'each open sequence found once');
  assert.deepEqual(ids(parts.alerts), ids(whole.alerts));
});

test('a rule that needs the whole stream keeps a big file whole', async () => {
  const dir = tempDir('spoor-read-once-whole-');
  const { file } = writeData(dir);
  const files = await discoverInputs([file], () => {});
  assert.equal((await planWork(files, { workers: 2, splitBytes: 1000, overlapNs: 60e9 }, () => {})).length, 2);
  const units = await planWork(files, { workers: 2, splitBytes: 1000, overlapNs: 60e9, whole: true }, () => {});
  assert.equal(units.length, 1);
  assert.equal(units[0]!.parts[0]!.range, undefined);
});

test('a file whose overlap would parse most of it again (no line filter), or read a quarter of it (filtered), stays whole', async () => {
  const dir = tempDir('spoor-read-once-unfiltered-');
  const { file } = writeData(dir); // 10 hours
  const files = await discoverInputs([file], () => {});
  const plan = (overlapNs: number, open: boolean, overlapFiltered?: boolean): Promise<WorkUnit[]> =>
    planWork(files, { workers: 2, splitBytes: 1000, overlapNs, open, ...(overlapFiltered === undefined ? {} : { overlapFiltered }) }, () => {});
  // Filtered overlaps skip what pending state cannot use: an open sequence's overlap stops once
  // nothing is pending (split); a bounded window of a quarter of the span or more keeps the file
  // whole (the overlap's text is still read and searched), a shorter one splits.
  assert.equal((await plan(6 * HOUR * 1e6, true)).length, 2);
  assert.equal((await plan(6 * HOUR * 1e6, false, true)).length, 1);
  assert.equal((await plan(6 * HOUR * 1e6, false)).length, 1, 'filtered is the default');
  assert.equal((await plan(2.5 * HOUR * 1e6, false, true)).length, 1, 'a quarter of the 10-hour span');
  assert.equal((await plan(2.4 * HOUR * 1e6, false, true)).length, 2);
  assert.equal((await plan(60e9, false, true)).length, 2);
  // Unfiltered: a window of at least half the span (or none) keeps the file whole; a short one splits.
  assert.equal((await plan(6 * HOUR * 1e6, false, false)).length, 1);
  assert.equal((await plan(60e9, true, false)).length, 1);
  assert.equal((await plan(60e9, false, false)).length, 2);
});

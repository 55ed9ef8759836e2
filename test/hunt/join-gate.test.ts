import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/temp.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JoinGate } from '../../src/hunt/join-gate.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { runHunt } from '../../src/hunt/run.js';
import { keyString } from '../../src/engine/values.js';
import { KeyCounts, type QueryRunner } from '../../src/engine/index.js';
import type { DeferredLine } from '../../src/sources/index.js';
import type { Rule } from '../../src/ir/types.js';
import { writeNdjson } from '../../src/demo/generate.js';

const pack = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: true });
const rule = (id: string): Rule => pack.rules.find((r) => r.id === id)!;

/** A runner whose held state is exactly these join keys. */
function holding(keys: unknown[][] | null, fold = false): QueryRunner {
  const held = keys === null ? null : KeyCounts.of(keys.map((k) => keyString(k, fold)));
  return { push() {}, drain: () => [], end: () => [], stateSize: () => 0, horizon: () => null, heldKeys: () => held };
}

function line(doc: Record<string, unknown>): DeferredLine {
  return { text: JSON.stringify(doc), time: { ms: 0, ns: 0 }, categories: ['process'], numbered: true };
}

const startOf = (exe: unknown, type = 'start'): DeferredLine =>
  line({ '@timestamp': '2024-01-01T00:00:00Z', event: { category: ['process'], type: [type] }, host: { id: 'h1', os: { type: 'windows' } }, process: { executable: exe, parent: { executable: 'C:\\Windows\\services.exe' } } });

test('a deferred process start is wanted only when a held partial has its executable path', () => {
  const gate = JoinGate.of(rule('file-share-remote-exec'))!;
  assert.ok(gate);
  const held = holding([['h1', 'C:\\Windows\\x.exe']]);
  assert.equal(gate.mayUse(held, startOf('C:\\Windows\\x.exe')), true);
  assert.equal(gate.mayUse(held, startOf('C:\\Windows\\y.exe')), false);
  assert.equal(gate.mayUse(held, startOf('c:\\windows\\X.EXE')), false, "Elastic's rule joins case-sensitively");
  assert.equal(gate.mayUse(held, startOf('C:\\Windows\\services.exe')), false, 'the parent path is another key');
  assert.equal(gate.mayUse(held, startOf('C:\\Windows\\x.exe', 'end')), false, 'not a start: no stage takes it');
  assert.equal(gate.mayUse(holding([]), startOf('C:\\Windows\\x.exe')), false, 'nothing held');
  assert.equal(gate.mayUse(holding(null), startOf('C:\\Windows\\y.exe')), true, 'state it cannot list: parse');
  assert.equal(gate.mayUse(held, startOf(['C:\\Windows\\x.exe'])), true, 'an array value is not read: parse');
  assert.equal(gate.mayUse(holding([['h1', null]]), startOf(null)), true, 'a null executable joins a null key');
});

test('a rule joining ignoring case compares folded paths; escapes in the text are decoded', () => {
  const gate = JoinGate.of(rule('file-share-remote-exec-security-audit'))!;
  const held = holding([['h1', 'c:\\windows\\psexesvc.exe']], true);
  assert.equal(gate.mayUse(held, startOf('C:\\Windows\\PSEXESVC.exe')), true);
  const escaped: DeferredLine = { ...startOf('x'), text: startOf('C:\\Windows\\PSEXESVC.exe').text.replace('PSEXESVC', 'PSEXE\\u0053VC') };
  assert.equal(gate.mayUse(held, escaped), true);
});

const BASE = Date.parse('2024-03-01T10:00:00Z');
const at = (ms: number): string => new Date(BASE + ms).toISOString();
const hostOf = { id: 'ws-9', name: 'ws-9', os: { type: 'windows', family: 'windows' } };
const write = (ms: number, path: string): string =>
  JSON.stringify({ '@timestamp': at(ms), host: hostOf, event: { category: ['file'], type: ['creation'] }, process: { pid: 4, name: 'System' }, file: { path } });
const run = (ms: number, path: string): string =>
  JSON.stringify({ '@timestamp': at(ms), host: hostOf, event: { category: ['process'], type: ['start'] }, process: { pid: 77, executable: path, parent: { executable: 'C:\\Windows\\System32\\services.exe' } } });

test('a start logged before its write (within the re-sort lag) is still parsed when the write comes in', async () => {
  const dir = tempDir('spoor-defer-');
  const file = join(dir, 'late-write.ndjson');
  const lines = [run(1_000, 'C:\\Windows\\other.exe'), run(2_200, 'C:\\Windows\\evil.exe'), write(2_000, 'C:\\Windows\\evil.exe'), run(3_000, 'C:\\Windows\\other.exe')];
  writeFileSync(file, lines.join('\n') + '\n');
  const on = await runHunt({ inputs: [file], workers: 0 });
  const off = await runHunt({ inputs: [file], workers: 0, prefilter: false });
  assert.deepEqual(on.alerts.map((a) => [a.ruleId, a.filePath]), [['file-share-remote-exec', 'C:\\Windows\\evil.exe']]);
  assert.deepEqual(on.alerts.map((a) => a.id), off.alerts.map((a) => a.id));
  assert.equal(on.summary.events, 4);
  assert.equal(on.summary.prefiltered, 2, 'the two starts of other.exe were never parsed');
});

test('a deferred line that turns out malformed is reported when it matters, counted as not parsed when not', async () => {
  const dir = tempDir('spoor-defer-');
  const file = join(dir, 'malformed.ndjson');
  const broken = (path: string, ms: number): string => run(ms, path).replace('"pid":77', '"pid":77,');
  writeFileSync(file, [write(1_000, 'C:\\Windows\\evil.exe'), broken('C:\\Windows\\evil.exe', 1_500), broken('C:\\Windows\\other.exe', 1_600)].join('\n') + '\n');
  const r = await runHunt({ inputs: [file], workers: 0 });
  assert.deepEqual(r.summary.problems.map((p) => [p.kind, p.where]), [['malformed-json', 'line 2']]);
  assert.equal(r.summary.prefiltered, 1);
  assert.equal(r.alerts.length, 0);
});

test('deferring lines changes no alert on the generated fleet, split over workers or not', async () => {
  const dir = tempDir('spoor-defer-');
  const file = join(dir, 'fleet.ndjson');
  const gen = await writeNdjson({ events: 40_000, hosts: 40, seed: 23 }, file);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('{"@timestamp":"'), 'the generator writes deferrable lines');
  const on = await runHunt({ inputs: [file], workers: 0 });
  const off = await runHunt({ inputs: [file], workers: 0, prefilter: false });
  assert.ok(on.alerts.length >= gen.planted.length);
  assert.deepEqual(on.alerts.map((a) => a.id), off.alerts.map((a) => a.id));
  assert.ok((on.summary.prefiltered ?? 0) > on.summary.events * 0.8, `not parsed ${on.summary.prefiltered} of ${on.summary.events}`);
});

/** A yml rule of the test pack. */
const ymlRule = (id: string, query: string): string =>
  [`id: ${id}`, `name: ${id}`, 'enabled: true', 'severity: high', 'risk_score: 70', 'description: test rule', 'language: eql', 'view: ecs', 'query: |', ...query.split('\n').map((l) => `  ${l}`), ''].join('\n');

test('rules whose first stage holds thousands of partials: the gate drops no alert (held keys kept as the state changes)', async () => {
  // The shape of Elastic's "SMB Connections via LOLBin or Untrusted Process": most process starts
  // begin a partial, and the state changes on most events; one rule by a single key, one by
  // host and path with `until`, so the gate compares the host part and the path part.
  const dir = tempDir('spoor-held-');
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(
    join(rulesDir, 'smb.yml'),
    ymlRule('t-smb', 'sequence by process.entity_id with maxspan=1m\n  [process where event.type == "start" and process.pid != 4]\n  [network where destination.port == 445 and process.pid != 4]'),
  );
  writeFileSync(
    join(rulesDir, 'path.yml'),
    ymlRule(
      't-path',
      'sequence by host.id, process.executable with maxspan=30s\n  [process where event.type == "start"]\n  [network where destination.port == 445]\n  until [process where event.type == "end"]',
    ),
  );
  let s = 7;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const lines: string[] = [];
  let ms = 0;
  let started = 0;
  for (let i = 0; i < 12_000; i++) {
    ms += rnd(40);
    const h = `h${rnd(6)}`;
    const exe = `C:\\Windows\\p${rnd(400)}.exe`;
    // An entity started recently (held), long ago (expired), or never.
    const r = rnd(10);
    const ent = r < 6 ? `e${Math.max(0, started - rnd(600))}` : r < 8 ? `e${Math.max(0, started - 3000 - rnd(3000))}` : `x${i}`;
    const common = { '@timestamp': at(ms), host: { id: h, name: h, os: { type: 'windows' } } };
    const kind = rnd(3);
    if (kind === 0)
      lines.push(JSON.stringify({ ...common, event: { category: ['process'], type: ['start'] }, process: { pid: 100 + rnd(50), entity_id: `e${started++}`, executable: exe } }));
    else if (kind === 1)
      lines.push(JSON.stringify({ ...common, event: { category: ['network'], type: ['connection'] }, process: { pid: 100, entity_id: ent, executable: exe }, destination: { port: rnd(4) === 0 ? 443 : 445 } }));
    else lines.push(JSON.stringify({ ...common, event: { category: ['process'], type: ['end'] }, process: { pid: 100, entity_id: ent, executable: exe } }));
  }
  const file = join(dir, 'smb.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');
  const on = await runHunt({ inputs: [file], rulesDirs: [rulesDir], workers: 0 });
  const off = await runHunt({ inputs: [file], rulesDirs: [rulesDir], workers: 0, prefilter: false });
  const mine = (as: typeof on.alerts): string[] => as.filter((a) => a.ruleId.startsWith('t-')).map((a) => `${a.ruleId} ${a.id}`);
  assert.deepEqual(mine(on.alerts), mine(off.alerts));
  const per = (id: string): number => on.alerts.filter((a) => a.ruleId === id).length;
  assert.ok(per('t-smb') > 1000 && per('t-path') > 200, `alerts: t-smb ${per('t-smb')}, t-path ${per('t-path')}`);
  assert.ok((on.summary.prefiltered ?? 0) > 1800, `not parsed ${on.summary.prefiltered}`);
});

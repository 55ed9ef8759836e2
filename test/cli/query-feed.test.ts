/**
 * `spoor query`'s feed (hunt/query-stream.ts QueryFeed): lines the prefilter deferred (they can
 * only join a sequence) are parsed only when the sequence holds a key they can join and their
 * time is within the state's horizon; the results must be those of parsing every line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { generateEvents } from '../../src/demo/generate.js';
import { parseEql } from '../../src/eql/index.js';
import { compileQuery, type Match } from '../../src/engine/index.js';
import type { Event } from '../../src/events/field.js';
import { parseFieldPath } from '../../src/events/field.js';
import type { Instant } from '../../src/events/timestamp.js';
import { toEcs } from '../../src/normalize/index.js';
import { discoverInputs, type SourceProblem } from '../../src/sources/index.js';
import { mergeInTimeOrder } from '../../src/hunt/unit.js';
import { ruleLineFilters } from '../../src/hunt/prefilter.js';
import { JoinGate, QueryFeed, queryRule } from '../../src/hunt/query-stream.js';
import { runCli } from './run-cli.js';

const FILE_SHARE = `sequence by host.id with maxspan=1m
  [file where event.type in ("creation", "change") and process.pid == 4 and file.extension : ("exe", "dll")] by file.path
  [process where event.type == "start"] by process.executable`;

const ts = (s: number): string => new Date(Date.UTC(2024, 4, 1, 10, 0, 0) + s * 1000).toISOString();
let seq = 0;
function fileWrite(s: number, host: string, path: string): string {
  return JSON.stringify({ '@timestamp': ts(s), event: { category: ['file'], type: ['creation'], sequence: ++seq }, host: { id: host, name: host }, process: { pid: 4, name: 'System' }, file: { path, extension: 'exe' } });
}
function processStart(s: number, host: string, exe: string): string {
  return JSON.stringify({ '@timestamp': ts(s), event: { category: ['process'], type: ['start'], sequence: ++seq }, host: { id: host, name: host }, process: { pid: 1000 + seq, executable: exe, name: exe.split('\\').pop() } });
}

interface Run {
  keys: string[];
  gated: number;
  pushed: number;
  problems: SourceProblem[];
}

/** The query over `path` as the CLI runs it on one thread, with or without the gate. */
async function run(path: string, gated: boolean, tiebreaker: boolean): Promise<Run> {
  const query = parseEql(FILE_SHARE, { dialect: 'elasticsearch' });
  const times = new WeakMap<Event, Instant>();
  const tb = tiebreaker ? parseFieldPath('event.sequence') : undefined;
  const runner = compileQuery(query, { dialect: 'elasticsearch', timestamp: (ev) => times.get(ev) ?? null, ...(tb ? { tiebreaker: tb } : {}) });
  const problems: SourceProblem[] = [];
  const onProblem = (p: SourceProblem): void => void problems.push(p);
  const found: Match[] = [];
  let pushed = 0;
  const feed = new QueryFeed({
    runner,
    gate: gated ? JoinGate.of(queryRule(query)) : null,
    tiebreaker: tb,
    onProblem,
    view: toEcs,
    accept: (ev, time) => {
      times.set(ev, time);
      pushed++;
    },
    results: (ms) => void found.push(...ms),
  });
  const files = await discoverInputs([path], onProblem);
  await mergeInTimeOrder(files.map((file) => ({ file })), onProblem, 0, ruleLineFilters([queryRule(query)], 0, { writerContext: false }) ?? undefined, undefined, {
    feed: (it) => feed.add(it.se, it.time, undefined),
    flush: () => {},
  });
  feed.flush();
  found.push(...runner.end());
  const keys = found.map((m) => m.events.map((e) => `${times.get(e)?.ms}:${JSON.stringify((e as { process?: unknown }).process)}`).join(' → '));
  return { keys, gated: feed.gated, pushed, problems };
}

test('deferred lines: parsed only when a held key and the horizon allow; same results as parsing them all', async () => {
  const dir = tempDir('spoor-query-feed-');
  const lines = [
    fileWrite(0, 'h1', 'C:\\Windows\\evil.exe'),
    processStart(1, 'h1', 'C:\\Windows\\System32\\svchost.exe'), // key not held: not parsed
    processStart(2, 'h2', 'C:\\Windows\\evil.exe'), // key text held (other host): parsed, no match
    processStart(10, 'h1', 'C:\\Windows\\evil.exe'), // completes the sequence
    fileWrite(20, 'h1', 'C:\\Windows\\late.exe'),
    processStart(90, 'h1', 'C:\\Windows\\late.exe'), // past maxspan (the horizon): not parsed
    processStart(95, 'h1', 'C:\\Windows\\other.exe'),
    '{"@timestamp":"' + ts(96) + '","event":{"category":["process"],"type":["start"]},"process":{"executable":"C:\\\\Windows\\\\late.exe"', // truncated: parsed and reported
  ];
  const path = join(dir, 'events.ndjson');
  writeFileSync(path, lines.join('\n') + '\n');
  for (const tiebreaker of [false, true]) {
    const all = await run(path, false, tiebreaker);
    const gated = await run(path, true, tiebreaker);
    assert.equal(all.keys.length, 1, `one sequence (tiebreaker ${tiebreaker})`);
    assert.match(all.keys[0]!, /"pid":4,.*→.*evil\.exe/);
    assert.deepEqual(gated.keys, all.keys);
    assert.equal(all.gated, 0);
    // svchost (key not held), late.exe at +70 s and other.exe (past the horizon): never parsed.
    assert.equal(gated.gated, 3, `tiebreaker ${tiebreaker}`);
    assert.equal(gated.pushed, all.pushed - 3);
    assert.deepEqual(gated.problems.map((p) => p.kind), ['malformed-json']);
  }
});

test('spoor query prints the same with the prefilter and join gate as with every line parsed', async () => {
  const dir = tempDir('spoor-query-feed-cli-');
  const path = join(dir, 'demo.ndjson');
  writeFileSync(path, [...generateEvents({ events: 6000, hosts: 5, seed: 11 }).lines].join('\n') + '\n');
  const fast = await runCli(['query', FILE_SHARE, path, '-f', 'ndjson']);
  // An explicit --category-field turns the prefilter (and with it the gate) off.
  const slow = await runCli(['query', '--category-field', 'event.category', FILE_SHARE, path, '-f', 'ndjson']);
  assert.equal(fast.code, 1, fast.stderr);
  assert.ok(fast.stdout.split('\n').length > 2, 'some sequences found');
  assert.equal(fast.stdout, slow.stdout);
});

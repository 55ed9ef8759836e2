/**
 * EQL semantics as Elasticsearch runs them, one small fixture per behaviour, each with the result
 * Elasticsearch documents or its source implies (reference in each test). See docs/eql.md,
 * "Differences from Elasticsearch".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEql, parseEqlExpression } from '../../src/eql/index.js';
import type { Expr } from '../../src/ir/types.js';
import { compileExpr, compilePredicate, runBatch, eventsWithPlaceholders, type Match } from '../../src/engine/index.js';
import type { Event } from '../../src/events/field.js';
import { runCli } from '../cli/run-cli.js';

const t = (s: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
const where = (cond: string): Expr => parseEqlExpression(cond);
const ids = (ms: Match[]): number[][] => ms.map((m) => m.events.map((e) => e.id as number));
const run = (q: string, evs: Event[], opts: Parameters<typeof runBatch>[2] = {}): number[][] => ids(runBatch(parseEql(q), evs, opts));

test('a null or missing join key drops the event from the sequence; ?field joins null with null', () => {
  // Elasticsearch: sequence keys are extracted from each hit and hits with a null key are skipped
  // (issue: two unrelated events that both lack process.entity_id must not form a sequence).
  const evs: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process' }, process: { name: 'a' } },
    { id: 2, '@timestamp': t(2), event: { category: 'network' }, process: { name: 'b' } },
    { id: 3, '@timestamp': t(3), event: { category: 'process' }, process: { name: 'a', entity_id: 'E' } },
    { id: 4, '@timestamp': t(4), event: { category: 'network' }, process: { name: 'b', entity_id: 'E' } },
  ];
  assert.deepEqual(run('sequence by process.entity_id [process where true] [network where true]', evs), [[3, 4]]);
  assert.deepEqual(run('sequence by ?process.entity_id [process where true] [network where true]', evs), [[1, 2], [3, 4]]);
  assert.deepEqual(run('sequence [process where true] by process.entity_id [network where true] by process.entity_id', evs), [[3, 4]]);
});

test('an array join key joins on each of its values (cartesian across keys), as Elasticsearch PR #89965', () => {
  const evs: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process' }, host: { ip: ['10.0.0.1', '10.0.0.2'] } },
    { id: 2, '@timestamp': t(2), event: { category: 'network' }, host: { ip: '10.0.0.2' } },
    { id: 3, '@timestamp': t(3), event: { category: 'network' }, host: { ip: ['10.0.0.9'] } },
  ];
  assert.deepEqual(run('sequence by host.ip [process where true] [network where true]', evs), [[1, 2]]);
  // Both events carry both values: one sequence per value, with the same records.
  const both: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process' }, tags: ['foo', 'bar'] },
    { id: 2, '@timestamp': t(2), event: { category: 'network' }, tags: ['foo', 'bar'] },
  ];
  const ms = runBatch(parseEql('sequence by tags [process where true] [network where true]'), both);
  assert.deepEqual(ids(ms), [[1, 2], [1, 2]]);
  assert.deepEqual(ms.map((m) => m.keys).sort(), [['bar'], ['foo']]);
});

test('sequence [q] with runs=N: a single bracketed query repeated N times; runs on any stage', () => {
  // Elastic's own SMB ransomware rules use `sequence by host.id with maxspan=1s [file where …] with runs=3`.
  const evs: Event[] = [1, 2, 3].map((i) => ({ id: i, '@timestamp': t(i), event: { category: 'file' }, host: { id: 'h' }, process: { pid: 4 } }));
  assert.deepEqual(run('sequence by host.id [file where process.pid == 4] with runs=3', evs), [[1, 2, 3]]);
  assert.deepEqual(run('sequence by host.id [file where process.pid == 4] with runs=3', evs.slice(0, 2)), []);
  assert.deepEqual(run('sequence by host.id [file where true] with runs=2 [file where true]', evs), [[1, 2, 3]]);
  assert.throws(() => parseEql('sequence [file where true]'), /at least two/);
});

test('until cancels only sequences strictly before it: an until event that completes the sequence does not', () => {
  const evs: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process' }, k: 'a', n: 1 },
    { id: 2, '@timestamp': t(2), event: { category: 'process' }, k: 'a', n: 2, stop: true },
    { id: 3, '@timestamp': t(3), event: { category: 'process' }, k: 'b', n: 1 },
    { id: 4, '@timestamp': t(4), event: { category: 'process' }, k: 'b', stop: true },
    { id: 5, '@timestamp': t(5), event: { category: 'process' }, k: 'b', n: 2 },
  ];
  const q = 'sequence by k [process where n == 1] [process where n == 2] until [process where stop == true]';
  assert.deepEqual(run(q, evs), [[1, 2]]);
});

test('equal timestamps: the tiebreaker orders them, events without it after those with one', () => {
  const evs: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process', sequence: 9 }, k: 'a', n: 2 },
    { id: 2, '@timestamp': t(1), event: { category: 'process' }, k: 'a', n: 3 },
    { id: 3, '@timestamp': t(1), event: { category: 'process', sequence: 5 }, k: 'a', n: 1 },
  ];
  const q = 'sequence by k [process where n == 1] [process where n == 2] [process where n == 3]';
  assert.deepEqual(run(q, evs, { tiebreaker: ['event', 'sequence'] }), [[3, 1, 2]]);
  assert.deepEqual(run(q, evs), [], 'without a tiebreaker, input order');
});

test('missing-event stages come out as {missing: true} placeholders at their position', () => {
  const evs: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process' }, k: 'a', n: 1 },
    { id: 2, '@timestamp': t(2), event: { category: 'process' }, k: 'a', n: 2 },
  ];
  const ms = runBatch(parseEql('sequence by k with maxspan=1m [process where n == 1] ![process where n == 9] [process where n == 2]'), evs);
  assert.equal(ms.length, 1);
  assert.deepEqual(eventsWithPlaceholders(ms[0]!).map((e) => ('missing' in e && e.missing === true ? 'missing' : (e as Event).id)), [1, 'missing', 2]);
});

test('sample: a null optional key is kept under the null key; samples ordered by key; max samples per key', () => {
  const evs: Event[] = [
    { id: 1, '@timestamp': t(1), event: { category: 'process' }, k: 'z', n: 1 },
    { id: 2, '@timestamp': t(2), event: { category: 'process' }, k: 'z', n: 2 },
    { id: 3, '@timestamp': t(3), event: { category: 'process' }, n: 1 },
    { id: 4, '@timestamp': t(4), event: { category: 'process' }, n: 2 },
    { id: 5, '@timestamp': t(5), event: { category: 'process' }, k: 'a', n: 1 },
    { id: 6, '@timestamp': t(6), event: { category: 'process' }, k: 'a', n: 2 },
    { id: 7, '@timestamp': t(7), event: { category: 'process' }, k: 'a', n: 1 },
    { id: 8, '@timestamp': t(8), event: { category: 'process' }, k: 'a', n: 2 },
  ];
  assert.deepEqual(run('sample by k [process where n == 1] [process where n == 2]', evs), [[5, 6], [1, 2]], 'null key dropped; a before z');
  assert.deepEqual(run('sample by ?k [process where n == 1] [process where n == 2]', evs), [[3, 4], [5, 6], [1, 2]], 'null key first');
  assert.deepEqual(run('sample by k [process where n == 1] [process where n == 2]', evs, { maxSamplesPerKey: 2 }), [[5, 6], [7, 8], [1, 2]]);
});

test('date fields compared with a date string compare instants at ns precision, ISO text or epoch numbers', () => {
  const gt = compilePredicate(where('@timestamp > "2024-01-01T00:00:00.000000001Z"'));
  assert.equal(gt({ '@timestamp': '2024-01-01T00:00:00.000000002Z' }), true);
  assert.equal(gt({ '@timestamp': '2024-01-01T00:00:00.000000001Z' }), false);
  assert.equal(gt({ '@timestamp': '2024-01-01T01:00:00+01:00' }), false, 'same instant as midnight UTC, written in +01:00');
  assert.equal(gt({ '@timestamp': Date.UTC(2024, 0, 1, 0, 0, 1) }), true, 'epoch milliseconds');
  assert.equal(gt({ '@timestamp': Date.UTC(2023, 11, 31) }), false);
  assert.equal(compilePredicate(where('event.created <= "2024-01-01"'))({ event: { created: '2023-12-31T23:59:59.999999999Z' } }), true);
  // Not a date field: plain string ordering.
  assert.equal(compilePredicate(where('message > "2024-01-01"'))({ message: '2024-01-01T00:00:00+01:00' }), true);
});

test('indexOf(s, sub, null) treats the null start as 0 (IndexOfFunctionProcessor)', () => {
  assert.equal(compilePredicate(where('indexOf(s, "b", null) == 1'))({ s: 'abc' }), true);
  assert.equal(compileExpr(parseEqlExpression('indexOf(s, "b", n)'))({ s: 'abc' }), 1);
});

test('not / != of a field compared with literals match a missing field (must_not), scripts keep null', () => {
  const w = (q: string) => compilePredicate(where(q));
  assert.equal(w('not process.code_signature.trusted == true')({}), true);
  assert.equal(w('process.name != "x"')({}), true);
  assert.equal(w('process.name != "x"')({ process: { name: 'x' } }), false);
  assert.equal(w('not process.name : "x*"')({}), true);
  assert.equal(w('not length(process.name) > 3')({}), false, 'a script: not null is null');
});

test('spoor query: --tiebreaker, NDJSON placeholders for missing events, --max-samples-per-key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-es-'));
  try {
    const file = join(dir, 'e.ndjson');
    const lines: Event[] = [
      { '@timestamp': t(1), event: { category: 'process', sequence: 2 }, k: 'a', n: 2 },
      { '@timestamp': t(1), event: { category: 'process', sequence: 1 }, k: 'a', n: 1 },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await runCli(['query', '-f', 'ndjson', 'sequence by k with maxspan=1m [process where n == 1] ![process where n == 7] [process where n == 2]', file]);
    assert.equal(r.code, 1, r.stderr); // 1 = results (exit codes as hunt's)
    const out = JSON.parse(r.stdout.trim()) as { events: { n?: number; missing?: boolean }[] };
    assert.deepEqual(out.events.map((e) => e.missing ?? e.n), [1, true, 2]);
    const off = await runCli(['query', '-f', 'ndjson', '--tiebreaker', 'none', 'sequence by k [process where n == 1] [process where n == 2]', file]);
    assert.equal(off.code, 0, 'input order: n == 2 comes first, no sequence');
    const bad = await runCli(['query', '--max-samples-per-key', '0', 'sample by k [process where true] [process where true]', file]);
    assert.equal(bad.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

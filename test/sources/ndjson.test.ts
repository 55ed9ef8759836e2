import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFER, lineAtOffset, parseDeferred, rangeFirstLines, readNdjsonBytes, readNdjsonFile, readNdjsonRange, type LineFilter } from '../../src/sources/ndjson.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { collect, pieces, tempDir } from './util.js';

test('NDJSON: good lines around malformed ones are kept, bad ones reported with file:line', async () => {
  const t = tempDir();
  try {
    const f = t.file('a.ndjson', '{"a":1}\n{"a":2\n\n   \n{"a":3}\nnot json\n42\n{"a":4}');
    const { events, problems } = await collect((sink) => readNdjsonFile(f, sink));
    assert.deepEqual(events.map((e) => e.event.a), [1, 3, 4]);
    assert.deepEqual(events.map((e) => e.position), [1, 5, 8]);
    assert.deepEqual(
      problems.map((p) => [p.kind, p.file, p.where, p.skipped]),
      [
        ['malformed-json', f, 'line 2', true],
        ['malformed-json', f, 'line 6', true],
        ['malformed-json', f, 'line 7', true],
      ],
    );
    assert.match(problems[2]!.message, /expected a JSON object/);
  } finally {
    t.cleanup();
  }
});

test('NDJSON: CRLF, UTF-8 BOM, 64-bit integers exact, lines split across chunks', async () => {
  const text = '\ufeff{"t":131485996510000001,"s":"é✓"}\r\n{"t":2}\r\n';
  for (const size of [1, 2, 3, 7, 1000]) {
    const { events, problems } = await collect((sink) => readNdjsonBytes(pieces(text, size), 'x', sink));
    assert.deepEqual(problems, [], `chunk size ${size}`);
    assert.equal(events.length, 2);
    assert.equal(events[0]!.event.t, 131485996510000001n);
    assert.equal(events[0]!.event.s, 'é✓');
    assert.equal(events[1]!.event.t, 2);
  }
});

test('NDJSON: Elasticsearch hits, elasticdump and _bulk lines yield _source, index/id kept aside', async () => {
  const text = [
    JSON.stringify({ _index: 'logs-1', _id: 'abc', _source: { process: { pid: 4 } } }),
    JSON.stringify({ index: { _index: 'logs-1', _id: 'b1' } }),
    JSON.stringify({ bulk: true }),
    JSON.stringify({ index: 'not-an-action' }),
    JSON.stringify({ took: 3, hits: { total: 2, hits: [{ _index: 'i', _id: 1, _source: { n: 1 } }, { _index: 'i', _id: 2, _source: { n: 2 } }] } }),
  ].join('\n');
  const { events, problems } = await collect((sink) => readNdjsonBytes(pieces(text, 64), 'es', sink));
  assert.deepEqual(problems, []);
  assert.deepEqual(events.map((e) => e.event), [{ process: { pid: 4 } }, { bulk: true }, { index: 'not-an-action' }, { n: 1 }, { n: 2 }]);
  assert.deepEqual((events[0] as { hit?: unknown }).hit, { index: 'logs-1', id: 'abc' });
  assert.deepEqual((events[4] as { hit?: unknown }).hit, { index: 'i', id: '2' });
});

test('NDJSON ranges: any split yields every line exactly once, with absolute line numbers on request', async () => {
  const t = tempDir();
  try {
    const lines: string[] = [];
    for (let i = 1; i <= 500; i++) lines.push(JSON.stringify({ i, pad: (i % 5 === 0 ? 'é✓' : '') + 'x'.repeat(i % 37) }));
    lines.splice(100, 0, '{broken'); // line 101 is malformed
    const f = t.file('r.ndjson', lines.join('\r\n') + '\n');
    const size = statSync(f).size;
    for (const parts of [1, 2, 3, 7, 64]) {
      const cuts = [0];
      for (let k = 1; k < parts; k++) cuts.push(Math.floor((size * k) / parts) + (k % 3)); // land mid-line and on line starts
      cuts.push(size);
      const seen: number[] = [];
      const where: string[] = [];
      for (let k = 0; k < parts; k++) {
        const { events, problems } = await collect((sink) => readNdjsonRange(f, cuts[k]!, cuts[k + 1]!, sink, { absoluteLines: true }));
        for (const e of events) {
          seen.push(e.event.i as number);
          const expectedLine = (e.event.i as number) + ((e.event.i as number) > 100 ? 1 : 0);
          assert.equal(e.position, expectedLine, `parts ${parts}: line number of i=${e.event.i}`);
        }
        where.push(...problems.map((p) => p.where!));
      }
      assert.deepEqual(seen, Array.from({ length: 500 }, (_, i) => i + 1), `parts ${parts}`);
      assert.deepEqual(where, ['line 101'], `parts ${parts}`);
    }
    // Line numbers computed for all ranges in one pass give the same positions.
    const cuts = [0, 1, lines[0]!.length + 2, Math.floor(size / 3), Math.floor(size / 2) + 5, size - 3];
    const firsts = await rangeFirstLines(f, cuts);
    for (let k = 0; k < cuts.length; k++) {
      const withCount = await collect((sink) => readNdjsonRange(f, cuts[k]!, size, sink, { absoluteLines: true }));
      const withFirst = await collect((sink) => readNdjsonRange(f, cuts[k]!, size, sink, { firstLine: firsts[k]! }));
      assert.deepEqual(withFirst.events.map((e) => e.position), withCount.events.map((e) => e.position), `cut ${cuts[k]}`);
    }
    // Without absoluteLines, a range not starting at 0 reports byte offsets, convertible later.
    const offsetRange = await collect((sink) => readNdjsonRange(f, Math.floor(size / 2), size, sink));
    const firstEvent = offsetRange.events[0]!;
    assert.equal(await lineAtOffset(f, firstEvent.position!), (firstEvent.event.i as number) + 1);
    const start = lines[0]!.length + 2;
    const { events } = await collect((sink) => readNdjsonRange(f, start, start + 1, sink));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event.i, 2);
    assert.equal(events[0]!.position, start);
  } finally {
    t.cleanup();
  }
});

test('NDJSON: the ecs-derived files of ../shared parse without problems', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'ecs-derived');
  if (!dir) return;
  for (const name of ['POS_psexesvc_remote_copy.defend.ndjson', 'POS_psexesvc_remote_copy.winlogbeat.ndjson']) {
    const f = join(dir, name);
    const { events, problems } = await collect((sink) => readNdjsonFile(f, sink));
    assert.deepEqual(problems, []);
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => typeof e.event['@timestamp'] === 'string'));
  }
});

test('NDJSON: a line much longer than a chunk is joined once and read', async () => {
  const big = JSON.stringify({ big: 'y'.repeat(300_000) });
  const text = `{"a":1}\n${big}\n{"a":3}`;
  for (const size of [1000, 65536]) {
    const { events, problems } = await collect((sink) => readNdjsonBytes(pieces(text, size), 'long', sink));
    assert.deepEqual(problems, []);
    assert.equal(events.length, 3, `chunk size ${size}`);
    assert.equal((events[1]!.event.big as string).length, 300_000);
    assert.deepEqual(events.map((e) => e.position), [1, 2, 3]);
  }
});

test('NDJSON files read through recycled block buffers: every line intact across block edges, long lines too', async () => {
  // Lines of many lengths, some longer than a 1 MiB block, so that lines are cut at every kind
  // of block edge while the reader reuses its two block buffers and its join buffer.
  const t = tempDir();
  const docs: { i: number; s: string }[] = [];
  for (let i = 0; i < 4000; i++) docs.push({ i, s: String.fromCharCode(97 + (i % 26)).repeat(i % 7 === 0 ? 3000 + i * 17 : 40 + (i % 900)) });
  docs.splice(1000, 0, { i: -1, s: 'L'.repeat(2_500_000) });
  docs.splice(3000, 0, { i: -2, s: 'M'.repeat(1_100_000) });
  const text = docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
  const f = t.file('edges.ndjson', text);
  const size = statSync(f).size;
  assert.ok(size > 5 * 1024 * 1024, `${size} bytes`);
  const whole = await collect((sink) => readNdjsonFile(f, sink));
  assert.deepEqual(whole.problems, []);
  assert.deepEqual(whole.events.map((e) => e.event), docs);
  // Split into ranges at arbitrary offsets: together they yield each line exactly once.
  const cuts = [0, 777_777, 2_000_001, 4_321_000, size];
  const parts: unknown[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const r = await collect((sink) => readNdjsonRange(f, cuts[k]!, cuts[k + 1]!, sink));
    assert.deepEqual(r.problems, []);
    parts.push(...r.events.map((e) => e.event));
  }
  assert.deepEqual(parts, docs);
});

test('deferred lines: plain documents and Elasticsearch hits with a leading @timestamp wait; hits are unwrapped when parsed', async () => {
  const lines = [
    '{"@timestamp":"2026-03-02T08:00:00Z","a":1}',
    '{"_index":"logs","_id":"1","_source":{"@timestamp":"2026-03-02T08:00:01Z","a":2},"sort":[1]}',
    // Not deferred: the _source is not a top-level key, a second @timestamp, a second _index, no leading time.
    '{"_index":"logs","x":{"_source":{"@timestamp":"2026-03-02T08:00:02Z"}},"_source":{"a":3}}',
    '{"_index":"logs","_source":{"@timestamp":"2026-03-02T08:00:03Z","b":{"@timestamp":"2026-03-02T09:00:00Z"}}}',
    '{"_index":"logs","_source":{"@timestamp":"2026-03-02T08:00:04Z"},"_index":5}',
    '{"_index":"logs","_id":"2","_source":{"a":5,"@timestamp":"2026-03-02T08:00:05Z"}}',
    '{"_index":"logs","x":{"_source":{"@timestamp":"2026-03-02T08:00:06Z"}}}',
  ];
  const filter = { needles: [], keep: () => DEFER, skipped: 0 } as LineFilter;
  const { events, problems } = await collect((sink) => readNdjsonBytes(pieces(lines.join('\n') + '\n', 37), 'es', sink, filter));
  assert.deepEqual(problems, []);
  assert.deepEqual(events.map((e) => e.deferred !== undefined), [true, true, false, false, false, false, false]);
  assert.equal(events[1]!.deferred!.time.ms, Date.parse('2026-03-02T08:00:01Z'));
  assert.equal(parseDeferred(events[1]!, () => {}), true);
  assert.deepEqual(events[1]!.event, { '@timestamp': '2026-03-02T08:00:01Z', a: 2 });
  assert.deepEqual((events[1] as { hit?: unknown }).hit, { index: 'logs', id: '1' });
  assert.equal(parseDeferred(events[0]!, () => {}), true);
  assert.deepEqual(events[0]!.event, { '@timestamp': '2026-03-02T08:00:00Z', a: 1 });
});

test('NDJSON: a block of many non-ASCII lines yields in batches with each line at its own byte offset, filtered lines counted', async () => {
  // More than one batch (256 events) per 1 MiB block, multi-byte characters on every other
  // line (byte offsets then differ from string indexes), a filter skipping every third line:
  // the reader stops and resumes within a block and must keep its line and byte positions.
  const t = tempDir();
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ i, s: i % 2 === 0 ? `é€${'x'.repeat(i % 50)}` : 'plain' }));
  const text = lines.join('\n') + '\n';
  const f = t.file('utf8.ndjson', text);
  const offsets: number[] = [];
  for (let i = 0, at = 0; i < lines.length; i++) {
    offsets.push(at);
    at += Buffer.byteLength(lines[i]!) + 1;
  }
  const filter: LineFilter = { needles: ['"i":'], skipped: 0, keep: (line) => (JSON.parse(line).i % 3 === 2 ? 0 : 1) };
  const start = offsets[100]! - 3; // inside line 99 (0-based): the range begins with line 100
  const r = await collect((sink) => readNdjsonRange(f, start, statSync(f).size, sink, { filter }));
  assert.deepEqual(r.problems, []);
  const want = lines.map((_, i) => i).filter((i) => i >= 100 && i % 3 !== 2);
  assert.deepEqual(r.events.map((e) => (e.event as { i: number }).i), want);
  assert.deepEqual(r.events.map((e) => e.position), want.map((i) => offsets[i]));
  assert.equal(filter.skipped, lines.length - 100 - want.length);
  // From the start, with line numbers.
  const whole = await collect((sink) => readNdjsonFile(f, sink));
  assert.deepEqual(whole.events.map((e) => e.position), lines.map((_, i) => i + 1));
});

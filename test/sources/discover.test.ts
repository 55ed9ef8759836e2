import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { discoverInputs, readByteStream, readInput, readInputs, ProblemCounter } from '../../src/sources/index.js';
import { sniff } from '../../src/sources/sniff.js';
import type { SourceProblem } from '../../src/sources/types.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { collect, makeFifo, tempDir } from './util.js';

const XML = `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4688</EventID><Computer>h</Computer></System><EventData><Data Name="NewProcessName">C:\\x.exe</Data></EventData></Event>`;

test('sniffing looks at content, not names', () => {
  const s = (text: string | Buffer) => sniff(typeof text === 'string' ? Buffer.from(text) : text);
  assert.deepEqual(s('{"a":1}\n{"a":2}\n'), { format: 'ndjson', gzip: false });
  assert.deepEqual(s('{\n  "a": 1\n}\n{\n  "a": 2\n}\n'), { format: 'json', gzip: false });
  assert.deepEqual(s('{ "Event": {\n "a": 1 } }\n'), { format: 'json', gzip: false });
  assert.deepEqual(s('{"a":1\n{"a":2}\n'), { format: 'ndjson', gzip: false }, 'a broken first line does not turn NDJSON into JSON');
  assert.deepEqual(s('  [ {"a":1} ]'), { format: 'json', gzip: false });
  assert.deepEqual(s('{\n  "took": 3, "hits": {"hits": []}}'), { format: 'es-search', gzip: false });
  assert.deepEqual(s(`\ufeff${XML}`), { format: 'xml', gzip: false });
  assert.deepEqual(s(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(XML, 'utf16le')])), { format: 'xml', gzip: false, utf16: true });
  assert.deepEqual(s(Buffer.from('ElfFile\0rest')), { format: 'evtx', gzip: false });
  assert.deepEqual(s(gzipSync('{"a":1}\n')), { format: 'ndjson', gzip: true });
  assert.deepEqual(s(''), { format: 'ndjson', gzip: false });
  assert.equal(s('id: 1\ntitle: x\n').format, null);
  assert.equal(s(Buffer.from([1, 2, 0, 4])).format, null);
});

test('directories: recursive, every format sniffed, unknown and unreadable inputs reported', async () => {
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'sub', 'deeper'), { recursive: true });
    t.file('a.log', '{"n":1}\n{"n":2}\n');
    t.file('sub/b.txt', JSON.stringify([{ n: 3 }, { n: 4 }], null, 2));
    t.file('sub/deeper/c.gz', gzipSync(JSON.stringify({ n: 5 }, null, 1) + '\n' + JSON.stringify({ n: 6 }, null, 1)));
    t.file('sub/d.dat', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(XML + '\r\n' + XML, 'utf16le')]));
    t.file('sub/e.ndjson.gz', gzipSync('{"n":7}\n{"n":8\n{"n":9}\n'));
    t.file('rule.yml', 'title: not events\n');
    if (process.platform !== 'win32') symlinkSync('..', join(t.dir, 'sub', 'loop')); // a symlink loop ends
    const problems: SourceProblem[] = [];
    const inputs = await discoverInputs([t.dir, join(t.dir, 'missing.json')], (p) => problems.push(p));
    assert.deepEqual(
      inputs.map((i) => [i.path.slice(t.dir.length + 1), i.format, i.gzip]),
      [
        ['a.log', 'ndjson', false],
        ['sub/b.txt', 'json', false],
        ['sub/d.dat', 'xml', false],
        ['sub/deeper/c.gz', 'json', true],
        ['sub/e.ndjson.gz', 'ndjson', true],
      ],
    );
    assert.deepEqual(problems.map((p) => [p.kind, p.file.slice(t.dir.length + 1)]), [
      ['unknown-format', 'rule.yml'],
      ['unreadable-file', 'missing.json'],
    ]);
    const counter = new ProblemCounter({ quiet: true });
    const events = [];
    for await (const batch of readInputs([t.dir], counter.sink)) events.push(...batch);
    const ns = events.map((e) => e.event.n ?? 'xml');
    assert.deepEqual(ns, [1, 2, 3, 4, 'xml', 'xml', 5, 6, 7, 9]);
    assert.deepEqual(counter.counts, { 'unknown-format': 1, 'malformed-json': 1 });
    assert.equal(counter.total(), 2);
    const gzProblem = counter.first.find((p) => p.kind === 'malformed-json')!;
    assert.equal(gzProblem.where, 'line 2');
    assert.ok(gzProblem.file.endsWith('e.ndjson.gz'));
  } finally {
    t.cleanup();
  }
});

test('a corrupt gzip file is reported, the events before the damage are kept', async () => {
  const t = tempDir();
  try {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, pad: `${i}`.repeat(20) })).join('\n');
    const gz = gzipSync(lines);
    const f = t.file('cut.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const counter = new ProblemCounter({ quiet: true });
    const [input] = await discoverInputs([f], counter.sink);
    const { events, problems } = await collect((sink) => readInput(input!, sink));
    assert.ok(events.length > 0 && events.length < 2000, `kept ${events.length}`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /unexpected end of file/i);
  } finally {
    t.cleanup();
  }
});

test('a zero-filled region (a crash while writing, a preallocated log) does not make a text log binary; its NULs are dropped with a warning', async () => {
  const zeros = (n: number): Buffer => Buffer.alloc(n);
  const line = (i: number): string => JSON.stringify({ i, host: { name: 'h' } });
  const ev = (i: number): string => `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>${i}</EventID></System></Event>`;
  const cases: [string, Buffer, string][] = [
    // NDJSON: zeros on a line of their own, and zeros glued before the next line.
    ['mid.ndjson', Buffer.concat([Buffer.from(`${[0, 1, 2].map(line).join('\n')}\n`), zeros(4096), Buffer.from(`\n${line(3)}\n`), zeros(600), Buffer.from(`${line(4)}\n`)]), 'ndjson'],
    ['start.ndjson', Buffer.concat([zeros(70000), Buffer.from(`${line(0)}\n${line(1)}\n${line(2)}\n${line(3)}\n${line(4)}\n`)]), 'ndjson'],
    // A JSON array and Windows event XML with zeros between their values.
    ['arr.json', Buffer.concat([Buffer.from(`[\n${[0, 1, 2].map(line).join(',\n')},\n`), zeros(5000), Buffer.from(`${line(3)},\n${line(4)}\n]\n`)]), 'json'],
    ['events.xml', Buffer.concat([Buffer.from(`<Events>\n${[0, 1, 2].map(ev).join('\n')}\n`), zeros(5000), Buffer.from(`${ev(3)}\n${ev(4)}\n</Events>\n`)]), 'xml'],
  ];
  const t = tempDir();
  try {
    for (const [name, bytes, format] of cases) {
      assert.deepEqual(sniff(bytes.subarray(0, 65536)), { format, gzip: false }, name);
      const counter = new ProblemCounter({ quiet: true });
      const [input] = await discoverInputs([t.file(name, bytes)], counter.sink);
      const { events, problems } = await collect((sink) => readInput(input!, sink));
      assert.equal(events.length, 5, `${name}: every record around the zeros is read`);
      if (format !== 'xml') {
        assert.ok(problems.length >= 1 && problems.every((p) => p.kind === 'nul-bytes' && !p.skipped), `${name}: ${JSON.stringify(problems)}`);
        assert.match(problems[0]!.message, /NUL bytes (removed|between values ignored)/);
      }
    }
  } finally {
    t.cleanup();
  }
  // Text that is not text: binary data (UTF-16 without a byte order mark is read: utf16.test.ts).
  assert.equal(sniff(Buffer.from([0x7b, 0, 0, 0, 0x7d])).format, null);
});

test('XML problems show at most 40 characters of markup, NUL runs and control characters escaped', async () => {
  const text = `<Events>\n<Event><System></Ev${'\u0000'.repeat(500)}ent></System></Event>\n</Events>\n`;
  const { problems } = await collect((sink) => readByteStream(Readable.from([Buffer.from(text)]), '-', sink));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /^bad end tag <\/Ev\[500 NUL bytes\]ent>; event starting at line 2 skipped$/);
});

test('a named pipe inside a directory is reported, not read (it would block the walk)', async (t) => {
  const d = tempDir();
  try {
    const fifo = makeFifo(t, d.dir);
    if (!fifo) return;
    d.file('a.json', '{"a":1}\n');
    const counter = new ProblemCounter({ quiet: true });
    const inputs = await discoverInputs([d.dir], counter.sink);
    assert.deepEqual(inputs.map((i) => i.path), [join(d.dir, 'a.json')]);
    const problems = counter.first.filter((p) => p.file === fifo);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /^a named pipe inside a directory is not read \(name it to read it\); skipped$/);
    assert.equal(problems[0]!.skipped, true);
  } finally {
    d.cleanup();
  }
});

test('streams of unknown format (as stdin is read) are sniffed', async () => {
  const gz = gzipSync('{"a":1}\n{"a":2}\n');
  const { events } = await collect((sink) => readByteStream(Readable.from([gz.subarray(0, 5), gz.subarray(5)]), '-', sink));
  assert.deepEqual(events.map((e) => e.event.a), [1, 2]);
  const { events: none, problems } = await collect((sink) => readByteStream(Readable.from([Buffer.from('hello')]), '-', sink));
  assert.equal(none.length, 0);
  assert.equal(problems[0]!.kind, 'unknown-format');
});

test('../shared regression_data: evtx_dump JSON files read as concatenated objects', async (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'sigma', 'regression_data', 'rules', 'windows', 'file', 'file_event', 'file_event_win_hktl_netexec_file_indicators');
  if (!dir) return;
  const counter = new ProblemCounter({ quiet: true });
  const inputs = (await discoverInputs([dir], counter.sink)).filter((i) => i.format === 'json');
  assert.equal(inputs.length, 1);
  const { events, problems } = await collect((sink) => readInput(inputs[0]!, sink));
  assert.deepEqual(problems, []);
  assert.equal(events.length, 7);
  assert.ok(events.every((e) => (e.event.Event as { System: { EventID: number } }).System.EventID === 11));
});

test('a stream (stdin) can be read again from the start after a first partial pass', async () => {
  const { PeekableBytes, REPLAY_BYTES } = await import('../../src/sources/bytes.js');
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i }) + '\n').join('');
  const stream = new PeekableBytes(Readable.from([Buffer.from(lines.slice(0, 1000)), Buffer.from(lines.slice(1000, 20000)), Buffer.from(lines.slice(20000))]), { replayBytes: REPLAY_BYTES });
  const first = await collect((sink) => readByteStream(stream, '-', sink));
  assert.equal(first.events.length, 3000);
  const again = await collect((sink) => readByteStream(stream, '-', sink));
  assert.deepEqual(again.events.map((e) => e.event.i), first.events.map((e) => e.event.i));
});

test('a stream read once releases what it has read; reading it again fails clearly', async () => {
  const { PeekableBytes } = await import('../../src/sources/bytes.js');
  const stream = new PeekableBytes(Readable.from([Buffer.from('{"a":1}\n'), Buffer.from('{"a":2}\n')]));
  assert.equal((await collect((sink) => readByteStream(stream, '-', sink))).events.length, 2);
  const again = await collect((sink) => readByteStream(stream, '-', sink));
  assert.equal(again.events.length, 0);
  assert.equal(again.problems.length, 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readJsonValues, recoverValues } from '../../src/sources/json-values.js';
import { fileBytes } from '../../src/sources/bytes.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { collect, pieces } from './util.js';

const read = (text: string, size = 5) => collect((sink) => readJsonValues(pieces(text, size), 'f.json', sink));

test('JSON array: elements streamed, strings with brackets/escapes do not confuse the splitter', async () => {
  const text = '\ufeff[\n {"a": "x]}\\"{["},\n {"a": [1, {"b": 2}]},\n{"a":3} ]\n';
  for (const size of [1, 3, 64]) {
    const { events, problems } = await read(text, size);
    assert.deepEqual(problems, []);
    assert.deepEqual(events.map((e) => e.event.a), ['x]}"{[', [1, { b: 2 }], 3]);
    assert.deepEqual(events.map((e) => e.position), [1, 2, 3]);
  }
});

test('concatenated pretty-printed objects (evtx_dump style) and a single document', async () => {
  const a = JSON.stringify({ Event: { System: { EventID: 1 } } }, null, 2);
  const b = JSON.stringify({ Event: { System: { EventID: 2 } } }, null, 2);
  const { events } = await read(`${a}\n${b}\n`);
  assert.deepEqual(events.map((e) => (e.event.Event as { System: { EventID: number } }).System.EventID), [1, 2]);
  const single = await read(a);
  assert.equal(single.events.length, 1);
});

test('a malformed element is reported with element and line, the next ones are kept', async () => {
  const text = '[\n{"a":1},\n{"a": tru},\n"str",\n{"a":2}\n]';
  const { events, problems } = await read(text, 4);
  assert.deepEqual(events.map((e) => e.event.a), [1, 2]);
  assert.deepEqual(problems.map((p) => [p.kind, p.where]), [
    ['malformed-json', 'element 2 (line 3)'],
    ['malformed-json', 'element 3 (line 4)'],
  ]);
});

test('a broken element does not swallow the good ones after it: one per line, pretty-printed, concatenated; every chunk size', async () => {
  const elements = Array.from({ length: 12 }, (_, i) => ({ n: i + 1, host: { name: `h${i}`, ip: ['10.0.0.1'] }, msg: `a "quoted" [x] {y} \\ ${i}` }));
  // Element 4 loses a quote (strings turn inside out); element 9 is cut off after its first lines.
  const texts = (f: (e: object) => string): string[] =>
    elements.map((e, i) => {
      const t = f(e);
      if (i === 3) return t.replace('"n"', '"n');
      if (i === 8) return t.slice(0, t.indexOf('"name"') + 4);
      return t;
    });
  const indent = (t: string): string => t.split('\n').map((l) => `  ${l}`).join('\n');
  const shapes: [string, string][] = [
    ['one per line', `[\n${texts((e) => JSON.stringify(e)).join(',\n')}\n]\n`],
    ['pretty-printed', `[\n${texts((e) => indent(JSON.stringify(e, null, 2))).join(',\n')}\n]\n`],
    ['concatenated', `${texts((e) => JSON.stringify(e, null, 2)).join('\n')}\n`],
  ];
  for (const [shape, text] of shapes) {
    const lineOf = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    for (const size of [7, 64, 4096]) {
      const { events, problems } = await read(text, size);
      const what = `${shape}, chunks of ${size}`;
      assert.deepEqual(events.map((e) => e.event.n), [1, 2, 3, 5, 6, 7, 8, 10, 11, 12], what);
      assert.deepEqual(events.map((e) => e.position), [1, 2, 3, 5, 6, 7, 8, 10, 11, 12], `${what}: positions are element numbers`);
      assert.equal(problems.length, 2, `${what}: ${JSON.stringify(problems.map((p) => p.message))}`);
      assert.ok(problems.every((p) => p.kind === 'malformed-json' && p.skipped), what);
      // Each problem names its element and the line it starts on.
      const start4 = shape === 'one per line' ? lineOf('"n:4') : lineOf('"n: 4') - 1;
      const start9 = shape === 'one per line' ? lineOf('"n":9') : lineOf('"n": 9') - 1;
      assert.deepEqual(problems.map((p) => p.where), [`element 4 (line ${start4})`, `element 9 (line ${start9})`], what);
    }
  }
});

test('reading a broken value again stays linear: 32,000 cut-off elements are not each scanned to the end', async () => {
  const text = Array.from({ length: 32000 }, (_, i) => `{"a": ${i}, "b": {"c": [1, 2, {"d": "x`).join('\n');
  const work = { chars: 0 };
  const rec = recoverValues(text, 1, 0, (t) => JSON.parse(t) as unknown, work);
  assert.equal(rec, null, 'nothing to recover');
  assert.ok(work.chars > 0 && work.chars <= 2 * text.length, `scanned ${work.chars} characters for a ${text.length}-character text`);
  // Good elements after broken ones are still found within that bound.
  const mixed = `${text.slice(0, 4000)}\n${JSON.stringify({ a: 'ok' })}\n${JSON.stringify({ a: 'ok2' })}`;
  const found = recoverValues(mixed, 1, 0, (t) => JSON.parse(t) as unknown);
  assert.deepEqual(found?.values.map((v) => (v.value as { a: string }).a), ['ok', 'ok2']);
});

test('input ending inside a later element: that element is the truncated one, not the broken one before it', async () => {
  const text = '[\n{"a": 1},\n{"a": 2, "b": "x},\n{"a": 3},\n{"a": 4, "c';
  const { events, problems } = await read(text, 16);
  assert.deepEqual(events.map((e) => e.event.a), [1, 3]);
  assert.deepEqual(problems.map((p) => p.where), ['element 2 (line 3)', 'element 4 (line 5)']);
  assert.doesNotMatch(problems[0]!.message, /truncated/);
  assert.match(problems[0]!.message, /reading resumed at line 4$/);
  assert.match(problems[1]!.message, /^truncated: input ended inside this value/);
});

test('a broken element in a one-line array: the rest is given up and the problem says how much', async () => {
  const text = `[${Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(40) })).join(',')}]`.replace('"n":10', '"n:10');
  const { events, problems } = await read(text, 64);
  assert.deepEqual(events.map((e) => e.event.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /; [\d,]+ characters skipped$/);
});

test('truncated input: the unfinished value is reported as truncated', async () => {
  const { events, problems } = await read('{"a":1}\n{"a":2,\n"b":');
  assert.equal(events.length, 1);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /truncated/);
  assert.equal(problems[0]!.where, 'element 2 (line 2)');
});

test('Elasticsearch _search response and array of hits yield _source', async () => {
  const resp = JSON.stringify({ took: 1, timed_out: false, hits: { hits: [{ _index: 'a', _id: 'x', _source: { k: 1 } }, { _index: 'a', _id: 'y', _source: { k: 2 } }] } }, null, 2);
  const { events } = await read(resp, 7);
  assert.deepEqual(events.map((e) => e.event), [{ k: 1 }, { k: 2 }]);
  const arr = JSON.stringify([{ _index: 'a', _id: 'x', _source: { k: 3 } }]);
  assert.deepEqual((await read(arr)).events.map((e) => e.event), [{ k: 3 }]);
});

test('endgame test_data.json: all 102 events, FILETIME timestamps exact', async (t) => {
  const f = sharedOrSkip(t, 'conformance', 'eql', 'endgame', 'test_data.json');
  if (!f) return;
  const { events, problems } = await collect((sink) => readJsonValues(fileBytes(f), f, sink));
  assert.deepEqual(problems, []);
  const expected = JSON.parse(readFileSync(f, 'utf8')) as { serial_event_id: number }[];
  assert.equal(events.length, expected.length);
  assert.deepEqual(events.map((e) => e.event.serial_event_id), expected.map((e) => e.serial_event_id));
  const big = events.find((e) => typeof e.event.timestamp === 'bigint');
  assert.ok(big, 'FILETIME values above 2^53 stay bigint');
});

test('splitter: random strings full of quotes, backslashes and brackets, cut at every chunk size', async () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = ['\\', '"', '{', '}', '[', ']', ',', 'a', ' ', '\\\\', 'é', '\n'];
  const values = Array.from({ length: 40 }, (_, k) => {
    let s = '';
    for (let i = Math.floor(rnd() * 12); i > 0; i--) s += alphabet[Math.floor(rnd() * alphabet.length)];
    return { k, s, nested: { list: [s, k] } };
  });
  const texts = [JSON.stringify(values), values.map((v) => JSON.stringify(v, null, 1)).join('\n')];
  for (const text of texts) {
    for (const size of [1, 2, 3, 5, 8, 13, 4096]) {
      const { events, problems } = await read(text, size);
      assert.deepEqual(problems, [], `size ${size}`);
      assert.deepEqual(events.map((e) => e.event), values, `size ${size}`);
    }
  }
});

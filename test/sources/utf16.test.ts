/**
 * UTF-16 text input: little- and big-endian, with or without a byte order mark. Read as the same
 * text in UTF-8 would be, and never cut into byte ranges (a split of UTF-16 bytes at newline
 * bytes, read as UTF-8, lost alerts: 4 of 8 on a 490 MB file before 2026-12-03).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { discoverInputs, readByteStream, readInput, type InputFile } from '../../src/sources/index.js';
import { sniff } from '../../src/sources/sniff.js';
import { textEncoding } from '../../src/sources/bytes.js';
import { planWork } from '../../src/hunt/plan.js';
import { runUnit } from '../../src/hunt/unit.js';
import { Detector } from '../../src/hunt/detector.js';
import { loadHuntRules, longestWindowNs } from '../../src/hunt/load-rules.js';
import type { Alert } from '../../src/alert/types.js';
import { collect, tempDir } from './util.js';
import { BASE, ndjson, noise, start, systemWrite } from '../hunt/defend-events.js';

type Encoding = 'utf16le' | 'utf16be';

/** `text` in UTF-16 of either byte order, with or without a byte order mark. */
function utf16(text: string, encoding: Encoding, bom: boolean): Buffer {
  const le = Buffer.from((bom ? '\ufeff' : '') + text, 'utf16le');
  return encoding === 'utf16le' ? le : le.swap16();
}

const VARIANTS: [Encoding, boolean][] = [
  ['utf16le', true],
  ['utf16be', true],
  ['utf16le', false],
  ['utf16be', false],
];

const XML = `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4688</EventID><Computer>h</Computer></System><EventData><Data Name="NewProcessName">C:\\Users\\Zoë\\x.exe</Data></EventData></Event>`;
const LINES = [
  '{"n":1,"path":"C:\\\\Users\\\\Zoë\\\\😀.exe","big":18446744073709551615}',
  '{"n":2,"note":"日本語"}',
  '{"n":3}',
].join('\r\n');

test('UTF-16 in either byte order, with or without a BOM, is sniffed as the text it holds', () => {
  for (const [enc, bom] of VARIANTS) {
    const name = `${enc}${bom ? ' BOM' : ''}`;
    assert.equal(textEncoding(utf16(LINES, enc, bom)), enc, name);
    assert.deepEqual(sniff(utf16(LINES, enc, bom)), { format: 'ndjson', gzip: false, utf16: true }, name);
    assert.deepEqual(sniff(utf16(`  ${XML}`, enc, bom)), { format: 'xml', gzip: false, utf16: true }, name);
    assert.deepEqual(sniff(utf16('[{"a":1}]', enc, bom)), { format: 'json', gzip: false, utf16: true }, name);
    assert.deepEqual(sniff(gzipSync(utf16(LINES, enc, bom))), { format: 'ndjson', gzip: true, utf16: true }, name);
  }
  assert.deepEqual(sniff(Buffer.from(LINES)), { format: 'ndjson', gzip: false }, 'UTF-8 is not marked');
  // Not UTF-16: a NUL after a character no JSON or XML starts with, binary data.
  assert.equal(textEncoding(Buffer.from('ab', 'utf16le')), 'utf8');
  assert.equal(sniff(Buffer.from('ab\n', 'utf16le')).format, null);
  assert.equal(sniff(Buffer.from([0x7b, 0, 0, 0, 0x7d])).format, null);
});

test('UTF-16 files and streams give the events of the same text in UTF-8, with exact 64-bit integers', async () => {
  const t = tempDir();
  try {
    const plain = await collect((sink) => readByteStream(Readable.from([Buffer.from(LINES)]), 'plain', sink));
    assert.equal(plain.events.length, 3);
    const want = plain.events.map((e) => e.event);
    const xmlWant = (await collect((sink) => readByteStream(Readable.from([Buffer.from(XML)]), 'x', sink))).events.map((e) => e.event);
    assert.equal(xmlWant.length, 1);
    for (const [enc, bom] of VARIANTS) {
      const name = `${enc}${bom ? '-bom' : ''}`;
      const bytes = utf16(LINES, enc, bom);
      const [file, gz, xml] = await discoverInputs([t.file(`${name}.log`, bytes), t.file(`${name}.log.gz`, gzipSync(bytes)), t.file(`${name}.xml`, utf16(XML, enc, bom))], () => {});
      for (const input of [file!, gz!]) {
        assert.equal(input.utf16, true, input.path);
        const r = await collect((sink) => readInput(input, sink));
        assert.deepEqual(r.problems, [], input.path);
        assert.deepEqual(r.events.map((e) => e.event), want, input.path);
        assert.deepEqual(r.events.map((e) => e.position), [1, 2, 3], input.path);
      }
      assert.deepEqual((await collect((sink) => readInput(xml!, sink))).events.map((e) => e.event), xmlWant, `${name} xml`);
      // A stream (stdin), in pieces of odd sizes so code units straddle chunks.
      const pieces = [bytes.subarray(0, 7), bytes.subarray(7, 8), bytes.subarray(8)];
      const s = await collect((sink) => readByteStream(Readable.from(pieces), '-', sink));
      assert.deepEqual(s.events.map((e) => e.event), want, `${name} stream`);
    }
    const big = want[0]!['big'];
    assert.equal(typeof big, 'bigint', 'the 64-bit integer is kept exact');
  } finally {
    t.cleanup();
  }
});

test('a big UTF-16 file is read whole (never split into byte ranges) and finds what its UTF-8 copy finds', async () => {
  const t = tempDir();
  try {
    const evs: Record<string, unknown>[] = [];
    let ms = 0;
    for (let i = 0; i < 2000; i++) evs.push(noise((ms += 10), `h${i % 5}`));
    // Planted writes and starts early, in the middle and late in the file.
    for (const [at, h, path] of [[100, 'ha', 'C:\\Windows\\a.exe'], [1000, 'hb', 'C:\\Windows\\b.exe'], [1900, 'hc', 'C:\\Windows\\c.exe']] as const) {
      const base = Date.parse(evs[at]!['@timestamp'] as string) - BASE;
      evs.splice(at + 1, 0, systemWrite(base + 1, h, path), start(base + 2, h, path));
    }
    const text = ndjson(evs);
    const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
    const run = async (input: InputFile, expectSplit: boolean): Promise<string[]> => {
      const units = await planWork([input], { workers: 2, splitBytes: 1000 }, () => {});
      if (expectSplit) assert.ok(units.length >= 2 && units.every((u) => u.parts[0]!.range !== undefined), 'the UTF-8 copy is split');
      else assert.deepEqual(units.map((u) => u.parts.map((p) => p.range)), [[undefined]], `${input.path} is one unit, read whole`);
      const alerts: Alert[] = [];
      let events = 0;
      for (const u of units) {
        const s = await runUnit(u, new Detector(loaded.rules, { contextEvents: 0 }), { overlapNs: longestWindowNs(loaded.rules), onProblem: () => {}, onAlerts: (a) => alerts.push(...a) });
        events += s.events;
      }
      assert.equal(events, evs.length, input.path);
      return alerts.filter((a) => a.ruleId === 'file-share-remote-exec').map((a) => a.filePath ?? '').sort();
    };
    const [utf8] = await discoverInputs([t.file('utf8.ndjson', text)], () => {});
    const want = await run(utf8!, true);
    assert.deepEqual(want, ['C:\\Windows\\a.exe', 'C:\\Windows\\b.exe', 'C:\\Windows\\c.exe']);
    for (const [enc, bom] of VARIANTS) {
      const [input] = await discoverInputs([t.file(`${enc}-${bom}.ndjson`, utf16(text, enc, bom))], () => {});
      assert.deepEqual(await run(input!, false), want, `${enc} bom=${bom}`);
    }
    // Several UTF-16 files of one host are not cut into time slices either.
    const half = text.split('\n');
    const files = await discoverInputs(
      [t.file('one.ndjson', utf16(half.slice(0, 1000).join('\n') + '\n', 'utf16le', true)), t.file('two.ndjson', utf16(half.slice(1000).join('\n'), 'utf16le', true))],
      () => {},
    );
    const units = await planWork(files, { workers: 2, sliceBytes: 1000 }, () => {});
    assert.ok(units.every((u) => u.slice === undefined && u.parts.every((p) => p.range === undefined)), JSON.stringify(units.map((u) => u.slice)));
  } finally {
    t.cleanup();
  }
});

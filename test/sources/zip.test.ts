import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { discoverInputs, readInput, type DiscoverOptions, type InputFile } from '../../src/sources/index.js';
import { sniff } from '../../src/sources/sniff.js';
import type { SourceEvent, SourceProblem } from '../../src/sources/types.js';
import { runHunt } from '../../src/hunt/run.js';
import { listFiles } from '../../src/sources/list-files.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { collect, makeFifo, tempDir } from './util.js';
import { makeZip, type ZipEntrySpec } from './zip-writer.js';

const here = dirname(fileURLToPath(import.meta.url));

const XML = (id: number) =>
  `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>${id}</EventID><Computer>h</Computer></System><EventData><Data Name="NewProcessName">C:\\x.exe</Data></EventData></Event>`;

/** Discover `paths` and read every input: inputs, events (file and a short view) and problems. */
async function readAll(paths: string[], options?: DiscoverOptions): Promise<{ inputs: InputFile[]; events: SourceEvent[]; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  const inputs = await discoverInputs(paths, (p) => problems.push(p), options);
  const events: SourceEvent[] = [];
  for (const input of inputs) {
    const r = await collect((sink) => readInput(input, sink));
    events.push(...r.events);
    problems.push(...r.problems);
  }
  return { inputs, events, problems };
}

const rel = (dir: string) => (p: string) => p.slice(dir.length + 1);

test('sniff: a zip is found by its magic bytes (an archive, an empty one, a gzip-compressed one), never by its name', () => {
  const zip = makeZip([{ name: 'a.ndjson', data: '{"a":1}\n' }]);
  assert.deepEqual(sniff(zip), { format: 'zip', gzip: false });
  assert.deepEqual(sniff(makeZip([])), { format: 'zip', gzip: false }, 'an empty archive starts with its EOCD, PK\\5\\6');
  assert.equal(makeZip([]).subarray(0, 4).toString('latin1'), 'PK\u0005\u0006');
  assert.deepEqual(sniff(gzipSync(zip)), { format: 'zip', gzip: true });
  assert.equal(sniff(Buffer.from('PK is not enough')).format, null);
});

test('entries are read as files named ARCHIVE!ENTRY, in name order: deflate, stored, data descriptor, gz inside, nested zip; directories skipped silently', async () => {
  const t = tempDir();
  try {
    const nested = makeZip([
      { name: 'deep/x.ndjson', data: '{"n":"nested-1"}\n{"n":"nested-2"}\n' },
      { name: 'deeper.zip', data: makeZip([{ name: 'y.json', data: '[{"n":"nested-3"}]' }]), method: 0 },
    ]);
    const entries: ZipEntrySpec[] = [
      { name: 'logs/', data: '' },
      { name: 'logs/b.ndjson', data: '{"n":"b1"}\n{"n":"b2"}\n' },
      { name: 'logs/a.json', data: JSON.stringify([{ n: 'a1' }, { n: 'a2' }], null, 2), method: 0 },
      { name: 'c.xml', data: `<Events>\n${XML(4688)}\n${XML(4624)}\n</Events>\n`, dataDescriptor: true },
      { name: 'd.ndjson.gz', data: gzipSync('{"n":"gz1"}\n'), method: 0 },
      { name: 'e.gz', data: gzipSync('{"n":"gz2"}\n') }, // deflated gzip, named with no hint
      { name: 'inner.zip', data: nested },
      { name: 'notes.txt', data: 'not a log\n' },
      { name: 'empty.ndjson', data: '' },
    ];
    mkdirSync(join(t.dir, 'case42'));
    // Named anything: sniffed from content; met while walking a directory.
    t.file('case42/collection.bin', makeZip(entries));
    const { inputs, events, problems } = await readAll([t.dir]);
    const r = rel(t.dir);
    const z = 'case42/collection.bin';
    assert.deepEqual(
      inputs.map((i) => [r(i.path), i.format, i.gzip, i.spooled !== undefined]),
      [
        [`${z}!c.xml`, 'xml', false, true],
        [`${z}!d.ndjson.gz`, 'ndjson', true, true],
        [`${z}!e.gz`, 'ndjson', true, true],
        [`${z}!empty.ndjson`, 'ndjson', false, true],
        [`${z}!inner.zip!deep/x.ndjson`, 'ndjson', false, true],
        [`${z}!inner.zip!deeper.zip!y.json`, 'json', false, true],
        [`${z}!logs/a.json`, 'json', false, true],
        [`${z}!logs/b.ndjson`, 'ndjson', false, true],
      ],
    );
    for (const i of inputs) assert.equal(statSync(i.spooled!).size, i.size, `${i.path}: size is the spooled copy's`);
    const label = (e: SourceEvent) => (e.event.n as string | undefined) ?? String((e.event.Event as { System: { EventID: unknown } }).System.EventID);
    assert.deepEqual(events.map((e) => [r(e.file), label(e)]), [
      [`${z}!c.xml`, '4688'],
      [`${z}!c.xml`, '4624'],
      [`${z}!d.ndjson.gz`, 'gz1'],
      [`${z}!e.gz`, 'gz2'],
      [`${z}!inner.zip!deep/x.ndjson`, 'nested-1'],
      [`${z}!inner.zip!deep/x.ndjson`, 'nested-2'],
      [`${z}!inner.zip!deeper.zip!y.json`, 'nested-3'],
      [`${z}!logs/a.json`, 'a1'],
      [`${z}!logs/a.json`, 'a2'],
      [`${z}!logs/b.ndjson`, 'b1'],
      [`${z}!logs/b.ndjson`, 'b2'],
    ]);
    assert.deepEqual(events.filter((e) => e.file.endsWith('b.ndjson')).map((e) => e.position), [1, 2], 'line numbers within the entry');
    assert.deepEqual(problems.map((p) => [p.kind, r(p.file), p.skipped]), [['unknown-format', `${z}!notes.txt`, true]]);
    assert.match(problems[0]!.message, /^starts with "not a log\\n": not JSON, XML or EVTX; skipped$/);
    // Named on the command line it is read the same way, under the name given.
    const direct = await readAll([join(t.dir, z)]);
    assert.deepEqual(direct.inputs.map((i) => r(i.path)), inputs.map((i) => r(i.path)));
    assert.equal(direct.events.length, events.length);
  } finally {
    t.cleanup();
  }
});

test('ZIP64 end records and extra fields, more than 65,535 entries, CP437 and flagged UTF-8 names, archives glued together, an empty archive', async () => {
  const t = tempDir();
  try {
    const data = '{"n":1}\n';
    // 0x82 is é in CP437, 0x94 ö; as raw bytes they are not valid UTF-8.
    const cp437 = Buffer.from([0x72, 0x82, 0x73, 0x75, 0x6d, 0x94, 0x2e, 0x6a, 0x73, 0x6f, 0x6e]);
    const entries: ZipEntrySpec[] = [
      { name: 'Windows/System32/winevt/Logs/Sécurité.ndjson', data },
      { name: '', nameBytes: cp437, data, method: 0 },
      { name: 'dd.ndjson', data, dataDescriptor: true },
    ];
    const names = ['Windows/System32/winevt/Logs/Sécurité.ndjson', 'dd.ndjson', 'résumö.json']; // code unit order, as a directory walk sorts
    const file = t.file('zip64.zip', makeZip(entries, { zip64: true, comment: 'made by a test' }));
    const { inputs, events, problems } = await readAll([file]);
    assert.deepEqual(problems, []);
    assert.deepEqual(inputs.map((i) => i.path.slice(file.length + 1)), names, 'names decoded, in name order');
    assert.equal(events.length, 3);
    // More than 65,535 entries (the EOCD says 0xFFFF; the ZIP64 record has the count): the
    // directories are skipped silently, the one file after them is read.
    const many: ZipEntrySpec[] = Array.from({ length: 70_000 }, (_, k) => ({ name: `d${k}/`, method: 0 }));
    const big = t.file('many.zip', makeZip([...many, { name: 'zz.ndjson', data }], { zip64: true }));
    const m = await readAll([big]);
    assert.deepEqual([m.inputs.map((i) => i.path.slice(big.length + 1)), m.events.length, m.problems], [['zz.ndjson'], 1, []]);
    // Two archives glued together: the last EOCD's offsets point into the first archive; the
    // archive the file starts with (the one sniffed) is read by its local headers, and said.
    const first = makeZip([{ name: 'first.ndjson', data }]);
    const cat = t.file('cat.zip', Buffer.concat([first, makeZip([{ name: 'second.ndjson', data: '{"n":2}\n{"n":3}\n' }])]));
    const c = await readAll([cat]);
    assert.deepEqual([c.inputs.map((i) => i.path.slice(cat.length + 1)), c.events.map((e) => e.event.n)], [['first.ndjson'], [1]]);
    assert.deepEqual(c.problems.map((p) => [p.kind, p.file]), [['unreadable-file', cat]]);
    assert.match(c.problems[0]!.message, /^zip archive: the End of Central Directory record points at no central directory .*: 1 entry found by reading local headers from the start$/);
    const empty = t.file('empty.zip', makeZip([]));
    const e = await readAll([empty]);
    assert.deepEqual([e.inputs, e.problems], [[], []], 'an empty archive: nothing to read, nothing wrong');
  } finally {
    t.cleanup();
  }
});

test('entries not read are each reported (encrypted, Deflate64, bzip2, AES, CRC, size, truncated, corrupt deflate); the good ones are read', async () => {
  const t = tempDir();
  try {
    const good = '{"n":"good"}\n';
    const big = Buffer.from('{"n":"x"}\n'.repeat(1000));
    const entries: ZipEntrySpec[] = [
      { name: 'a-good.ndjson', data: good },
      { name: 'b-encrypted.ndjson', data: good, flags: 1 },
      { name: 'c-deflate64.evtx', data: good, method: 9, raw: Buffer.from('whatever') },
      { name: 'd-bzip2.ndjson', data: good, method: 12, raw: Buffer.from('BZh9') },
      { name: 'e-aes.ndjson', data: good, method: 99, flags: 1, raw: Buffer.from('aes') },
      { name: 'f-crc.ndjson', data: big, crc: 0x12345678 },
      { name: 'g-size.ndjson', data: big, size: big.length + 10 },
      { name: 'h-longer.ndjson', data: big, size: 100 },
      { name: 'i-corrupt.ndjson', data: good, raw: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]) },
      { name: 'j-stored-crc.ndjson', data: good, method: 0, crc: 1 },
      { name: 'k-truncated.ndjson', data: good, compressedSize: 1_000_000 },
      { name: 'l-zstd.ndjson', data: good, method: 93, raw: Buffer.from('zstd') },
      { name: 'm-good.ndjson', data: good, method: 0 },
      { name: 'a-good.ndjson', data: '{"n":"the same name again"}\n' },
    ];
    const file = t.file('bad.zip', makeZip(entries));
    const { inputs, events, problems } = await readAll([file]);
    assert.deepEqual(inputs.map((i) => i.path.slice(file.length + 1)), ['a-good.ndjson', 'm-good.ndjson']);
    assert.deepEqual(events.map((e) => e.event.n), ['good', 'good'], 'the first of two same-named entries is read');
    const got = problems.map((p) => [p.file.slice(file.length + 1), p.kind, p.skipped, p.message]);
    const expect: [string, string, RegExp][] = [
      ['a-good.ndjson', 'other', /^a second entry of the same name in the archive; skipped$/],
      ['b-encrypted.ndjson', 'unreadable-file', /^encrypted entry: no password support; skipped$/],
      ['c-deflate64.evtx', 'unreadable-file', /^unsupported compression method 9 \(Deflate64 .*\): only stored \(0\) and deflate \(8\) are read; skipped$/],
      ['d-bzip2.ndjson', 'unreadable-file', /^unsupported compression method 12 \(bzip2\)/],
      ['e-aes.ndjson', 'unreadable-file', /^encrypted entry \(AES, method 99\)/],
      ['f-crc.ndjson', 'unreadable-file', /^CRC-32 mismatch: the data's is [0-9a-f]{8}, the archive says 12345678; skipped$/],
      ['g-size.ndjson', 'unreadable-file', /^size mismatch: 10000 bytes decompressed, 10010 declared; skipped$/],
      ['h-longer.ndjson', 'unreadable-file', /^more data than the 100 bytes the central directory declares: corrupt entry; skipped$/],
      ['i-corrupt.ndjson', 'unreadable-file', /^corrupt data \(Z_DATA_ERROR: .*\); skipped$/],
      ['j-stored-crc.ndjson', 'unreadable-file', /^CRC-32 mismatch/],
      ['k-truncated.ndjson', 'unreadable-file', /^truncated: the entry's 1000000 compressed bytes run past the end of the archive/],
      ['l-zstd.ndjson', 'unreadable-file', /^unsupported compression method 93 \(zstd\)/],
    ];
    assert.equal(got.length, expect.length, JSON.stringify(got, null, 1));
    expect.forEach(([name, kind, message], k) => {
      assert.deepEqual(got[k]!.slice(0, 3), [name, kind, true]);
      assert.match(got[k]![3] as string, message, name);
    });
  } finally {
    t.cleanup();
  }
});

test('a corrupt archive is one problem, never an exception; entries before the damage are still read (a truncated archive by its local headers)', async () => {
  const t = tempDir();
  try {
    const entries: ZipEntrySpec[] = [
      { name: 'a.ndjson', data: '{"n":1}\n' },
      { name: 'b.ndjson', data: '{"n":2}\n' },
      { name: 'c.ndjson', data: '{"n":3}\n' },
    ];
    const whole = makeZip(entries);
    // Truncated: the end (and the EOCD) cut off. The entries are found by their local headers;
    // one cut inside its data is reported as truncated.
    const cdAt = whole.readUInt32LE(whole.length - 6);
    const cut = t.file('cut.zip', whole.subarray(0, whole.length - 30));
    let r = await readAll([cut]);
    assert.deepEqual(r.inputs.map((i) => i.path.slice(cut.length)), ['!a.ndjson', '!b.ndjson', '!c.ndjson']);
    assert.deepEqual(r.events.map((e) => e.event.n), [1, 2, 3]);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file, p.skipped]), [['unreadable-file', cut, true]]);
    assert.match(r.problems[0]!.message, /^zip archive: no End of Central Directory record \(a truncated archive\?\): 3 entries found by reading local headers from the start$/);
    const cutData = t.file('cut-data.zip', whole.subarray(0, cdAt - 3));
    r = await readAll([cutData]);
    assert.deepEqual(r.inputs.map((i) => i.path.slice(cutData.length)), ['!a.ndjson', '!b.ndjson']);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file.slice(cutData.length)]), [['unreadable-file', ''], ['unreadable-file', '!c.ndjson']]);
    assert.match(r.problems[1]!.message, /^truncated: the entry's \d+ compressed bytes run past the end of the archive/);
    // A data descriptor stops the scan: where that entry ends is not known.
    const dd = makeZip([entries[0]!, { ...entries[1]!, dataDescriptor: true }, entries[2]!]);
    const cutDd = t.file('cut-dd.zip', dd.subarray(0, dd.length - 30));
    r = await readAll([cutDd]);
    assert.deepEqual(r.inputs.map((i) => i.path.slice(cutDd.length)), ['!a.ndjson']);
    assert.deepEqual(r.problems.map((p) => p.kind), ['unreadable-file']);
    assert.match(r.problems[0]!.message, /1 entry found by reading local headers from the start; stopped at b\.ndjson: its sizes follow its data \(a data descriptor\)/);
    // Cut right after a stored inner zip: the inner archive's EOCD ends the file, but is not
    // the outer's (its central directory is not where it says): the outer's local headers are read.
    const withInner = makeZip([entries[0]!, { name: 'inner.zip', data: makeZip([{ name: 'x.ndjson', data: '{"n":9}\n' }]), method: 0 }]);
    const cutInner = t.file('cut-inner.zip', withInner.subarray(0, withInner.readUInt32LE(withInner.length - 6)));
    r = await readAll([cutInner]);
    assert.deepEqual(r.inputs.map((i) => i.path.slice(cutInner.length)), ['!a.ndjson', '!inner.zip!x.ndjson']);
    assert.deepEqual(r.events.map((e) => e.event.n), [1, 9]);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file]), [['unreadable-file', cutInner]]);
    assert.match(r.problems[0]!.message, /points at no central directory .*: 2 entries found/);
    // Just the local header magic, then nothing: one problem, no entry.
    const magic = t.file('magic.zip', Buffer.from('PK\u0003\u0004'));
    r = await readAll([magic]);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file]), [['unreadable-file', magic]]);
    assert.match(r.problems[0]!.message, /^zip archive: no End of Central Directory record \(a truncated archive\?\), and no entry found by reading local headers from the start; skipped$/);
    // The central directory's offset points past the end of the file.
    const out = Buffer.from(whole);
    out.writeUInt32LE(0x7fff0000, out.length - 6);
    r = await readAll([t.file('outside.zip', out)]);
    assert.deepEqual(r.inputs, []);
    assert.match(r.problems[0]!.message, /^zip archive: the central directory \(\d+ bytes at offset \d+\) lies outside the file/);
    // The second central directory entry damaged: the first is read, the loss is said.
    const cdStart = whole.readUInt32LE(whole.length - 6);
    const second = whole.indexOf(Buffer.from('PK\u0001\u0002'), cdStart + 4);
    const damaged = Buffer.from(whole);
    damaged.write('XX', second, 'latin1');
    const dfile = t.file('damaged.zip', damaged);
    r = await readAll([dfile]);
    assert.deepEqual(r.inputs.map((i) => i.path), [`${dfile}!a.ndjson`]);
    assert.equal(r.events.length, 1);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file, p.skipped]), [['unreadable-file', dfile, true]]);
    assert.match(r.problems[0]!.message, /^zip archive: bad central directory entry signature at offset \d+; 2 of 3 entries not read$/);
    // A local header that is not one.
    const noLocal = Buffer.from(whole);
    noLocal.write('XX', 0, 'latin1');
    const nfile = t.file('nolocal.bin', noLocal);
    r = await readAll([nfile]);
    assert.deepEqual(r.inputs, [], 'not sniffed as a zip any more (XX\\3\\4): an unknown format');
    assert.equal(r.problems[0]!.kind, 'unknown-format');
    const second2 = Buffer.from(whole);
    second2.write('XX', whole.indexOf(Buffer.from('PK\u0003\u0004'), 4), 'latin1');
    const sfile = t.file('nolocal2.zip', second2);
    r = await readAll([sfile]);
    assert.deepEqual(r.inputs.map((i) => i.path.slice(sfile.length + 1)), ['a.ndjson', 'c.ndjson']);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file.slice(sfile.length + 1)]), [['unreadable-file', 'b.ndjson']]);
    assert.match(r.problems[0]!.message, /^no local file header at offset \d+: corrupt archive; skipped$/);
  } finally {
    t.cleanup();
  }
});

test('zip bomb limits: bytes decompressed per archive (nested archives included), entries per archive, nesting depth', async () => {
  const t = tempDir();
  try {
    const kb = (c: string) => Buffer.from(`{"n":"${c}"}\n`.padEnd(1000, ' ').slice(0, 999) + '\n');
    const file = t.file('bomb.zip', makeZip(['a', 'b', 'c', 'd'].map((c) => ({ name: `${c}.ndjson`, data: kb(c) }))));
    let r = await readAll([file], { zipLimits: { maxBytes: 2500, maxRatio: 0 } });
    assert.deepEqual(r.inputs.map((i) => i.path.slice(file.length + 1)), ['a.ndjson', 'b.ndjson']);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file.slice(file.length), p.skipped]), [
      ['unreadable-file', '!c.ndjson', true],
      ['unreadable-file', '', true],
    ]);
    assert.match(r.problems[0]!.message, /^more than 2500 bytes decompressed from one archive \(zip bomb limit\); skipped$/);
    assert.match(r.problems[1]!.message, /^zip archive: decompression limit reached; the 1 entries after c\.ndjson not read$/);
    // The ratio: 0 floor, 3× the archive's size.
    r = await readAll([file], { zipLimits: { maxBytes: 0, maxRatio: 1 } });
    assert.ok(r.inputs.length < 4 && r.problems.length >= 1, 'a 1:1 ratio stops a compressed archive');
    // Nested archives share the outer archive's budget.
    const nested = t.file('nested.zip', makeZip([{ name: 'in.zip', data: makeZip(['a', 'b', 'c'].map((c) => ({ name: `${c}.ndjson`, data: kb(c) }))), method: 0 }]));
    r = await readAll([nested], { zipLimits: { maxBytes: 3000, maxRatio: 0 } });
    // Apart, the inner archive's 3,000 bytes would fit; with its own bytes counted first, the third does not.
    assert.deepEqual(r.inputs.map((i) => i.path.slice(nested.length)), ['!in.zip!a.ndjson', '!in.zip!b.ndjson'], 'one budget for the archive and the archives inside it');
    assert.ok(r.problems.some((p) => /zip bomb limit/.test(p.message)));
    // Entries.
    r = await readAll([file], { zipLimits: { maxEntries: 3 } });
    assert.deepEqual(r.inputs.map((i) => i.path.slice(file.length + 1)), ['a.ndjson', 'b.ndjson', 'c.ndjson']);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file]), [['other', file]]);
    assert.match(r.problems[0]!.message, /^zip archive of 4 file entries: only the first 3 \(in name order\) are read \(entry limit\); 1 not read$/);
    // Depth: level 1 (the file), 2, 3; with a limit of 2 the third is reported, not opened.
    const l3 = makeZip([{ name: 'x.ndjson', data: '{"n":3}\n' }]);
    const l2 = makeZip([{ name: 'l3.zip', data: l3 }, { name: 'y.ndjson', data: '{"n":2}\n' }]);
    const deep = t.file('deep.zip', makeZip([{ name: 'l2.zip', data: l2 }]));
    r = await readAll([deep], { zipLimits: { maxDepth: 2 } });
    assert.deepEqual(r.inputs.map((i) => i.path.slice(deep.length)), ['!l2.zip!y.ndjson']);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.file.slice(deep.length)]), [['unknown-format', '!l2.zip!l3.zip']]);
    assert.match(r.problems[0]!.message, /nesting limit/);
    r = await readAll([deep]);
    assert.equal(r.inputs.length, 2, 'the default depth opens all three');
  } finally {
    t.cleanup();
  }
});

test('a zip from a named pipe is spooled, then opened', async (t) => {
  const d = tempDir();
  try {
    const fifo = makeFifo(t, d.dir);
    if (!fifo) return;
    const zip = makeZip([{ name: 'a.ndjson', data: '{"n":1}\n{"n":2}\n' }, { name: 'b.evtx', data: 'nope' }]);
    const writer = createWriteStream(fifo);
    writer.end(zip);
    const { inputs, events, problems } = await readAll([fifo]);
    assert.deepEqual(inputs.map((i) => i.path), [`${fifo}!a.ndjson`]);
    assert.equal(events.length, 2);
    assert.deepEqual(problems.map((p) => [p.kind, p.file]), [['unknown-format', `${fifo}!b.evtx`]]);
  } finally {
    d.cleanup();
  }
});

test('spooled copies: one per input read, steps (nested archives, unknown entries) removed early, all removed at exit, on SIGINT and SIGTERM too', async () => {
  const t = tempDir();
  try {
    const zip = t.file('s.zip', makeZip([
      { name: 'a.ndjson', data: '{"n":1}\n' },
      { name: 'in.zip', data: makeZip([{ name: 'b.ndjson', data: '{"n":2}\n' }]) },
      { name: 'skip.txt', data: 'text' },
      { name: 'bad.ndjson', data: '{"n":3}\n', crc: 7 },
    ]));
    const dist = join(here, '..', '..', 'src', 'sources');
    const script = `
      import { discoverInputs } from ${JSON.stringify(join(dist, 'index.js'))};
      import { spoolDirectory } from ${JSON.stringify(join(dist, 'spool.js'))};
      import { readdirSync } from 'node:fs';
      const inputs = await discoverInputs([${JSON.stringify(zip)}], () => {});
      const dir = spoolDirectory();
      console.log(JSON.stringify({ dir, files: readdirSync(dir).sort(), spooled: inputs.map((i) => i.spooled.slice(dir.length + 1)).sort() }));
    `;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      child.stdout.on('data', (b: Buffer) => (s += b.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`child exited ${code}`))));
    });
    const r = JSON.parse(out) as { dir: string; files: string[]; spooled: string[] };
    assert.equal(r.spooled.length, 2);
    assert.deepEqual(r.files, r.spooled, 'only the copies inputs are read from are left while running');
    assert.equal(existsSync(r.dir), false, 'the spool directory is removed when the process exits');
    // Killed by SIGINT (Ctrl-C) while running: removed too, and the process still dies of the signal.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const waiting = `${script}\nsetInterval(() => {}, 1000);`;
      const killed = await new Promise<{ dir: string; existed: boolean; signal: NodeJS.Signals | null }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', waiting], { stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        let dir = '';
        let existed = false;
        child.stdout.on('data', (b: Buffer) => {
          s += b.toString();
          if (s.endsWith('\n') && dir === '') {
            dir = (JSON.parse(s) as { dir: string }).dir;
            existed = existsSync(dir);
            child.kill(signal);
          }
        });
        child.on('error', reject);
        child.on('exit', (_code, sig) => resolve({ dir, existed, signal: sig }));
      });
      assert.ok(killed.existed && killed.dir !== '', signal);
      assert.equal(killed.signal, signal, `the child died of ${signal}`);
      assert.equal(existsSync(killed.dir), false, `${signal}: the spool directory is removed`);
    }
  } finally {
    t.cleanup();
  }
});

test('../shared EVTX inside a zip (deflate, stored, gzip-compressed): the same events as the files', async (t) => {
  const lm = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', 'Lateral Movement');
  if (!lm) return;
  const files = listFiles(lm, '.evtx').slice(0, 6);
  const d = tempDir();
  try {
    // Deflate and stored in turn, one gzip-compressed inside the archive.
    const zip = d.file('Logs.zip', makeZip(files.map((f, k) => (k === 3
      ? { name: `Logs/${relative(lm, f)}.gz`, data: gzipSync(readFileSync(f)) }
      : { name: `Logs/${relative(lm, f)}`, data: readFileSync(f), method: k % 2 === 0 ? 8 : 0 }))));
    const plain = await readAll(files);
    const zipped = await readAll([zip]);
    assert.deepEqual(zipped.problems, plain.problems);
    assert.ok(plain.events.length > 0);
    assert.equal(zipped.events.length, plain.events.length);
    const view = (evs: SourceEvent[], name: (f: string) => string) => evs.map((e) => JSON.stringify([name(e.file), e.position, e.event]));
    assert.deepEqual(view(zipped.events, (f) => f.slice(zip.length + '!Logs/'.length).replace(/\.gz$/, '')), view(plain.events, (f) => relative(lm, f)));
    assert.ok(zipped.events.some((e) => e.file.endsWith('.evtx.gz')), 'the gzip-compressed EVTX is among them');
  } finally {
    d.cleanup();
  }
});

test('../shared hunt over a zipped copy of the ground-truth datasets: the same alerts as over the files', async (t) => {
  const root = sharedOrSkip(t, 'datasets');
  if (!root) return;
  const d = tempDir();
  try {
    const plainDir = join(d.dir, 'plain');
    const picked = [...listFiles(join(root, 'evtx-attack-samples', 'Lateral Movement')), ...listFiles(join(root, 'ecs-derived'))];
    for (const f of picked) {
      const to = join(plainDir, relative(root, f));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
    const zip = d.file('datasets.zip', makeZip(listFiles(plainDir).map((f) => ({ name: relative(plainDir, f), data: readFileSync(f) }))));
    const norm = (alerts: unknown, from: string, to: string) => JSON.parse(JSON.stringify(alerts).split(from).join(to)) as unknown;
    // One thread, and worker threads (which read the spooled copies the main thread made).
    for (const workers of [0, 2]) {
      const plain = await runHunt({ inputs: [plainDir], workers });
      const zipped = await runHunt({ inputs: [zip], workers });
      assert.ok(plain.alerts.length > 0, 'the ground truth raises alerts');
      assert.ok(zipped.alerts.some((a) => a.events.some((e) => e.file.startsWith(`${zip}!`))), 'alerts name ARCHIVE!ENTRY');
      assert.deepEqual(
        norm(zipped.alerts.map(({ id: _id, ...a }) => a), `${zip}!`, '@/'),
        norm(plain.alerts.map(({ id: _id, ...a }) => a), `${plainDir}/`, '@/'),
        `workers=${workers}`,
      );
      assert.equal(zipped.summary.events, plain.summary.events);
      assert.equal(zipped.summary.files, plain.summary.files);
      assert.deepEqual(
        norm(zipped.summary.problems, `${zip}!`, '@/'),
        norm(plain.summary.problems, `${plainDir}/`, '@/'),
      );
    }
  } finally {
    d.cleanup();
  }
});


test('onUnpack follows each archive entry by entry (the hunt status line while big archives are unpacked)', async () => {
  const t = tempDir();
  try {
    const inner = makeZip([{ name: 'x.ndjson', data: '{"n":9}\n' }]);
    const zip = t.file('case.zip', makeZip([
      { name: 'a.ndjson', data: '{"n":1}\n'.repeat(100) },
      { name: 'b.bin', data: Buffer.alloc(100, 7) },
      { name: 'inner.zip', data: inner },
      { name: 'c.ndjson', data: '{"n":2}\n' },
    ]));
    const calls: [string, number, number, number][] = [];
    const r = await readAll([zip], { onUnpack: (archive, done, total, bytes) => calls.push([archive, done, total, bytes]) });
    assert.equal(r.inputs.length, 3);
    const outer = calls.filter((c) => c[0] === zip);
    assert.deepEqual(outer.map((c) => `${c[1]}/${c[2]}`), ['1/4', '2/4', '3/4', '4/4']);
    assert.ok(outer.every((c, i) => i === 0 || c[3] >= outer[i - 1]![3]), 'bytes grow');
    assert.ok(outer[3]![3] >= 800 + 8, `bytes decompressed: ${outer[3]![3]}`);
    assert.deepEqual(calls.filter((c) => c[0] === `${zip}!inner.zip`).map((c) => `${c[1]}/${c[2]}`), ['1/1'], 'a nested archive reports too');
  } finally {
    t.cleanup();
  }
});

/**
 * EVTX reader: the damaged and unusual files of ../shared/datasets/evtx-edge-cases, plus
 * hand-built chunks for BinXML tokens and value types that no sample file contains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import { sharedOrSkip } from '../helpers/shared.js';
import { isEvtx, parseEvtxChunk, readEvtxFile, readEvtxHeader } from '../../src/sources/evtx/index.js';
import type { SourceEvent, SourceProblem } from '../../src/sources/types.js';

async function readAll(path: string): Promise<{ events: SourceEvent[]; problems: SourceProblem[] }> {
  const events: SourceEvent[] = [];
  const problems: SourceProblem[] = [];
  for await (const batch of readEvtxFile(path, (p) => problems.push(p))) events.push(...batch);
  return { events, problems };
}

type Obj = Record<string, unknown>;
const ev = (e: SourceEvent): Obj => e.event['Event'] as Obj;
const data = (e: SourceEvent): Obj => ev(e)['EventData'] as Obj;

test('every edge-case file parses without throwing and yields records', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'evtx-edge-cases');
  if (!dir) return;
  const files = readdirSync(dir).filter((f) => f.endsWith('.evtx'));
  assert.ok(files.length >= 20);
  for (const f of files) {
    const { events, problems } = await readAll(join(dir, f));
    assert.ok(events.length > 0, `${f}: no records`);
    for (const p of problems) assert.equal(p.file, join(dir, f));
    for (const e of events) assert.equal(typeof e.position, 'number');
  }
});

test('bad chunk magic: corrupt-chunk problem for that chunk, other chunks still read', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'sample_with_a_bad_chunk_magic.evtx');
  if (!f) return;
  const { events, problems } = await readAll(f);
  const bad = problems.filter((p) => p.kind === 'corrupt-chunk');
  assert.ok(bad.some((p) => p.where === 'chunk 6' && p.skipped), JSON.stringify(bad));
  assert.ok(events.length >= 267, `only ${events.length} records (libevtx finds 267)`);
  // records after the bad chunk are there
  const ids = new Set(events.map((e) => e.position));
  assert.ok(ids.has(47628) && ids.has(45691));
});

test('no-CRC32 flag: no checksum complaints', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'Application_no_crc32.evtx');
  if (!f) return;
  const { events, problems } = await readAll(f);
  assert.equal(events.length, 17);
  assert.deepEqual(problems.filter((p) => p.kind === 'crc-mismatch'), []);
});

test('zero-size record: reported, the rest of its chunk recovered', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'sample-with-zero-data-size-event.evtx');
  if (!f) return;
  const { events, problems } = await readAll(f);
  const rec = problems.filter((p) => p.kind === 'corrupt-record');
  assert.ok(rec.some((p) => /record 3\b/.test(p.where ?? '') && /size 0/.test(p.message)), JSON.stringify(rec));
  const ids = new Set(events.map((e) => e.position));
  assert.ok(!ids.has(3));
  for (const id of [1, 2, 4, 117, 118, 450]) assert.ok(ids.has(id), `record ${id} missing`);
  // CRC of a chunk with a damaged record does not match: reported, data kept
  assert.ok(problems.some((p) => p.kind === 'crc-mismatch' && p.skipped === false));
});

test('bad string cache: same records as the clean copy of the log', async (t) => {
  const bad = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'security_bad_string_cache.evtx');
  const good = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'security.evtx');
  if (!bad || !good) return;
  const a = await readAll(bad);
  const b = await readAll(good);
  assert.equal(a.events.length, 2261);
  assert.ok(isDeepStrictEqual(a.events.map((e) => e.event), b.events.map((e) => e.event)));
});

test('size_t values render as hex like evtx_dump', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'Security_with_size_t.evtx');
  if (!f) return;
  const { events } = await readAll(f);
  const e = events.find((x) => x.position === 4)!;
  assert.equal(data(e)['ProcessId'], '0x24c');
});

test('CAPI2 UserData keeps its element tree', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx');
  if (!f) return;
  const { events } = await readAll(f);
  assert.equal(events.length, 340); // evtx_dump 0.8.1 also finds 340 (libevtx 24, python-evtx 0)
  const withUserData = events.filter((e) => ev(e)['UserData'] && typeof ev(e)['UserData'] === 'object');
  assert.ok(withUserData.length > 300);
  const ud = ev(withUserData[0]!)['UserData'] as Obj;
  const top = Object.values(ud)[0] as Obj;
  assert.ok(top && typeof top === 'object' && Object.keys(top).length > 1, JSON.stringify(ud).slice(0, 300));
});

test('irregular bool values are booleans', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'sample-with-irregular-bool-values.evtx');
  if (!f) return;
  const { events } = await readAll(f);
  assert.equal(events.length, 3028);
  const bools = events.map((e) => data(e)?.['IsServiceRestart']).filter((v) => v !== undefined);
  assert.ok(bools.length > 100);
  for (const b of bools) assert.equal(typeof b, 'boolean');
});

test('header: dirty flag, chunk counts from the file size', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'sysmon.evtx');
  if (!f) return;
  const buf = readFileSync(f);
  assert.ok(isEvtx(buf));
  assert.ok(!isEvtx(Buffer.from('ElfChnk\0')));
  const info = readEvtxHeader(buf, f);
  assert.equal(info.headerChunkCount, 1);
  assert.equal(info.chunkCount, 17);
  assert.equal(info.dirty, true);
  assert.deepEqual(info.problems, []);
  // header only + real size gives the same count
  assert.equal(readEvtxHeader(buf.subarray(0, 4096), f, buf.length).chunkCount, 17);
});

test('missing file: unreadable-file problem, no throw', async () => {
  const { events, problems } = await readAll('/nonexistent/spoor/x.evtx');
  assert.equal(events.length, 0);
  assert.equal(problems[0]?.kind, 'unreadable-file');
});

// ---- hand-built chunks ----

/** Builds BinXML at a known chunk offset, with names stored inline at first use. */
class Bx {
  bytes: number[] = [];
  constructor(readonly base: number) {}
  get pos(): number { return this.base + this.bytes.length; }
  u8(v: number): this { this.bytes.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v).u8(v >> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  raw(b: Buffer | number[]): this { for (const x of b) this.bytes.push(x); return this; }
  utf16(s: string): this { return this.raw(Buffer.from(s, 'utf16le')); }
  name(s: string): this {
    this.u32(this.pos + 4);
    return this.u32(0).u16(0).u16(s.length).utf16(s).u16(0);
  }
  open(name: string, attrs: boolean, inTemplate = false): this {
    this.u8(attrs ? 0x41 : 0x01);
    if (inTemplate) this.u16(0xffff);
    this.u32(0).name(name);
    return attrs ? this.u32(0) : this;
  }
  attr(name: string, more = false): this { return this.u8(more ? 0x46 : 0x06).name(name); }
  text(s: string): this { return this.u8(0x05).u8(0x01).u16(s.length).utf16(s); }
  sub(index: number, type: number, optional = false): this { return this.u8(optional ? 0x0e : 0x0d).u16(index).u8(type); }
  closeStart(): this { return this.u8(0x02); }
  closeEmpty(): this { return this.u8(0x03); }
  end(): this { return this.u8(0x04); }
  fragment(): this { return this.raw([0x0f, 0x01, 0x01, 0x00]); }
  eof(): this { return this.u8(0x00); }
  buf(): Buffer { return Buffer.from(this.bytes); }
}

/** Wrap record BinXML bodies into one valid chunk (header, CRCs) and an EVTX file. */
function buildFile(records: ((base: number) => Buffer)[]): Buffer {
  const chunk = Buffer.alloc(65536);
  chunk.write('ElfChnk\0', 0, 'latin1');
  let off = 512;
  let id = 1;
  for (const make of records) {
    const body = make(off + 24);
    const size = 24 + body.length + 4;
    chunk.writeUInt32LE(0x2a2a, off);
    chunk.writeUInt32LE(size, off + 4);
    chunk.writeBigUInt64LE(BigInt(id++), off + 8);
    chunk.writeBigUInt64LE(132000000000000000n, off + 16);
    body.copy(chunk, off + 24);
    chunk.writeUInt32LE(size, off + size - 4);
    off += size;
  }
  chunk.writeUInt32LE(128, 40);
  chunk.writeUInt32LE(off, 48);
  chunk.writeUInt32LE(crc32(chunk.subarray(512, off)), 52);
  chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), 124);
  const head = Buffer.alloc(4096);
  head.write('ElfFile\0', 0, 'latin1');
  head.writeUInt32LE(128, 32);
  head.writeUInt16LE(1, 36);
  head.writeUInt16LE(3, 38);
  head.writeUInt16LE(4096, 40);
  head.writeUInt16LE(1, 42);
  head.writeUInt32LE(crc32(head.subarray(0, 120)), 124);
  return Buffer.concat([head, chunk]);
}

function parseBuilt(file: Buffer): { events: SourceEvent[]; problems: SourceProblem[] } {
  const problems: SourceProblem[] = [];
  const events = parseEvtxChunk(file, 'built.evtx', 0, (p) => problems.push(p));
  return { events, problems };
}

test('tokens outside templates: attributes, CDATA, char and entity refs, PI', () => {
  const file = buildFile([
    (base) => {
      const b = new Bx(base).fragment();
      b.u8(0x0a).name('xml-stylesheet').u8(0x0b).u16(3).utf16('a=b');
      b.open('Event', true).attr('Kind').text('demo').closeStart();
      b.open('Msg', false).closeStart().text('a').u8(0x09).name('lt').u8(0x08).u16(0x263a).u8(0x07).u16(3).utf16('x&y').end();
      b.open('Empty', false).closeEmpty();
      b.end().eof();
      return b.buf();
    },
  ]);
  const { events, problems } = parseBuilt(file);
  assert.deepEqual(problems, []);
  assert.equal(events.length, 1);
  assert.deepEqual(events[0]!.event, { Event: { '#attributes': { Kind: 'demo' }, Msg: 'a<\u263ax&y', Empty: null } });
  assert.equal(events[0]!.position, 1);
});

/** A record made of one template instance whose definition is inline; `values` are [type, bytes]. */
function templateRecord(defBody: (b: Bx) => void, values: [number, Buffer][]) {
  return (base: number): Buffer => {
    const b = new Bx(base).fragment();
    b.u8(0x0c).u8(1).u32(7);
    const defOffset = b.pos + 4;
    b.u32(defOffset);
    const def = new Bx(defOffset + 24);
    def.fragment();
    defBody(def);
    def.eof();
    const defBytes = def.buf();
    b.u32(0).raw(Buffer.alloc(16)).u32(defBytes.length).raw(defBytes);
    b.u32(values.length);
    for (const [type, bytes] of values) b.u16(bytes.length).u8(type).u8(0);
    for (const [, bytes] of values) b.raw(bytes);
    b.eof();
    return b.buf();
  };
}

const le = (n: number, w: number): Buffer => {
  const x = Buffer.alloc(w);
  if (w === 8) x.writeBigUInt64LE(BigInt(n));
  else x.writeUIntLE(n, 0, w);
  return x;
};

test('every value type renders like evtx_dump, 64-bit exact', () => {
  const names = ['I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'R32', 'R64', 'Bool', 'Bin', 'Guid', 'SizeT', 'FileTime', 'SysTime', 'Sid', 'H32', 'H64', 'Ansi', 'Str', 'Null'];
  const i64 = Buffer.alloc(8);
  i64.writeBigInt64LE(-(2n ** 60n) - 1n);
  const u64 = Buffer.alloc(8, 0xff);
  const r32 = Buffer.alloc(4);
  r32.writeFloatLE(1.5);
  const r64 = Buffer.alloc(8);
  r64.writeDoubleLE(-0.25);
  const guid = Buffer.from('5f3870572ac2e043bf4c06f5698ffbd9', 'hex');
  const ft = Buffer.alloc(8);
  ft.writeBigUInt64LE(132000000001234567n);
  const st = Buffer.alloc(16);
  [2026, 4, 5, 17, 5, 24, 53, 92].forEach((v, i) => st.writeUInt16LE(v, 2 * i));
  const sid = Buffer.from([1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0]);
  const values: [number, Buffer][] = [
    [0x03, Buffer.from([0xfb])], [0x04, Buffer.from([200])], [0x05, le(0xfffe, 2)], [0x06, le(65535, 2)],
    [0x07, le(0xffffffff, 4)], [0x08, le(0xffffffff, 4)], [0x09, i64], [0x0a, u64], [0x0b, r32], [0x0c, r64],
    [0x0d, le(7, 4)], [0x0e, Buffer.from([0xde, 0xad])], [0x0f, guid], [0x10, le(0x3e7, 8)], [0x11, ft], [0x12, st],
    [0x13, sid], [0x14, le(0x3e7, 4)], [0x15, Buffer.from('0100000002000080', 'hex')], [0x02, Buffer.from('caf\xe9\0', 'latin1')],
    [0x01, Buffer.from('hi\0', 'utf16le')], [0x00, Buffer.alloc(0)],
  ];
  const file = buildFile([
    templateRecord((d) => {
      d.open('Event', false, true).closeStart();
      d.open('EventData', false, true).closeStart();
      names.forEach((n, i) => {
        d.open('Data', true, true).attr('Name').text(n).closeStart().sub(i, values[i]![0], true).end();
      });
      d.end().end();
    }, values),
  ]);
  const { events, problems } = parseBuilt(file);
  assert.deepEqual(problems, []);
  assert.deepEqual(events[0]!.event, {
    Event: {
      EventData: {
        I8: -5, U8: 200, I16: -2, U16: 65535, I32: -1, U32: 4294967295,
        I64: -(2n ** 60n) - 1n, U64: 18446744073709551615n, R32: '1.5', R64: '-0.25', Bool: true, Bin: 'DEAD',
        Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9', SizeT: '0x3e7', FileTime: '2019-04-17T18:40:00.1234567Z',
        SysTime: '2026-04-17T05:24:53.092Z', Sid: 'S-1-5-32-544', H32: '0x3e7', H64: '0x8000000200000001',
        Ansi: 'café', Str: 'hi', Null: '',
      },
    },
  });
});

test('arrays repeat their element, nested BinXML is spliced, optional nulls drop attributes', () => {
  const file = buildFile([
    (base) => {
      // Lay out the record by hand to know where the nested fragment lands.
      const values: [number, Buffer][] = [];
      const strArr = Buffer.from('a\0\0c\0', 'utf16le');
      const u16Arr = Buffer.concat([le(1, 2), le(2, 2), le(3, 2)]);
      values.push([0x81, strArr], [0x86, u16Arr], [0x00, Buffer.alloc(0)]);
      // the nested value goes last; its chunk offset depends on everything before it
      const probe = templateRecord(defOf, [...values, [0x21, Buffer.alloc(0)]])(base);
      const nestedAt = base + probe.length - 1; // values end right before the final EOF
      const n = new Bx(nestedAt).fragment();
      n.open('Extra', false).closeStart().text('x').end().eof();
      return templateRecord(defOf, [...values, [0x21, n.buf()]])(base);
    },
  ]);
  function defOf(d: Bx): void {
    d.open('Event', false, true).closeStart();
    d.open('Item', false, true).closeStart().sub(0, 0x81).end();
    d.open('EventData', false, true).closeStart();
    d.open('Data', false, true).closeStart().sub(1, 0x86).end();
    d.end();
    d.open('Corr', true, true).attr('ActivityID').sub(2, 0x0f, true).closeEmpty();
    d.sub(3, 0x21);
    d.end();
  }
  const { events, problems } = parseBuilt(file);
  assert.deepEqual(problems, []);
  assert.deepEqual(events[0]!.event, {
    Event: {
      Item: 'a', Item_1: null, Item_2: 'c',
      EventData: { Data: { '#text': [1, 2, 3] } },
      Corr: null,
      Extra: 'x',
    },
  });
});

test('damaged records inside a good chunk: reported, neighbours kept', () => {
  const good = (base: number): Buffer => new Bx(base).fragment().open('Event', false).closeStart().text('ok').end().eof().buf();
  const bad = (base: number): Buffer => new Bx(base).fragment().u8(0x3f).eof().buf(); // invalid token
  const file = buildFile([good, bad, good]);
  const { events, problems } = parseBuilt(file);
  assert.deepEqual(events.map((e) => e.position), [1, 3]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.kind, 'corrupt-record');
  assert.equal(problems[0]!.where, 'chunk 0, record 2');
  assert.match(problems[0]!.message, /invalid BinXML token 0x3f/);
  // Now break the checksum: reported, data still parsed.
  file[4096 + 600] = file[4096 + 600]! ^ 0xff;
  const again = parseBuilt(file);
  assert.ok(again.problems.some((p) => p.kind === 'crc-mismatch' && !p.skipped));
});

test('EventData: named Data become keys, unnamed ones beside them are kept under Data', () => {
  const file = buildFile([
    (base) => {
      const b = new Bx(base).fragment();
      b.open('Event', false).closeStart().open('EventData', false).closeStart();
      b.open('Data', true).attr('Name').text('A').closeStart().text('x').end();
      b.open('Data', false).closeStart().text('y').end();
      b.open('Data', true).attr('Name').text('B').closeStart().end();
      b.open('Data', true).attr('Name').text('A').closeStart().text('z').end();
      b.end().end().eof();
      return b.buf();
    },
  ]);
  const { events, problems } = parseBuilt(file);
  assert.deepEqual(problems, []);
  assert.deepEqual(events[0]!.event, { Event: { EventData: { A: 'x', Data: { '#text': 'y' }, B: '', A_1: 'z' } } });
});

test('a template definition that instantiates itself is a corrupt record, not a hang', () => {
  const file = buildFile([
    templateRecord((d) => {
      d.open('Event', false, true).closeStart();
      d.u8(0x0c).u8(1).u32(7).u32(d.base - 24).u32(0); // instance of this very definition
      d.end();
    }, []),
    (base) => new Bx(base).fragment().open('Event', false).closeStart().text('next').end().eof().buf(),
  ]);
  const { events, problems } = parseBuilt(file);
  assert.deepEqual(events.map((e) => e.event), [{ Event: 'next' }]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.kind, 'corrupt-record');
  assert.match(problems[0]!.message, /template/);
});

test('readEvtxFile on a file cut inside a chunk: earlier chunks intact, the cut reported', async (t) => {
  const f = sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'security.evtx');
  if (!f) return;
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const full = await readAll(f);
  const buf = readFileSync(f);
  const dir = mkdtempSync(join(tmpdir(), 'spoor-evtx-'));
  try {
    const cut = join(dir, 'cut.evtx');
    writeFileSync(cut, buf.subarray(0, 4096 + 3 * 65536 + 20000)); // chunk 3 loses its tail
    const part = await readAll(cut);
    const before = full.events.filter((e) => part.events.some((p) => p.position === e.position));
    assert.ok(part.events.length > 0 && part.events.length < full.events.length);
    // every record of chunks 0-2 is there and identical
    const byId = new Map(part.events.map((e) => [e.position, e.event]));
    const first3 = [0, 1, 2].flatMap((i) => parseEvtxChunk(buf, f, i, () => {}));
    for (const e of first3) assert.ok(isDeepStrictEqual(byId.get(e.position), e.event), `record ${e.position}`);
    assert.ok(before.length >= first3.length);
    assert.ok(part.problems.some((p) => p.where === 'chunk 3' && p.skipped), JSON.stringify(part.problems));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

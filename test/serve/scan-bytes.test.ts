/**
 * serve/scan-bytes.ts: the byte scan of a request body must decide exactly what the string scan
 * (scan-doc.ts) decides on the decoded text — same host, time, `big` and telemetry key, null for
 * null — on generated Defend events, the EVTX samples' JSON forms (as read and as ECS), escapes,
 * UTF-8 (valid and malformed) and random byte mutations; and a request recorded through it
 * (ingest-parse.ts ingestBytes) keeps what the string path kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateEvents } from '../../src/demo/generate.js';
import { scanDocument } from '../../src/serve/scan-doc.js';
import { scanBytes, scanned, tkeyBytes } from '../../src/serve/scan-bytes.js';
import { ingestBytes, ingestDocument } from '../../src/serve/ingest-parse.js';
import { RequestEvents, joinRequests, commitRaw, F_PLAIN } from '../../src/serve/ingest-batch.js';
import { forEachLine } from '../../src/serve/http.js';
import { toEcs } from '../../src/normalize/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

const isAscii = (b: Uint8Array): boolean => b.every((x) => x < 0x80);

/** Scan `doc` (text or bytes) both ways, placed between other lines of a body; returns whether it was decided. */
function same(doc: string | Buffer, why = ''): boolean {
  const bytes = typeof doc === 'string' ? Buffer.from(doc, 'utf8') : doc;
  const text = bytes.toString('utf8');
  const wellFormed = Buffer.from(text, 'utf8').equals(bytes);
  const body = Buffer.concat([Buffer.from('{"index":{}}\n'), bytes, Buffer.from('\n{"x":1}')]);
  const from = 13;
  const got = scanBytes(body, from, from + bytes.length);
  const want = scanDocument(text);
  // The same document as the body's last bytes (scanned from a copy with room after it), and
  // followed by bytes the scan could run on into: the same decision.
  const last = Buffer.concat([Buffer.from('{"index":{}}\n'), bytes]);
  const runOn = Buffer.concat([bytes, Buffer.from('abc"}\n')]);
  for (const [buf, at] of [[last, 13], [runOn, 0]] as const) {
    const again = scanBytes(buf, at, at + bytes.length);
    assert.equal(again, got, `the scan of the same bytes elsewhere differs: ${text.slice(0, 160)}`);
    if (got) assert.equal(scanned.host, want?.host);
  }
  if (got) scanBytes(body, from, from + bytes.length); // `scanned` as the first scan left it
  const label = `${why} ${text.slice(0, 160)}`;
  if (!wellFormed) {
    // Malformed UTF-8: always left to the string path (which decodes it to U+FFFD as before).
    assert.equal(got, false, `malformed UTF-8 decided by the byte scan: ${label}`);
    return false;
  }
  assert.equal(got, want !== null, `byte scan ${got ? 'decided' : 'deferred'}, string scan ${want ? 'decided' : 'deferred'}: ${label}`);
  if (!want) return false;
  assert.equal(scanned.host, want.host, label);
  assert.deepEqual({ ms: scanned.ms, ns: scanned.ns }, want.time, label);
  assert.equal(scanned.big, want.big, label);
  assert.equal(scanned.ascii, isAscii(bytes), label);
  const key = scanned.tkeyLen < 0 ? null : Buffer.from(tkeyBytes.subarray(0, scanned.tkeyLen)).toString('utf8');
  assert.equal(key, want.tkey, label);
  return true;
}

test('byte scan = string scan on generated Elastic Defend events', () => {
  const lines = [...generateEvents({ events: 5000, hosts: 40, seed: 21 }).lines];
  let decided = 0;
  for (const l of lines) if (same(l)) decided++;
  assert.ok(decided >= lines.length * 0.95, `${decided}/${lines.length} decided`);
});

test('byte scan = string scan on the EVTX attack samples as read and in their ECS form', async (t) => {
  const samples = sharedOrSkip(t, 'datasets/evtx-attack-samples');
  if (!samples) return;
  const { readEvtxFile } = await import('../../src/sources/evtx/index.js');
  const files = readdirSync(samples, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.evtx')).sort();
  let docs = 0;
  let decided = 0;
  let nonAscii = 0;
  for (const f of files) {
    for await (const batch of readEvtxFile(join(samples, f), () => {})) {
      for (const se of batch) {
        const ev = se.event as Record<string, unknown>;
        same(JSON.stringify(ev, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), f);
        // The ECS form with a host id and a time: the shape the scan decides, with the samples' real values.
        const ecs = { ...toEcs(ev) } as Record<string, unknown>;
        delete ecs.winlog; // else another flavour: deferred by both
        const host = (ecs.host as Record<string, unknown> | undefined) ?? {};
        ecs.host = { ...host, id: String(host.name ?? 'h') };
        if (typeof ecs['@timestamp'] !== 'string') ecs['@timestamp'] = '2026-03-02T08:00:00.1234567Z';
        const text = JSON.stringify(ecs, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
        if (same(text, f)) decided++;
        if (/[^\x00-\x7f]/.test(text)) nonAscii++;
        docs++;
      }
    }
  }
  assert.ok(docs > 1000, `${docs} documents`);
  assert.ok(decided > docs * 0.5, `${decided}/${docs} ECS forms decided`);
  assert.ok(nonAscii > 0, 'some samples hold non-ASCII text');
});

test('byte scan = string scan on escapes, white space, UTF-8 and the deferred shapes', () => {
  const base = { '@timestamp': '2026-03-02T08:00:00.123456Z', host: { id: 'H1', name: 'ws1' }, event: { category: ['process'], type: ['start'] }, process: { pid: 4, name: 'System' } };
  const ok = JSON.stringify(base);
  const cases: string[] = [
    ok,
    ok.replace('"H1"', '"hôte-😀"'),
    ok.replace('"H1"', '"H\\u0031"'),
    ok.replace('"host"', '"h\\u006fst"'),
    ok.replace('"System"', '"SYSTEM"'),
    ok.replace('"System"', '"sYsTeM32"'),
    ok.replace('"System"', '"İSYSTEM"'),
    ok.replace('"System"', '"notepad.exe"'),
    ok.replace('"System"', '"Sys\\u0074em"'),
    ok.replace('"System"', '"ſystem"'),
    ok.replace('"System"', '7'),
    ok.replace('"pid":4', '"pid":4.0'),
    ok.replace('"pid":4', '"pid":40e-1'),
    ok.replace('"pid":4', '"pid":"4"'),
    ok.replace('"pid":4', '"pid":"pid-14"'),
    ok.replace('"pid":4', '"pid":1234'),
    ok.replace('"pid":4', '"pid":[4]'),
    ok.replace('"start"', '"dé\\"marré"'),
    ok.replace('"start"', '"\\ud83d\\ude00"'),
    ok.replace('"start"', '"\\ud800"'),
    ok.replace('"@timestamp":"2026-03-02T08:00:00.123456Z"', '"@timestamp":"2026-03-02T08:00:00.123456789+02:00"'),
    ok.replace('"@timestamp":"2026-03-02T08:00:00.123456Z"', '"@timestamp":"٢٠٢٦"'),
    ok.replace('"@timestamp":"2026-03-02T08:00:00.123456Z"', '"@timestamp":"not a time"'),
    ok.replace('"ws1"', '"ws\t1"'),
    ok.replace(',"event"', ',\t"event"'),
    ok.replace(',"event"', ',\r"event"'),
    ` ${ok}  `,
    ok.replace('{"@timestamp"', '{ "@timestamp" '),
    ok.replace('}}', '},"s":"q\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9","n":131485996510000001}'),
    JSON.stringify({ ...base, winlog: { channel: 'Security' } }),
    JSON.stringify({ ...base, 'winlog.channel': 'x' }),
    JSON.stringify({ _index: 'i', _source: base }),
    JSON.stringify({ ...base, 'event.category': 'file' }),
    JSON.stringify({ ...base, process: { pid: 1, executable: 'C:\\x\\System' } }),
    JSON.stringify({ ...base, host: { id: '' } }),
    JSON.stringify({ ...base, host: { id: 7 } }),
    JSON.stringify([base]),
    '"text"',
    '{}',
    '{',
    `\uFEFF${ok}`,
    `${ok}\u00a0`,
  ];
  for (const c of cases) same(c);
  // Nested deeper than the scan follows.
  same(`{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"d":${'['.repeat(600)}${']'.repeat(600)}}`);
  // Malformed UTF-8: overlong, surrogate, past U+10FFFF, truncated sequences, a lone continuation byte, in a string and outside.
  const head = Buffer.from('{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"s":"');
  const tail = Buffer.from('"}');
  for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80], [0xff]]) {
    same(Buffer.concat([head, Buffer.from(bad), tail]));
    same(Buffer.concat([head, Buffer.from(bad)]));
  }
  // Valid multi-byte sequences at each length.
  for (const good of ['é', '€', '😀', '\u07ff', '\uffff', '\u{10ffff}']) assert.equal(same(Buffer.concat([head, Buffer.from(good), tail])), true, good);
});

test('byte scan = string scan on random byte mutations of valid documents', () => {
  const lines = [...generateEvents({ events: 300, hosts: 5, seed: 4 }).lines].map((l) => Buffer.from(`${l.slice(0, -1)},"z":"é€😀"}`));
  const bytes = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x2c, 0x3a, 0x5c, 0x30, 0x2d, 0x65, 0x2e, 0x20, 0x09, 0x0d, 0x74, 0x6e, 0xc3, 0xa9, 0x80, 0xff, 0xe2, 0x00];
  let seed = 777;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let decided = 0;
  for (let k = 0; k < 6000; k++) {
    const l = lines[rnd(lines.length)]!;
    const at = rnd(l.length);
    const op = rnd(3);
    const b = Buffer.from([bytes[rnd(bytes.length)]!]);
    const m = op === 0 ? Buffer.concat([l.subarray(0, at), l.subarray(at + 1)]) : op === 1 ? Buffer.concat([l.subarray(0, at), b, l.subarray(at)]) : Buffer.concat([l.subarray(0, at), b, l.subarray(at + 1)]);
    if (same(m)) {
      decided++;
      assert.doesNotThrow(() => JSON.parse(m.toString('utf8')));
    }
  }
  assert.ok(decided > 500, `${decided} mutations decided`);
});

test('a request recorded from its bytes keeps what the string path kept, event by event', () => {
  const gen = [...generateEvents({ events: 400, hosts: 7, seed: 8 }).lines];
  const extra = [
    JSON.stringify({ _index: 'i', hits: { hits: [{ _source: { '@timestamp': '2026-03-02T08:00:00Z', host: { name: 'A' } } }, { _source: { '@timestamp': '2026-03-02T08:00:01Z', host: { name: 'B' } } }] } }),
    JSON.stringify({ '@timestamp': '2026-03-02T08:00:00Z', host: { id: 'hôte' }, s: 'é😀', n: 131485996510000001 }),
    JSON.stringify({ winlog: { channel: 'Security', event_id: 4624, computer_name: 'dc1' }, '@timestamp': '2026-03-02T08:00:00Z' }),
    '{"no":"time or host"}',
    'not json',
    '[1,2]',
  ];
  const docs = [...gen.slice(0, 50), ...extra, ...gen.slice(50)];
  // CRLF line ends, blank and white-space-only lines between documents.
  const body = Buffer.concat([Buffer.from(docs.join('\r\n\n   \n')), Buffer.from('\n\u00a0\n'), Buffer.from([0x66, 0xff, 0x0a])]);
  const req = new RequestEvents(body, 4);
  const want: { host: string; time: unknown; raw: string; tkey: string }[] = [];
  const errors: [string | number, string | number][] = [];
  let lines = 0;
  forEachLine(body, (from, to) => {
    lines++;
    const text = body.toString('utf8', from, to);
    const old = ingestDocument(text);
    const got = ingestBytes(req, from, to);
    if ('error' in old) errors.push([got, old.error]);
    else {
      assert.equal(got, old.events.length, text.slice(0, 100));
      for (const e of old.events) want.push({ host: e.host, time: e.time, raw: e.raw, tkey: e.tkey ?? '' });
    }
  });
  assert.equal(lines, docs.length + 1, 'blank and white-space-only lines are skipped; the last malformed line is not');
  for (const [got, old] of errors) assert.equal(got, old);
  assert.ok(errors.length >= 3, `${errors.length} refused`);
  assert.equal(req.n, want.length);
  for (let i = 0; i < req.n; i++) {
    assert.equal(req.raw(i), want[i]!.raw);
    assert.equal(req.hostOf(i), want[i]!.host);
    assert.deepEqual(req.timeOf(i), want[i]!.time);
  }
  // Two requests joined into a commit (with an empty one between): documents by offset, hosts
  // remapped, seq order kept; the second request's one document ends its body (no line break).
  const r2 = new RequestEvents(Buffer.from(gen[0]!), 1);
  assert.equal(ingestBytes(r2, 0, r2.body.length), 1);
  const c = joinRequests([req, new RequestEvents(Buffer.alloc(0)), r2]);
  assert.equal(c.n, req.n + 1);
  for (let i = 0; i < req.n; i++) {
    assert.equal(commitRaw(c, i), want[i]!.raw);
    assert.equal(c.hosts[c.hostIx[i]!], want[i]!.host);
  }
  assert.equal(commitRaw(c, req.n), gen[0]);
  assert.equal(Buffer.from(c.bytes).toString('utf8'), [...want.map((w) => w.raw), gen[0]].join('\n'), 'the commit holds the documents joined by line breaks, as the log row does');
  assert.ok((c.flags[req.n]! & F_PLAIN) !== 0);
  // The telemetry keys: each event's at its offset, all joined by line breaks.
  const keys = [...want.map((w) => w.tkey), (ingestDocument(gen[0]!) as { events: { tkey?: string | null }[] }).events[0]!.tkey ?? ''];
  assert.ok(keys.filter((k) => k !== '').length > 300, 'most events have a key');
  assert.ok(keys.some((k) => k === ''), 'some have none');
  for (let i = 0; i < c.n; i++) assert.equal(Buffer.from(c.tkeys.subarray(c.tkeyAt[i]!, c.tkeyAt[i + 1]! - 1)).toString('utf8'), keys[i], `key of event ${i}`);
  assert.equal(Buffer.from(c.tkeys).toString('utf8'), keys.join('\n'));
});

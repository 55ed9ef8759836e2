/**
 * serve/scan-doc.ts: the ingest path's scan must agree with the parser it stands in for. Whenever
 * it decides (non-null), JSON.parse must accept the text and normalize must give the same host and
 * time; when it cannot, the caller parses. Checked on generated Defend events, hand-made edge
 * cases and random mutations of valid documents (the scan must never accept invalid JSON).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEvents } from '../../src/demo/generate.js';
import { scanDocument, TELEMETRY_KEY_FIELDS } from '../../src/serve/scan-doc.js';
import { toEcs } from '../../src/normalize/index.js';
import { ingestDocument, parseDocument } from '../../src/serve/ingest-parse.js';
import { parseJsonExact } from '../../src/events/json.js';

function agrees(text: string): 'scanned' | 'deferred' {
  const s = scanDocument(text);
  if (!s) return 'deferred';
  const p = parseDocument(text);
  assert.ok('events' in p, `scan accepted a document the parser refuses: ${text.slice(0, 200)}`);
  assert.equal(p.events.length, 1);
  const ev = p.events[0]!;
  assert.equal(s.host, ev.host, text.slice(0, 200));
  assert.deepEqual(s.time, ev.time, text.slice(0, 200));
  assert.equal(ev.raw, text, 'a scanned document is stored as received');
  if (!s.big) assert.deepEqual(JSON.parse(text), parseJsonExact(text), 'no 16+ digit integer: plain JSON.parse is exact');
  if (s.tkey !== null) {
    // Each slot of the telemetry key is the text of what the ECS view holds there (absent: absent),
    // so one key always stands for the same values of the fields the blind-spot needs read.
    const ecs = toEcs(ev.se.event);
    const slots = s.tkey.split('\u0001');
    assert.equal(slots.length, TELEMETRY_KEY_FIELDS.length);
    TELEMETRY_KEY_FIELDS.forEach(([a, b], k) => {
      const parent = ecs[a] as Record<string, unknown> | undefined;
      const v = parent && typeof parent === 'object' ? parent[b] : undefined;
      if (slots[k] === '\u0002') assert.equal(v, undefined, `${a}.${b} absent: ${text.slice(0, 200)}`);
      else if (slots[k] === '\u0003') {
        // OTHER: a pid that is not 4, a name without "system" (the only values needs test them against).
        assert.ok(b === 'pid' ? (typeof v === 'number' ? v !== 4 : !String(v).includes('4')) : !String(v).toLowerCase().includes('system'), `${a}.${b}: ${String(v)}`);
      }
      else assert.deepEqual(parseJsonExact(slots[k]!), v, `${a}.${b}: ${text.slice(0, 200)}`);
    });
  }
  return 'scanned';
}

test('the telemetry key: read for generated events, null whenever the text cannot tell the values', () => {
  let keyed = 0;
  let scanned = 0;
  const lines = [...generateEvents({ events: 2000, hosts: 10, seed: 12 }).lines];
  for (const l of lines) {
    const sc = scanDocument(l);
    if (sc) scanned++;
    if (sc?.tkey) keyed++;
  }
  assert.ok(scanned > lines.length * 0.95);
  assert.equal(keyed, scanned, 'every scanned generated event has a key (the rest, Winlogbeat-shaped, are parsed)');
  const base = { '@timestamp': '2026-03-02T08:00:00Z', host: { id: 'H1' }, event: { category: ['process'], type: ['start'], code: 4688 }, process: { pid: 4, name: 'System', args: ['a', 'b'] } };
  const ok = JSON.stringify(base);
  assert.equal(scanDocument(ok)!.tkey, ['["process"]', '["start"]', '4688', '\u0002', '\u0002', '\u0002', '4', '"System"'].join('\u0001'));
  assert.equal(agrees(JSON.stringify({ ...base, event: { category: [], type: 'x' } })), 'scanned');
  assert.equal(agrees(JSON.stringify({ ...base, event: { category: [['a'], { b: 1 }] } })), 'scanned');
  assert.equal(agrees(' { "@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H1"},"event" : { "category" : [ "file" , "x" ] , "type":null } } '), 'scanned');
  const nullKey: [string, string][] = [
    ['dotted top-level key', JSON.stringify({ ...base, 'event.category': 'file' })],
    ['event not an object', JSON.stringify({ ...base, event: 'x' })],
    ['process not an object', JSON.stringify({ ...base, process: [1] })],
    ['event twice', ok.replace('{"@timestamp"', '{"event":{"category":"file"},"@timestamp"')],
    ['a member read twice', ok.replace('"code":4688', '"code":4688,"code":1')],
    ['an escaped member key', ok.replace('"code":4688', '"\\u0063ode":4688')],
    ['process.name derived from the executable', JSON.stringify({ ...base, process: { pid: 1, executable: 'C:\\x\\System' } })],
  ];
  for (const [why, text] of nullKey) {
    const sc = scanDocument(text);
    assert.ok(sc, `still scanned: ${why}`);
    assert.equal(sc.tkey, null, why);
  }
});

test('scan agrees with the parser on generated Elastic Defend events, and decides nearly all of them', () => {
  const lines = [...generateEvents({ events: 3000, hosts: 20, seed: 11 }).lines];
  let scanned = 0;
  for (const l of lines) if (agrees(l) === 'scanned') scanned++;
  assert.ok(scanned >= lines.length * 0.95, `${scanned}/${lines.length} scanned`);
});

test('scan defers what it cannot decide, and the ingest answer is the parser’s', () => {
  const base = { '@timestamp': '2026-03-02T08:00:00.123456Z', host: { id: 'H1', name: 'ws1' }, event: { category: ['process'] } };
  const ok = JSON.stringify(base);
  assert.equal(agrees(ok), 'scanned');
  const deferred: [string, string][] = [
    ['no host.id (host.name fills it)', JSON.stringify({ ...base, host: { name: 'WS1' } })],
    ['numeric host.id', JSON.stringify({ ...base, host: { id: 7 } })],
    ['escaped host.id', ok.replace('"H1"', '"H\\u0031"')],
    ['escaped key', ok.replace('"host"', '"h\\u006fst"')],
    ['duplicate host', ok.replace('{"@timestamp"', '{"host":{"id":"X"},"@timestamp"')],
    ['duplicate host.id', ok.replace('"id":"H1"', '"id":"H1","id":"H2"')],
    ['numeric time', JSON.stringify({ ...base, '@timestamp': 1772438400123 })],
    ['no time', JSON.stringify({ host: base.host, event: base.event })],
    ['Winlogbeat', JSON.stringify({ ...base, winlog: { channel: 'Security', event_id: '4624' } })],
    ['dotted Winlogbeat field', JSON.stringify({ ...base, 'winlog.channel': 'Security' })],
    ['flat Windows record', JSON.stringify({ ...base, EventID: 1, Channel: 'x' })],
    ['Elasticsearch hit', JSON.stringify({ _index: 'i', _id: '1', _source: base })],
    ['search response', JSON.stringify({ hits: { hits: [{ _source: base }] } })],
    ['array', JSON.stringify([base, base])],
    ['raw tab in a string', ok.replace('ws1', 'ws\t1')],
    ['not an object', '"text"'],
  ];
  for (const [why, text] of deferred) {
    assert.equal(scanDocument(text), null, why);
    // What ingest keeps is then what the parser says.
    const got = ingestDocument(text);
    const want = parseDocument(text);
    if ('error' in want) assert.deepEqual(got, { error: want.error }, why);
    else assert.deepEqual('events' in got ? got.events.map((e) => [e.host, e.time, e.raw]) : got, want.events.map((e) => [e.host, e.time, e.raw]), why);
  }
  // Whitespace, nesting, escapes elsewhere, big integers: still scanned, and right.
  assert.equal(agrees(` { "@timestamp" : "2026-03-02T08:00:00Z" ,\r"host": {"os":{"name":"W"},"id":"H1"}, "a":[1,-2.5e3,true,false,null,{},[]], "s":"q\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"} `), 'deferred'); // raw \r: left to the parser
  assert.equal(agrees(` { "@timestamp" : "2026-03-02T08:00:00Z" , "host": {"os":{"name":"W"},"id":"H1"}, "a":[1,-2.5e3,true,false,null,{},[]], "s":"q\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"} `), 'scanned');
  const big = scanDocument('{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"record_id":131485996510000001}');
  assert.ok(big?.big, 'a 64-bit integer is flagged for the exact parse');
});

test('the scan never accepts invalid JSON (malformed documents keep the parser’s per-item error)', () => {
  const bad = [
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"}}}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":01}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":tru}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":"\\x"}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":"\\u12g4"}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":[1,]}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":1.}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"},"a":-}',
    '{"@timestamp":"2026-03-02T08:00:00Z","host":{"id":"H"} x',
    '{"@timestamp":"2026-03-02T08:00:00Z" "host":{"id":"H"}}',
  ];
  for (const b of bad) {
    assert.throws(() => JSON.parse(b), SyntaxError, `test case must be invalid: ${b}`);
    assert.equal(scanDocument(b), null, b);
    assert.ok('error' in ingestDocument(b), b);
  }
  // Random single-character mutations of valid documents: whatever the scan accepts parses.
  const lines = [...generateEvents({ events: 200, hosts: 5, seed: 3 }).lines];
  const chars = ['{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e', '.', ' ', 'x', 't', 'n'];
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let accepted = 0;
  for (let k = 0; k < 4000; k++) {
    const l = lines[rnd(lines.length)]!;
    const at = rnd(l.length);
    const op = rnd(3);
    const c = chars[rnd(chars.length)]!;
    const m = op === 0 ? l.slice(0, at) + l.slice(at + 1) : op === 1 ? l.slice(0, at) + c + l.slice(at) : l.slice(0, at) + c + l.slice(at + 1);
    if (scanDocument(m) !== null) {
      accepted++;
      assert.doesNotThrow(() => JSON.parse(m), `scan accepted invalid JSON: ${m}`);
      agrees(m);
    }
  }
  assert.ok(accepted > 100, `some mutations stay valid and are scanned (${accepted})`);
});

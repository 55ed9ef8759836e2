/** serve/: the Elasticsearch-shaped ingest endpoint, durable append and detection of planted attacks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { bulkBody, call, serve, waitFor } from './client.js';

test('shipper handshake: GET/HEAD /, _license, _cat/health, templates 404 then 200, X-Elastic-Product everywhere', async () => {
  const h = await serve({ esVersion: '8.15.1' });
  try {
    const root = await call(`${h.s.url}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal((root.json() as { version: { number: string } }).version.number, '8.15.1');
    assert.equal((await call(`${h.s.url}/`, { method: 'HEAD' })).status, 200);
    const lic = await call(`${h.s.url}/_license?human=false`);
    assert.equal((lic.json() as { license: { status: string } }).license.status, 'active');
    assert.equal((await call(`${h.s.url}/_cat/health`, { method: 'HEAD' })).status, 200);
    const missing = await call(`${h.s.url}/_index_template/winlogbeat-8.15.1`, { method: 'HEAD' });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-elastic-product'), 'Elasticsearch');
    const put = await call(`${h.s.url}/_index_template/winlogbeat-8.15.1`, { method: 'PUT', token: h.ingest, body: '{"index_patterns":["winlogbeat-*"]}', headers: { 'content-type': 'application/json' } });
    assert.equal(put.status, 200);
    assert.equal((await call(`${h.s.url}/_index_template/winlogbeat-8.15.1`, { method: 'HEAD' })).status, 200);
    assert.equal((await call(`${h.s.url}/_data_stream/winlogbeat-8.15.1`)).status, 404);
    const nf = await call(`${h.s.url}/nope/nothing/here`);
    assert.equal(nf.status, 404);
    assert.equal((nf.json() as { code: string }).code, 'SPOOR_NOT_FOUND');
    assert.equal(nf.headers.get('x-elastic-product'), 'Elasticsearch');
  } finally {
    await h.stop();
  }
});

test('_bulk: create/index items in order, bad documents fail alone, gzip, /{index}/_bulk, /ingest; planted attacks alerted once', async () => {
  const h = await serve();
  try {
    const g = generateEvents({ events: 6000, hosts: 6, seed: 7 });
    const lines = [...g.lines];
    // Half through /_bulk gzip, half through /{index}/_bulk with a malformed doc and an update in the middle.
    const half = Math.floor(lines.length / 2);
    const r1 = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, gzip: true, body: bulkBody(lines.slice(0, half)), headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(r1.status, 200);
    const b1 = r1.json() as { errors: boolean; items: { create: { status: number; _seq_no: number } }[] };
    assert.equal(b1.errors, false);
    assert.equal(b1.items.length, half);
    assert.ok(b1.items.every((it) => it.create.status === 201));
    const seqs = b1.items.map((it) => it.create._seq_no);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'items come back in request order');
    const rest = lines.slice(half);
    const body = bulkBody(rest.slice(0, 10), 'index') + '{"create":{}}\n{not json\n' + '{"update":{"_id":"1"}}\n{"doc":{}}\n' + bulkBody(rest.slice(10), 'index');
    const r2 = await call(`${h.s.url}/logs-endpoint.events-default/_bulk`, { method: 'POST', token: h.ingest, body, headers: { 'content-type': 'application/x-ndjson' } });
    const b2 = r2.json() as { errors: boolean; items: Record<string, { status: number; _index: string; error?: { type: string } }>[] };
    assert.equal(b2.errors, true);
    assert.equal(b2.items.length, rest.length + 2);
    assert.equal(b2.items[10]!.create!.status, 400);
    assert.equal(b2.items[10]!.create!.error!.type, 'mapper_parsing_exception');
    assert.equal(b2.items[10]!.create!._index, 'logs-endpoint.events-default');
    assert.equal(b2.items[11]!.update!.status, 400);
    assert.equal(b2.items[12]!.index!.status, 201);
    // /ingest: plain NDJSON
    const r3 = await call(`${h.s.url}/ingest`, { method: 'POST', token: h.ingest, body: '{"@timestamp":"2026-03-02T08:00:00Z","host":{"name":"x"},"event":{"category":"process"}}\n[1]\n' });
    assert.deepEqual([(r3.json() as { accepted: number }).accepted, (r3.json() as { rejected: number }).rejected], [1, 1]);
    assert.equal(h.s.context.stream.count(), lines.length + 1, 'every acknowledged event is in the log');
    const want = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID).length;
    assert.ok(want >= 2);
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total >= want);
    await new Promise((r) => setTimeout(r, 400));
    const got = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID], limit: 1000 });
    assert.equal(got.total, want);
    assert.deepEqual(got.alerts.map((a) => a.host.toLowerCase()).sort(), g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID).map((p) => p.host.toLowerCase()).sort());
  } finally {
    await h.stop();
  }
});

test('_bulk answer: runs of items, _id given or not, other indexes, failures and other actions, each item exact and in order', async () => {
  const h = await serve();
  try {
    const doc = (i: number, host = 'b1'): string => `{"@timestamp":"2026-03-02T08:00:${String(i % 60).padStart(2, '0')}Z","host":{"id":"${host}"},"event":{"category":"network"},"n":${i}}`;
    const lines: [string, string | null][] = [
      ['{"create":{"_index":"logs-a"}}', doc(1)],
      ['{"create":{"_index":"logs-a"}}', doc(2)],
      ['{"create":{"_index":"logs-a","_id":"x-\\u00e9\\"1"}}', doc(3)],
      ['{"create":{"_index":"logs-a"}}', doc(4)],
      ['{"index":{"_index":"logs-b"}}', doc(5)],
      ['{"index":{}}', doc(6)],
      ['{"create":{"_index":"logs-a"}}', '{not json'],
      ['{"create":{"_index":"logs-a"}}', doc(7)],
      ['{"delete":{"_index":"logs-a","_id":"9"}}', null],
      ['{"update":{"_id":"1"}}', '{"doc":{}}'],
      ['{"create":{"_index":"logs-a"}}', doc(8)],
      ['{"create":{"_index":"logs-a"}}', doc(9)],
      ['{"update":{"_id":"2"}}', null],
    ];
    const body = lines.map(([a, d]) => (d === null ? `${a}\n` : `${a}\n${d}\n`)).join('');
    const r = await call(`${h.s.url}/dflt/_bulk`, { method: 'POST', token: h.ingest, body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(r.status, 200);
    const got = r.json() as { took: number; errors: boolean; items: Record<string, Record<string, unknown>>[] };
    assert.equal(got.errors, true);
    assert.equal(typeof got.took, 'number');
    const ok = (op: string, index: string, seq: number, id?: string): Record<string, unknown> => ({
      [op]: { _index: index, _id: id ?? `spoor-${seq}`, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: seq, _primary_term: 1, status: 201 },
    });
    const first = (got.items[0]!.create as { _seq_no: number })._seq_no;
    const want = [
      ok('create', 'logs-a', first),
      ok('create', 'logs-a', first + 1),
      ok('create', 'logs-a', first + 2, 'x-é"1'),
      ok('create', 'logs-a', first + 3),
      ok('index', 'logs-b', first + 4),
      ok('index', 'dflt', first + 5),
      { create: { _index: 'logs-a', _id: null, status: 400, error: { type: 'mapper_parsing_exception', reason: (got.items[6]!.create as { error: { reason: string } }).error.reason } } },
      ok('create', 'logs-a', first + 6),
      { delete: { _index: 'logs-a', _id: '9', status: 400, error: { type: 'illegal_argument_exception', reason: 'spoor accepts only index and create actions, not delete' } } },
      { update: { _index: 'dflt', _id: '1', status: 400, error: { type: 'illegal_argument_exception', reason: 'spoor accepts only index and create actions, not update' } } },
      ok('create', 'logs-a', first + 7),
      ok('create', 'logs-a', first + 8),
      { update: { _index: 'dflt', _id: '2', status: 400, error: { type: 'illegal_argument_exception', reason: 'action without a document (body ended)' } } },
    ];
    assert.deepEqual(got.items, want);
    assert.equal(JSON.stringify(got.items[0]), JSON.stringify(want[0]), 'keys in the order Elasticsearch writes them');
    // Each acknowledged seq holds its document.
    const stored = h.s.context.stream.get([first, first + 2, first + 5, first + 8]);
    assert.deepEqual(stored.map((e) => (JSON.parse(e.raw) as { n: number }).n), [1, 3, 6, 9]);
  } finally {
    await h.stop();
  }
});

test('retention deletes the oldest events beyond the size bound, never at or after the replay point', async () => {
  const h = await serve();
  try {
    const docs = Array.from({ length: 50 }, (_, i) => `{"@timestamp":"2026-03-02T08:00:${String(i).padStart(2, '0')}Z","host":{"name":"r1"},"event":{"category":"network"}}`);
    await call(`${h.s.url}/ingest`, { method: 'POST', token: h.ingest, body: docs.join('\n') });
    const st = h.s.context.stream;
    assert.equal(st.prune(30, 10, 3600_000), 29, 'size bound 10, but the replay point 30 is kept');
    assert.equal(st.count(), 21);
    assert.equal(st.prune(1000, 10, 3600_000), 11);
    assert.equal(st.count(), 10);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(st.prune(1000, 1000, 1), 9, 'age bound; the newest row stays (seqs are never reused)');
  } finally {
    await h.stop();
  }
});

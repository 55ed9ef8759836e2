/**
 * serve ingest on bytes (scan-bytes.ts, ingest-batch.ts, http.ts's reused body buffers, shared
 * commit bytes): many large requests at once, gzip and plain, CRLF line ends, non-ASCII text,
 * documents the byte scan decides and documents it leaves to the parser. Every acknowledged item's
 * `_seq_no` must hold exactly the document sent in the log (no byte of another request's body,
 * whose buffer is reused), with its host and time; malformed items keep their per-item errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEvents } from '../../src/demo/generate.js';
import { call, serve } from './client.js';

interface BulkAnswer {
  errors: boolean;
  items: Record<string, { _seq_no?: number; status: number; error?: { type: string } }>[];
}

test('concurrent large _bulk requests: each acknowledged item is its own document in the log, byte for byte', async () => {
  const h = await serve();
  try {
    const gen = [...generateEvents({ events: 6000, hosts: 12, seed: 31 }).lines];
    const extra = (r: number, i: number): string =>
      i % 3 === 0
        ? JSON.stringify({ '@timestamp': `2026-03-02T08:00:${String(i % 60).padStart(2, '0')}.5Z`, host: { id: `hôte-${r}` }, message: `é😀 ${r}/${i}`, n: 131485996510000001 })
        : i % 3 === 1
          ? JSON.stringify({ winlog: { channel: 'Security', event_id: 4624, computer_name: `dc-${r}` }, '@timestamp': '2026-03-02T08:00:00Z', n: i })
          : '{"not json';
    const requests = Array.from({ length: 8 }, (_, r) => {
      const docs: string[] = [];
      for (let i = 0; i < 750; i++) docs.push(i % 50 === 7 ? extra(r, i) : gen[r * 750 + i]!);
      return docs;
    });
    const answers = await Promise.all(
      requests.map(async (docs, r) => {
        const body = docs.map((d) => `{"create":{"_index":"logs-${r}"}}\r\n${d}\r\n`).join('');
        const res = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body, gzip: r % 2 === 0, headers: { 'content-type': 'application/x-ndjson' } });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        return res.json() as BulkAnswer;
      }),
    );
    const stream = h.s.context.stream;
    let checked = 0;
    answers.forEach((a, r) => {
      const docs = requests[r]!;
      assert.equal(a.items.length, docs.length);
      a.items.forEach((item, i) => {
        const x = item.create!;
        const doc = docs[i]!;
        if (doc === '{"not json') {
          assert.equal(x.status, 400);
          assert.equal(x.error?.type, 'mapper_parsing_exception');
          return;
        }
        assert.equal(x.status, 201, JSON.stringify(x));
        const [stored] = stream.get([x._seq_no!]);
        assert.equal(stored?.raw, doc, `request ${r} item ${i}`);
        const parsed = JSON.parse(doc) as { host?: { id?: string }; '@timestamp'?: string };
        if (parsed.host?.id) assert.equal(stored!.host, parsed.host.id);
        if (parsed['@timestamp']) assert.equal(stored!.time_ms, Date.parse(parsed['@timestamp']));
        checked++;
      });
    });
    assert.ok(checked > 5800, `${checked} items checked`);
    assert.equal(stream.count(), checked, 'nothing else was stored');
  } finally {
    await h.stop();
  }
});

/**
 * serve/: overload. Senders offer more than detection takes (here: detection stalled outright,
 * then resumed while they keep sending): `_bulk` answers 429 before the queue (events and bytes
 * held in memory) passes its limits, the health endpoint keeps answering, and once detection
 * resumes every acknowledged event is in the log with its document and goes through detection
 * (the planted attacks alerted once each).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { bulkBody, serve, waitFor } from './client.js';

const SENDERS = 8;
const BATCH = 250;
const MAX_QUEUE = 4000;
const MAX_QUEUE_BYTES = 1 << 20;

test('overload: 429 before the queue passes its event and byte limits, health answers, no acknowledged event lost', async (t) => {
  const g = generateEvents({ events: 12_000, hosts: 8, seed: 11 });
  const lines = [...g.lines];
  const bodies: { body: string; from: number }[] = [];
  for (let i = 0; i < lines.length; i += BATCH) bodies.push({ body: bulkBody(lines.slice(i, i + BATCH)), from: i });
  const largest = Math.max(...bodies.map((b) => Buffer.byteLength(b.body)));
  assert.ok(largest < MAX_QUEUE_BYTES / 2, 'several requests fit the byte budget');

  const h = await serve({ maxQueue: MAX_QUEUE, maxQueueBytes: MAX_QUEUE_BYTES });
  const ctx = h.s.context;
  const loop = ctx.loop;
  const pump = loop.pump.bind(loop);
  loop.pump = () => {}; // detection stalled: nothing drains the queue
  const statuses = new Map<number, number>();
  /** Line index → the `_seq_no` its acknowledgement gave. */
  const acked = new Map<number, number>();
  let maxDepth = 0;
  let maxBytes = 0;
  let maxHealthMs = 0;
  let degradedSeen = false;
  let sampling = true;
  try {
    const sampler = (async () => {
      while (sampling) {
        maxDepth = Math.max(maxDepth, ctx.queueDepth());
        maxBytes = Math.max(maxBytes, ctx.budget.bytes);
        const t0 = performance.now();
        const r = await fetch(`${h.s.url}/api/health`);
        const j = (await r.json()) as { status: string };
        maxHealthMs = Math.max(maxHealthMs, performance.now() - t0);
        if (j.status === 'degraded') degradedSeen = true;
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    let next = 0;
    const send = async (): Promise<void> => {
      while (next < bodies.length) {
        const { body, from } = bodies[next++]!;
        for (;;) {
          const r = await fetch(`${h.s.url}/_bulk`, { method: 'POST', body, headers: { authorization: `Bearer ${h.ingest}`, 'content-type': 'application/x-ndjson' } });
          const text = await r.text();
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 200) {
            const items = (JSON.parse(text) as { items: { create: { status: number; _seq_no: number } }[] }).items;
            assert.equal(items.length, BATCH);
            items.forEach((it, k) => {
              assert.equal(it.create.status, 201);
              acked.set(from + k, it.create._seq_no);
            });
            break;
          }
          assert.equal(r.status, 429, `only 200 or 429, got ${r.status}: ${text}`);
          assert.equal((JSON.parse(text) as { error: { type: string } }).error.type, 'SPOOR_TOO_MANY_REQUESTS');
          await new Promise((res) => setTimeout(res, 10));
        }
      }
    };
    const senders = Promise.all(Array.from({ length: SENDERS }, () => send()));
    // Stalled: the queue fills to its limits and stays there while the senders keep offering.
    await waitFor(() => (statuses.get(429) ?? 0) >= 30, 60_000);
    const ackedWhileStalled = acked.size;
    assert.ok(ackedWhileStalled < lines.length, 'not everything fits while detection is stalled');
    // Resumed: the senders get through as detection drains the queue.
    loop.pump = pump;
    pump();
    await senders;
    await waitFor(() => loop.lag === 0 && ctx.queueDepth() === 0, 60_000);
    sampling = false;
    await sampler;

    assert.ok((statuses.get(429) ?? 0) >= 30, 'overload answered with 429');
    assert.equal(ctx.counters.rejected429, statuses.get(429));
    // Bounded: the event check happens before a body is read, so concurrent requests may each add
    // one request's events; bytes are reserved at admission, so only the committed documents'
    // per-event overhead (keys, arrays) comes on top of the budget.
    assert.ok(maxDepth <= MAX_QUEUE + SENDERS * BATCH, `queue depth ${maxDepth} bounded`);
    assert.ok(maxBytes <= MAX_QUEUE_BYTES * 1.25 + largest, `queue bytes ${maxBytes} bounded by ${MAX_QUEUE_BYTES}`);
    assert.ok(maxBytes >= MAX_QUEUE_BYTES / 2, `the byte budget was reached (${maxBytes})`);
    assert.ok(degradedSeen, 'health reported degraded while the queue was full');
    assert.ok(maxHealthMs < 2000, `health answered within 2 s under overload (slowest ${maxHealthMs.toFixed(0)} ms)`);

    t.diagnostic(`queue depth ≤ ${maxDepth} events, ≤ ${maxBytes} bytes; health ≤ ${maxHealthMs.toFixed(0)} ms; ${statuses.get(429)} × 429; ${ackedWhileStalled} events acknowledged while stalled`);
    // Nothing acknowledged is lost: each acknowledged seq holds exactly the document sent, and
    // the log holds nothing else (a 429 stored nothing).
    assert.equal(acked.size, lines.length);
    assert.equal(ctx.stream.count(), lines.length);
    const bySeq = new Map<number, string>();
    for (let s = 1; ; ) {
      const rows = ctx.stream.readFrom(s, 5000);
      if (rows.length === 0) break;
      for (const r of rows) bySeq.set(r.seq, r.raw);
      s = rows[rows.length - 1]!.seq + 1;
    }
    for (const [i, seq] of acked) assert.equal(bySeq.get(seq), lines[i], `line ${i} at seq ${seq}`);
    // …and went through detection: the planted attacks alerted once each.
    const want = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID).length;
    assert.ok(want >= 1);
    await loop.drain();
    const got = ctx.alerts.list({ rule: [FILE_SHARE_RULE_ID], limit: 1000 });
    assert.equal(got.total, want);
  } finally {
    sampling = false;
    loop.pump = pump;
    await h.stop();
  }
});

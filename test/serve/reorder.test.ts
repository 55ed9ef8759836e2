/** serve/reorder.ts: the per-host watermark, and the per-source one (sourceOrder). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReorderBuffer, SOURCE_TRUST_RUN, type OrderItem } from '../../src/serve/reorder.js';

const at = (s: number): { ms: number; ns: number } => ({ ms: Date.UTC(2026, 2, 2, 8) + s * 1000, ns: 0 });

function buffer(sourceOrder: boolean): { b: ReorderBuffer<OrderItem>; out: number[]; late: number[] } {
  const out: number[] = [];
  const late: number[] = [];
  const b = new ReorderBuffer<OrderItem>(5000, (it, l) => (l ? late : out).push(it.seq), { sourceOrder });
  return { b, out, late };
}

test('without sourceOrder a host waits for the lateness, whatever its sources', () => {
  const { b, out } = buffer(false);
  for (let i = 1; i <= 100; i++) b.add({ seq: i, host: 'h', time: at(i * 0.01), src: 7 }, 1000);
  assert.deepEqual(out, []);
  b.add({ seq: 101, host: 'h', time: at(10), src: 7 }, 1000);
  assert.equal(out.length, 100);
});

test('sourceOrder: a trusted in-order source releases at once; an untrusted or unknown one does not; disorder resets trust', () => {
  const { b, out, late } = buffer(true);
  let seq = 0;
  const send = (src: number, s: number, host = 'h'): void => b.add({ seq: ++seq, host, time: at(s), src }, 1000);
  for (let i = 0; i < SOURCE_TRUST_RUN - 1; i++) send(1, i * 0.01);
  assert.equal(out.length, 0, 'not trusted before SOURCE_TRUST_RUN events in order');
  send(1, 1);
  assert.equal(out.length, SOURCE_TRUST_RUN, 'trusted: everything up to its newest is released');
  // A second source of the host, new: nothing is released early until it is trusted too.
  send(2, 2);
  send(1, 3);
  assert.equal(out.length, SOURCE_TRUST_RUN);
  send(2, 1.9); // older than its newest: out of order, its run starts again
  for (let i = 1; i < SOURCE_TRUST_RUN - 1; i++) send(2, 2 + i * 0.001);
  assert.equal(out.length, SOURCE_TRUST_RUN, 'source 2 not trusted yet');
  for (let i = 0; i < SOURCE_TRUST_RUN; i++) send(2, 3 + i * 0.001);
  // Both trusted: released up to the older of their newest times (source 1: 3 s).
  assert.ok(out.length > SOURCE_TRUST_RUN);
  const released = out.length;
  // An event older than what was released is late (and resets its source's trust).
  send(1, 0.5);
  assert.equal(late.length, 1);
  send(1, 3.5);
  assert.equal(out.length, released, 'source 1 untrusted again: waits for the lateness');
  // Events read back from the log (source unknown) hold early release back too.
  for (let i = 0; i < SOURCE_TRUST_RUN; i++) send(3, 10 + i * 0.01, 'g');
  assert.equal(out.filter((s) => s > released + 2).length, SOURCE_TRUST_RUN, 'host g trusted');
  b.add({ seq: ++seq, host: 'g', time: at(11) }, 1000);
  send(3, 12, 'g');
  assert.equal(b.heldSeqs().filter((s) => s >= seq - 1).length, 2, 'unknown source live: g waits');
});

test('sourceOrder: a source silent for the lateness (wall time) stops holding its hosts back', () => {
  const { b, out } = buffer(true);
  let seq = 0;
  for (let i = 0; i < SOURCE_TRUST_RUN; i++) b.add({ seq: ++seq, host: 'h', time: at(i * 0.01), src: 1 }, 1000);
  b.add({ seq: ++seq, host: 'h', time: at(1), src: 2 }, 1000); // untrusted, live
  b.add({ seq: ++seq, host: 'h', time: at(2), src: 1 }, 2000);
  const before = out.length;
  // Source 2 silent for > 5 s of wall time: dropped; source 1 alone decides.
  b.add({ seq: ++seq, host: 'h', time: at(3), src: 1 }, 7000);
  assert.ok(out.length > before);
  assert.deepEqual(b.heldSeqs(), []);
});

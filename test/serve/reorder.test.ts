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

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const sourceOrder of [false, true]) {
  test(`pass: events no stateful rule uses change no decision about the held ones (sourceOrder ${sourceOrder})`, () => {
    const cover = { heldLate: 0, passLate: 0, heldAtEnd: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      // Reference: every event added. Under test: only "stateful" events added, the others passed.
      const refOut: string[] = [];
      const ref = new ReorderBuffer<OrderItem & { s: boolean }>(2000, (it, l) => void (it.s && refOut.push(`${it.seq}${l ? 'L' : ''}`)), { sourceOrder });
      const out: string[] = [];
      const b = new ReorderBuffer<OrderItem & { s: boolean }>(2000, (it, l) => void out.push(`${it.seq}${l ? 'L' : ''}`), { sourceOrder });
      const statefulSeqs = new Set<number>();
      const stateful = statefulSeqs;
      let refPassLate = 0;
      let passLate = 0;
      const hosts = ['a', 'b', 'c'];
      const newest = new Map<string, number>();
      let wall = 1000;
      for (let seq = 1; seq <= 1500; seq++) {
        wall += Math.floor(r() * 40);
        const host = hosts[Math.floor(r() * hosts.length)]!;
        // Mostly in order with jitter, sometimes far behind (late), rarely a jump ahead.
        const base = newest.get(host) ?? 0;
        const x = r();
        const s = Math.max(0, x < 0.05 ? base - 6 + r() * 3 : x < 0.08 ? base + 5 : base + (r() - 0.3) * 1.5);
        newest.set(host, Math.max(base, s));
        const time = at(Math.round(s * 1000) / 1000);
        const isStateful = r() < 0.2;
        const src = sourceOrder ? 1 + Math.floor(r() * 2) : 0;
        const it = { seq, host, time, src, s: isStateful };
        if (isStateful) statefulSeqs.add(seq);
        const lateBefore = ref.late;
        ref.add(it, wall);
        if (!isStateful && ref.late > lateBefore) refPassLate++;
        if (isStateful) b.add({ ...it }, wall);
        else if (b.pass({ ...it }, wall)) passLate++;
        if (r() < 0.02) {
          wall += 2500;
          ref.flushIdle(wall);
          b.flushIdle(wall);
        }
        if (seq % 50 === 0) {
          assert.deepEqual(b.lowWatermark(wall, 60_000), ref.lowWatermark(wall, 60_000), `seed ${seed} seq ${seq}: low watermark`);
          for (const h of hosts) assert.deepEqual(b.lastTime(h), ref.lastTime(h), `seed ${seed}: last time of ${h}`);
        }
      }
      assert.deepEqual(out, refOut, `seed ${seed}: releases of the held events`);
      assert.equal(passLate, refPassLate, `seed ${seed}: passed events counted late`);
      assert.equal(b.late, ref.late, `seed ${seed}: late count`);
      assert.deepEqual(b.exportKeys(wall, 60_000), ref.exportKeys(wall, 60_000), `seed ${seed}: exported keys`);
      const num = (x: number, y: number): number => x - y;
      assert.deepEqual(b.heldSeqs().sort(num), ref.heldSeqs().filter((q) => stateful.has(q)).sort(num), `seed ${seed}: held seqs`);
      // The case exercises what it should: late events of both kinds, and events still held.
      cover.heldLate += refOut.filter((x) => x.endsWith('L')).length;
      cover.passLate += refPassLate;
      cover.heldAtEnd += b.held;
      ref.flushIdle(wall, true);
      b.flushIdle(wall, true);
      assert.deepEqual(out, refOut, `seed ${seed}: releases after the final flush`);
      assert.equal(b.held, 0);
      assert.equal(b.passedWaiting, 0);
    }
    // The cases exercise what they should: late events of both kinds, events still held.
    assert.ok(cover.heldLate > 0 && cover.passLate > 0 && cover.heldAtEnd > 0, JSON.stringify(cover));
  });
}

/**
 * The replay window a partition records for takeovers without engine state (cluster/replay-window.ts):
 * keys (hosts, stage-2 groups) are in time order each on its own, so one lagging the others by
 * more than the window while still sending must keep its events in the replay; only a key silent
 * in wall time too is let go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayWindows, SILENT_GRACE_MS } from '../../src/cluster/replay-window.js';
import { WATERMARK_LIVE_MS } from '../../src/serve/reorder.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T09:00:00Z');

test('a key lagging the newest by more than the window, still sending, stays in the replay window', () => {
  const w = new ReplayWindows();
  const keep = 11 * MIN;
  let wall = 1_000_000;
  // Group "lag" gets its first events at seq 10, 11; group "lead" runs 40 min of event time ahead.
  w.note('lag', T0, 10, wall);
  w.note('lag', T0 + MIN, 11, wall);
  for (let i = 0; i < 40; i++) w.note('lead', T0 + 40 * MIN + i * 1000, 100 + i, (wall += 1000));
  w.note('lag', T0 + 2 * MIN, 200, wall); // still sending (wall time), 40 min behind in event time
  const r = w.prune(keep, wall);
  assert.equal(r.minSeq, 10, 'the lagging group’s window is replayed from its first event');
  assert.equal(w.size, 2);
  assert.ok(r.seenCutMs !== null && r.seenCutMs <= T0 + 2 * MIN - keep - SILENT_GRACE_MS, 'duplicate-drop entries of the lagging group are kept');
});

test('a key behind the window and silent in wall time is let go; events behind its own window are pruned', () => {
  const w = new ReplayWindows();
  const keep = 11 * MIN;
  const wall = 1_000_000;
  w.note('gone', T0, 5, wall);
  w.note('lead', T0 + 60 * MIN, 50, wall + WATERMARK_LIVE_MS + 1);
  const r = w.prune(keep, wall + WATERMARK_LIVE_MS + 1);
  assert.equal(w.size, 1, 'the silent, far-behind key is dropped');
  assert.equal(r.minSeq, 50);
  // Within one key, seconds older than keep behind its own frontier are pruned.
  const v = new ReplayWindows();
  v.note('h', T0, 1, wall);
  v.note('h', T0 + 30 * MIN, 2, wall);
  assert.equal(v.prune(keep, wall).minSeq, 2);
  assert.equal(new ReplayWindows().prune(keep, wall).seenCutMs, null);
});

test('the windows survive a snapshot (toJSON/restore): same replay point; merged buckets never replay less', () => {
  const keep = 11 * MIN;
  const wall = 1_000_000;
  const w = new ReplayWindows();
  // 300 keys × 20 s of events: over the export budget, so buckets are merged.
  for (let k = 0; k < 300; k++) for (let s = 0; s < 20; s++) w.note(`k${k}`, T0 + k * 1000 + s * 1000, 1 + k * 20 + s, wall);
  const json = JSON.parse(JSON.stringify(w.toJSON())) as unknown;
  const r = new ReplayWindows();
  assert.equal(r.restore(json), true);
  assert.equal(r.size, 300);
  assert.equal(r.prune(keep, wall).minSeq, w.prune(keep, wall).minSeq);
  // Later events move every frontier on: a merged bucket goes only once all it stands for left the window.
  for (const x of [w, r]) for (let k = 0; k < 300; k++) x.note(`k${k}`, T0 + k * 1000 + 19_000 + keep - 5000, 100_000 + k, wall);
  const exact = w.prune(keep, wall).minSeq;
  const restored = r.prune(keep, wall).minSeq;
  assert.ok(restored <= exact, `restored replay point ${restored} ≤ exact ${exact}`);
  assert.ok(exact < 100_000, 'events 5 s inside the window are still replayed');
  assert.equal(new ReplayWindows().restore([['k', 1, 2, 5]]), false, 'a malformed row is refused');
  assert.equal(new ReplayWindows().restore('x'), false);
});

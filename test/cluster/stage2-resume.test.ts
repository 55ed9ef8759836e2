/**
 * A stage-2 group whose events straddle two takeovers (a real nats-server, PartitionWorkers on a
 * group partition): owner A reads 4 of a spray's 10 failed logons, B resumes from A's engine state
 * and reads 2 more (one of them older than what A had released), C — started with a changed rule
 * set, so it cannot load the engine state — falls back to replaying from the snapshot's
 * `replayFrom` and reads the last 4. The group must alert once (10 ≥ 10).
 *
 * Before the fix B's snapshot named a replay point at the first event B itself had read (its
 * replay windows started empty after the resume), so C rebuilt the group from 6 events and the
 * alert was lost — the failure mode of the one event_count group the 1M fault suite missed at high
 * load (a takeover that falls back to replay after an earlier resume). Also checked: B restores
 * the reorder buffer's per-key released time, so its older event is counted late.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatsServer } from './nats-server.js';
import { Bus } from '../../src/cluster/nats.js';
import { Lease } from '../../src/cluster/lease.js';
import { CLUSTER, corrSubject, partitionOf, snapshotKey } from '../../src/cluster/subjects.js';
import { corrToken, type ForwardMessage } from '../../src/cluster/corr.js';
import { PartitionWorker, type PartitionSnapshot } from '../../src/cluster/worker.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { splitStages } from '../../src/cluster/stages.js';
import type { Rule } from '../../src/ir/types.js';
import { CORR_SIGMA, SPRAY_ID, failedLogon } from './corr-fixtures.js';
import { waitFor } from '../helpers/wait.js';

test('stage 2: resume, then a replay fallback, keeps the whole group (one alert from 10 events over three owners)', async () => {
  const { stage2 } = splitStages(loadSigmaText(CORR_SIGMA, 'cross-host.yml').rules);
  assert.equal(stage2.length, 2);
  const ip = '10.250.0.1';
  const token = corrToken(SPRAY_ID, [ip]);
  const p = partitionOf(token);
  const t0 = Date.parse('2026-03-02T10:00:00Z');
  // Event times (s after t0) in arrival order: A reads 0..15, B reads 20 and 12 (older than what
  // A released: late), C reads 25..40. Ten distinct events within 45 s: the threshold is 10.
  const times = [0, 5, 10, 15, 20, 12, 25, 30, 35, 40];
  const nats = await startNatsServer();
  const bus = await Bus.connect(nats.url, 't-s2-resume');
  const workers: PartitionWorker[] = [];
  try {
    await bus.ensureStreams();
    const leases = await bus.kv('t-s2-leases', 3000);
    const snaps = await bus.kv('t-s2-snaps');
    const publish = async (from: number, to: number): Promise<number> => {
      const r = await bus.publish(
        times.slice(from, to).map((s, j) => {
          const i = from + j;
          const f: ForwardMessage = { c: SPRAY_ID, s: 1000 + i, e: failedLogon(`SRV-${i}`, t0 + s * 1000, ip, 'administrator') };
          return { subject: corrSubject(token), data: JSON.stringify(f), msgId: `t-${i}` };
        }),
      );
      return Math.max(...r.map((x) => x.seq));
    };
    const own = async (node: string, rules: Rule[], last: number): Promise<PartitionWorker> => {
      const lease = new Lease(leases, `c${p}`, node, 3000);
      assert.ok(await lease.acquire());
      const w = new PartitionWorker(bus, snaps, p, lease, { rules, allowedLatenessMs: 100, partitions: CLUSTER.partitions }, node, 60_000, {}, 2);
      workers.push(w);
      await w.start();
      await waitFor(() => w.lastSeq >= last, 8000, `${node} reads to seq ${last}`);
      // The reorder buffer releases a group idle for the lateness (the node's tick does this).
      await waitFor(async () => (await w.tick(), w.held === 0), 8000, `${node} releases what it holds`);
      await w.stop('released');
      await lease.release();
      return w;
    };
    const snap = async (): Promise<PartitionSnapshot> => JSON.parse((await snaps.get(snapshotKey(p, 2)))!.value) as PartitionSnapshot;

    const a = await own('A', stage2, await publish(0, 4));
    const first = (await snap()).replayFrom;
    assert.equal(first, 1, 'A records the replay point at the group’s first event');
    const b = await own('B', stage2, await publish(4, 6));
    assert.equal(b.startMode, 'resumed');
    assert.equal(b.snapshot.late, 1, 'B knows what A released: the event 8 s older than A’s last is late');
    assert.equal((await snap()).replayFrom, first, 'B keeps the replay point of the state it resumed from');
    const c = await own('C', stage2.filter((r) => r.id === SPRAY_ID), await publish(6, 10));
    assert.equal(c.startMode, 'replay', 'a changed rule set falls back to replay');
    assert.equal(a.snapshot.alertsPublished + b.snapshot.alertsPublished, 0, 'no alert before the 10th event');
    // The accounting is carried from owner to owner: C's is the partition's total.
    assert.equal(c.snapshot.alertsPublished, 1, 'the spray alerts once');
    assert.equal((await bus.streamCounts(CLUSTER.alertStream)).messages, 1);
  } finally {
    for (const w of workers) if (!w.stopped) await w.stop('released');
    await bus.close();
    await nats.stop();
  }
});

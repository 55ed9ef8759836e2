/**
 * A stage-2 group whose events straddle two takeovers (a real nats-server, PartitionWorkers on a
 * group partition): owner A reads 4 of a spray's 10 failed logons, B resumes from A's engine state
 * and reads 2 more (one of them older than what A had released), C finds the engine-state chunks
 * gone (what a snapshot write that timed out but was stored used to cause) and falls back to
 * replaying from the snapshot's `replayFrom`, then reads the last 4. The group must alert once.
 *
 * Before the fix B's snapshot named a replay point at the first event B itself had read (its
 * replay windows started empty after the resume), so C rebuilt the group from 6 events and the
 * alert was lost — the failure mode of the one event_count group the 1M fault suite missed at high
 * load (a takeover that falls back to replay after an earlier resume). Also checked: B restores
 * the reorder buffer's per-key released time, so its older event is counted late.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { Bus } from '../../src/cluster/nats.js';
import { Lease } from '../../src/cluster/lease.js';
import { CLUSTER, corrSubject, partitionOf, snapshotKey } from '../../src/cluster/subjects.js';
import { corrToken, type ForwardMessage } from '../../src/cluster/corr.js';
import { PartitionWorker, type PartitionSnapshot } from '../../src/cluster/worker.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { splitStages } from '../../src/cluster/stages.js';
import type { Rule } from '../../src/ir/types.js';
import { CORR_SIGMA, SPRAY_ID, USERS_ID, failedLogon } from './corr-fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { Detector } from '../../src/hunt/detector.js';
import { parseStored } from '../../src/serve/ingest-parse.js';

type Kv = Awaited<ReturnType<Bus['kv']>>;

/**
 * One owner's turn on partition `p`: take the lease, run a PartitionWorker with `rules` (those in
 * `off` switched off) until it has read to `last` and released what it holds, then stop and hand
 * the lease back (the snapshot it leaves is what the next owner starts from).
 */
async function ownFor(
  at: { bus: Bus; leases: Kv; snaps: Kv; p: number; workers: PartitionWorker[] },
  node: string,
  rules: Rule[],
  off: string[],
  last: number,
): Promise<PartitionWorker> {
  const lease = new Lease(at.leases, `c${at.p}`, node, 3000);
  assert.ok(await lease.acquire());
  const w = new PartitionWorker(at.bus, at.snaps, at.p, lease, { rules, off: new Set(off), allowedLatenessMs: 100, partitions: CLUSTER.partitions }, node, 60_000, {}, 2);
  at.workers.push(w);
  await w.start();
  await waitFor(() => w.lastSeq >= last, 8000, `${node} reads to seq ${last}`);
  // The reorder buffer releases a group idle for the lateness (the node's tick does this).
  await waitFor(async () => (await w.tick(), w.held === 0), 8000, `${node} releases what it holds`);
  await w.stop('released');
  await lease.release();
  return w;
}

let nats: NatsServer;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats.stop();
});

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
    const own = (node: string, rules: Rule[], last: number): Promise<PartitionWorker> => ownFor({ bus, leases, snaps, p, workers }, node, rules, [], last);
    const snap = async (): Promise<PartitionSnapshot> => JSON.parse((await snaps.get(snapshotKey(p, 2)))!.value) as PartitionSnapshot;

    const a = await own('A', stage2, await publish(0, 4));
    const first = (await snap()).replayFrom;
    assert.equal(first, 1, 'A records the replay point at the group’s first event');
    const b = await own('B', stage2, await publish(4, 6));
    assert.equal(b.startMode, 'resumed');
    assert.equal(b.snapshot.late, 1, 'B knows what A released: the event 8 s older than A’s last is late');
    assert.equal((await snap()).replayFrom, first, 'B keeps the replay point of the state it resumed from');
    // The chunks B's snapshot references are gone: C must replay.
    const sb = await snap();
    for (let i = 0; i < sb.engine!.chunks; i++) await snaps.delete(`${snapshotKey(p, 2)}.e${sb.engine!.gen}.${i}`);
    const c = await own('C', stage2, await publish(6, 10));
    assert.equal(c.startMode, 'replay', 'missing engine state falls back to replay');
    assert.equal(a.snapshot.alertsPublished + b.snapshot.alertsPublished, 0, 'no alert before the 10th event');
    // The accounting is carried from owner to owner: C's is the partition's total.
    assert.equal(c.snapshot.alertsPublished, 1, 'the spray alerts once');
    assert.equal((await bus.streamCounts(CLUSTER.alertStream)).messages, 1, 'one alert in the stream');
  } finally {
    for (const w of workers) if (!w.stopped) await w.stop('released');
    await bus.close();
  }
});

test('stage 2: a correlation added since the snapshot replays alone; the others resume from their state', async () => {
  const { stage2 } = splitStages(loadSigmaText(CORR_SIGMA, 'cross-host.yml').rules);
  const spray = stage2.filter((r) => r.id === SPRAY_ID);
  // One address whose spray and user-sweep groups share a partition: 10 failed logons, 5 users.
  let ip = '';
  for (let i = 1; i < 5000 && ip === ''; i++) {
    const x = `10.251.${i >> 8}.${i & 255}`;
    if (partitionOf(corrToken(SPRAY_ID, [x])) === partitionOf(corrToken(USERS_ID, [x]))) ip = x;
  }
  assert.ok(ip !== '');
  const p = partitionOf(corrToken(SPRAY_ID, [ip]));
  const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const t0 = Date.parse('2026-03-02T11:00:00Z');
  const docs = Array.from({ length: 10 }, (_, i) => failedLogon(`SRV-${i}`, t0 + i * 5000, ip, users[i % 5]!));
  const failedLogonAt = (i: number): string => docs[i]!;
  const bus = await Bus.connect(nats.url, 't-s2-partial');
  const workers: PartitionWorker[] = [];
  try {
    await bus.ensureStreams();
    const leases = await bus.kv('t-s2p-leases', 3000);
    const alertsBefore = (await bus.streamCounts(CLUSTER.alertStream)).lastSeq; // the other test's
    const snaps = await bus.kv('t-s2p-snaps');
    // Each event is forwarded for both correlations (as stage 1 does).
    const publish = async (from: number, to: number): Promise<number> => {
      const items = [];
      for (let i = from; i < to; i++) {
        const e = failedLogonAt(i);
        for (const c of [SPRAY_ID, USERS_ID]) {
          const f: ForwardMessage = { c, s: 2000 + i, e };
          items.push({ subject: corrSubject(corrToken(c, [ip])), data: JSON.stringify(f), msgId: `p-${c}-${i}` });
        }
      }
      const r = await bus.publish(items);
      return Math.max(...r.map((x) => x.seq));
    };
    const own = (node: string, rules: Rule[], off: string[], last: number): Promise<PartitionWorker> => ownFor({ bus, leases, snaps, p, workers }, node, rules, off, last);
    // A runs the spray only (the user sweep switched off) over events 0..5.
    await own('A', spray, [USERS_ID], await publish(0, 6));
    // B loads both: the spray resumes from its state, the user sweep replays its own 6 events.
    const b = await own('B', stage2, [], await publish(6, 10));
    assert.equal(b.startMode, 'partial');
    // Reference: one detector over the same events (both correlations from the start).
    const ref = new Detector(stage2, { contextEvents: 0 });
    const want: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ev = parseStored(failedLogonAt(i), 2000 + i)!;
      ref.push(ev.se, ev.time!, false);
      for (const a of ref.takeAlerts()) want.push(a.id);
    }
    const alerts: { id: string; ruleId: string }[] = [];
    const n = (await bus.streamCounts(CLUSTER.alertStream)).lastSeq - alertsBefore;
    const r = await bus.orderedRead(CLUSTER.alertStream, CLUSTER.alertSubject, alertsBefore + 1, (m) => {
      alerts.push(JSON.parse(new TextDecoder().decode(m.data)) as { id: string; ruleId: string });
      return alerts.length < n;
    });
    await Promise.race([r.done, new Promise((res) => setTimeout(res, 5000))]);
    r.stop();
    assert.equal(alerts.filter((a) => a.ruleId === SPRAY_ID).length, 1, 'the spray alerts once (its state was not fed twice)');
    assert.equal(alerts.filter((a) => a.ruleId === USERS_ID).length, 2, 'the added user sweep sees the events before the snapshot (5 users twice)');
    assert.deepEqual(alerts.map((a) => a.id).sort(), want.sort(), 'exactly the alerts of one uninterrupted detector');
  } finally {
    for (const w of workers) if (!w.stopped) await w.stop('released');
    await bus.close();
  }
});

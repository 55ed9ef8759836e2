/**
 * A detector node (`spoor serve --role detect`): heartbeats in a TTL'd KV bucket, computes which
 * partitions it should own (rendezvous hashing over the live nodes, so a join or leave moves only
 * ~1/N of the partitions), and moves partitions with snapshot → release → take over. Leases bound
 * failover: a dead node's heartbeat and leases expire after the TTL, the survivors see it gone at
 * their next tick and `create` the freed leases.
 */
import type { Rule } from '../ir/types.js';
import { Bus, type Kv } from './nats.js';
import { Lease } from './lease.js';
import { PartitionWorker, type WorkerHooks, type PartitionSnapshot } from './worker.js';
import { CLUSTER, fnv1a32, leaseKey, nodeKey } from './subjects.js';

export interface DetectNodeOptions {
  natsUrl: string;
  nodeId: string;
  rules: Rule[];
  partitions?: number;
  leaseTtlMs?: number;
  snapshotIntervalMs?: number;
  /** Stream and bucket replicas when this node creates them (3 on a 3-server NATS cluster). */
  replicas?: number;
  hooks?: WorkerHooks;
  onLog?: (line: string) => void;
}

export interface DetectNode {
  nodeId: string;
  /** Partitions with a running worker. */
  owned(): number[];
  snapshots(): PartitionSnapshot[];
  /** Tests: stop renewing (simulates a stalled node); the workers must fence themselves. */
  suspendRenewals(on: boolean): void;
  /** Graceful leave: snapshot and release every partition. */
  close(): Promise<void>;
}

/** Rendezvous (highest random weight) owner of partition p among `nodes`. */
export function preferredOwner(p: number, nodes: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const n of nodes) {
    const s = fnv1a32(`${n}/${p}`);
    if (s > bestScore || (s === bestScore && best !== undefined && n < best)) {
      best = n;
      bestScore = s;
    }
  }
  return best;
}

export async function startDetectNode(o: DetectNodeOptions): Promise<DetectNode> {
  const partitions = o.partitions ?? CLUSTER.partitions;
  const ttl = o.leaseTtlMs ?? CLUSTER.leaseTtlMs;
  const snapEvery = o.snapshotIntervalMs ?? CLUSTER.snapshotIntervalMs;
  const log = o.onLog ?? (() => undefined);
  const bus = await Bus.connect(o.natsUrl, `spoor-detect-${o.nodeId}`);
  const replicas = o.replicas ?? 1;
  await bus.ensureStreams(replicas);
  const leases: Kv = await bus.kv(CLUSTER.leaseBucket, ttl, replicas);
  const nodes: Kv = await bus.kv(CLUSTER.nodeBucket, ttl, replicas);
  const snaps: Kv = await bus.kv(CLUSTER.snapshotBucket, undefined, replicas);
  const me = nodeKey(o.nodeId);
  const hooks: WorkerHooks = { ...o.hooks, onProblem: o.hooks?.onProblem ?? ((m: string) => log(m)) };
  const workers = new Map<number, PartitionWorker>();
  const moving = new Set<number>();
  let suspended = false;
  let closed = false;

  const heartbeat = async (): Promise<void> => {
    if (!suspended) await nodes.put(me, JSON.stringify({ id: o.nodeId, at: Date.now(), owned: workers.size }));
  };

  const renewAll = async (): Promise<void> => {
    if (suspended) return;
    await Promise.all(
      [...workers.values()].map(async (w) => {
        if (w.stopped) return;
        const ok = await w.lease.renew();
        if (!ok) log(`partition ${w.partition}: lease lost, fenced`);
      }),
    );
  };

  const takeOver = async (p: number): Promise<void> => {
    const lease = new Lease(leases, leaseKey(p), o.nodeId, ttl);
    if (!(await lease.acquire())) return;
    const w = new PartitionWorker(bus, snaps, p, lease, o.rules, o.nodeId, snapEvery, hooks);
    workers.set(p, w);
    try {
      await w.start();
      log(`partition ${p}: taken over at seq ${w.snapshot.replayFrom} (snapshot lastSeq ${w.lastSeq})`);
    } catch (e) {
      log(`partition ${p}: start failed: ${(e as Error).message}`);
      workers.delete(p);
      await lease.release();
    }
  };

  const release = async (p: number, reason: string): Promise<void> => {
    const w = workers.get(p);
    if (!w) return;
    await w.stop(reason);
    await w.lease.release();
    workers.delete(p);
    log(`partition ${p}: released (${reason}) at seq ${w.lastSeq}`);
  };

  let ticking = false;
  const tick = async (): Promise<void> => {
    if (ticking || closed) return;
    ticking = true;
    try {
      await heartbeat();
      await renewAll();
      // Workers that fenced themselves are gone; their lease is lost.
      for (const [p, w] of workers) {
        if (!w.stopped) continue;
        workers.delete(p);
        // A failed reader (not a lost lease): free the partition now so it restarts from its snapshot.
        if (w.stopReason === 'error') {
          log(`partition ${p}: worker failed, releasing`);
          await w.lease.release();
        }
      }
      if (suspended) return;
      for (const w of workers.values()) void w.tick().catch((e: Error) => log(`partition ${w.partition}: snapshot tick failed: ${e.message}`));
      const live = (await nodes.keys()).sort();
      if (!live.includes(me)) live.push(me);
      const jobs: Promise<void>[] = [];
      for (let p = 0; p < partitions; p++) {
        if (moving.has(p)) continue;
        const want = preferredOwner(p, live) === me;
        const have = workers.has(p);
        if (have && !want) jobs.push(wrap(p, () => release(p, 'rebalance')));
        else if (!have && want) jobs.push(wrap(p, () => takeOver(p)));
      }
      await Promise.all(jobs);
    } catch (e) {
      log(`tick failed: ${(e as Error).message}`);
    } finally {
      ticking = false;
    }
  };
  const wrap = async (p: number, fn: () => Promise<void>): Promise<void> => {
    moving.add(p);
    try {
      await fn();
    } finally {
      moving.delete(p);
    }
  };

  const every = Math.max(100, Math.floor(ttl / 4));
  const timer = setInterval(() => void tick(), every);
  await tick();

  return {
    nodeId: o.nodeId,
    owned: () => [...workers.entries()].filter(([, w]) => !w.stopped).map(([p]) => p).sort((a, b) => a - b),
    snapshots: () => [...workers.values()].map((w) => w.snapshot),
    suspendRenewals: (on) => {
      suspended = on;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      while (ticking) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([...workers.keys()].map((p) => release(p, 'shutdown')));
      await nodes.delete(me).catch(() => undefined);
      await bus.close();
    },
  };
}

/**
 * A detector node (`spoor serve --role detect`): heartbeats in a TTL'd KV bucket, computes which
 * partitions it should own (rendezvous hashing over the live nodes, so a join or leave moves only
 * ~1/N of the partitions), and moves partitions with snapshot → release → take over. Leases bound
 * failover: a dead node's heartbeat and leases expire after the TTL, the survivors see it gone at
 * their next tick and `create` the freed leases.
 */
import type { Rule } from '../ir/types.js';
import { Bus, type Kv, type NatsAuth } from './nats.js';
import { Lease } from './lease.js';
import { PartitionWorker, type WorkerHooks, type PartitionSnapshot, type WorkerRules } from './worker.js';
import { CorrRouter } from './corr.js';
import { ControlPlane, ControlWatch } from './control.js';
import { CLUSTER, fnv1a32, leaseKey, nodeKey, type Stage } from './subjects.js';

export interface DetectNodeOptions {
  natsUrl: string;
  natsAuth?: NatsAuth;
  nodeId: string;
  /** Stage-1 rules (run per host partition). */
  rules: Rule[];
  /**
   * Stage-2 correlations (not grouped by host; stages.ts). When any is given the node also leases
   * group-key partitions; every detector node must load the same rules.
   */
  corrRules?: Rule[];
  /** Event-time lateness of the per-host (stage 2: per-group) reorder buffer; default 5000 ms. */
  allowedLatenessMs?: number;
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
  /** Host partitions (stage 1) with a running worker. */
  owned(): number[];
  /** Group-key partitions (stage 2) with a running worker. */
  ownedGroups(): number[];
  snapshots(): PartitionSnapshot[];
  /** Events waiting in the workers' reorder buffers. */
  held(): number;
  /** Cluster-wide settings as this node applies them (control.ts). */
  control(): { disabled: string[]; intelHashes: number; rulesRunning: string[] };
  /** Tests: stop renewing (simulates a stalled node); the workers must fence themselves. */
  suspendRenewals(on: boolean): void;
  /** Graceful leave: snapshot and release every partition. */
  close(): Promise<void>;
}

/** Rendezvous (highest random weight) owner of partition p (stage 2: `c<p>`) among `nodes`. */
export function preferredOwner(p: number | string, nodes: string[]): string | undefined {
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

/** `p`, or a rejection after `ms`: a NATS call must never hold up the node's tick for long. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_r, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(t));
}

export async function startDetectNode(o: DetectNodeOptions): Promise<DetectNode> {
  const partitions = o.partitions ?? CLUSTER.partitions;
  const ttl = o.leaseTtlMs ?? CLUSTER.leaseTtlMs;
  const snapEvery = o.snapshotIntervalMs ?? CLUSTER.snapshotIntervalMs;
  const log = o.onLog ?? (() => undefined);
  const bus = await Bus.connect(o.natsUrl, `spoor-detect-${o.nodeId}`, o.natsAuth);
  const replicas = o.replicas ?? 1;
  await bus.ensureStreams(replicas);
  const leases: Kv = await bus.kv(CLUSTER.leaseBucket, ttl, replicas);
  const nodes: Kv = await bus.kv(CLUSTER.nodeBucket, ttl, replicas);
  const snaps: Kv = await bus.kv(CLUSTER.snapshotBucket, undefined, replicas);
  const me = nodeKey(o.nodeId);
  const hooks: WorkerHooks = { ...o.hooks, onProblem: o.hooks?.onProblem ?? ((m: string) => log(m)) };
  // Diagnostics for the fault suite (docs/scale-out.md "Tests"): stage-2 decisions and snapshots in the log.
  if (!hooks.onTrace && process.env.SPOOR_CLUSTER_TRACE) hooks.onTrace = (l) => log(`trace ${Date.now()} ${l}`);
  const lateness = o.allowedLatenessMs ?? 5000;
  const corrRules = o.corrRules ?? [];
  const router = corrRules.length > 0 ? new CorrRouter(corrRules, partitions) : null;
  for (const p of router?.problems ?? []) log(`rule ${p.ruleId}: ${p.message}`);
  const work: Record<Stage, WorkerRules> = {
    1: { rules: o.rules, router, allowedLatenessMs: lateness },
    2: { rules: corrRules, allowedLatenessMs: lateness, partitions },
  };
  // Rule switches and intel (control.ts): read before any partition is taken, so a rule switched
  // off never runs; then polled every tick.
  const plane = await ControlPlane.open(bus, replicas);
  const control = new ControlWatch(plane);
  await plane.publishCatalog([...o.rules, ...corrRules]).catch((e: Error) => log(`rule catalog not published: ${e.message}`));
  const applyControl = (changed: { rules: boolean; intel: boolean }): void => {
    if (changed.intel) {
      work[1].intel = work[2].intel = control.intel;
      log(`intel: ${control.intel ? `${control.intel.size} hashes` : 'none'} applied to new alerts`);
    }
    if (!changed.rules) return;
    const off = control.disabled;
    work[1].rules = off.size === 0 ? o.rules : o.rules.filter((r) => !off.has(r.id));
    const corrOn = off.size === 0 ? corrRules : corrRules.filter((r) => !off.has(r.id));
    work[1].router = corrOn.length === 0 ? null : corrOn.length === corrRules.length ? router : new CorrRouter(corrOn, partitions);
    work[2].rules = corrOn;
    work[2].off = new Set(corrRules.filter((r) => off.has(r.id)).map((r) => r.id));
    for (const w of workers.values()) void w.setRules().catch((e: Error) => log(`${label(w)}: rule change failed: ${e.message}`));
    log(`rules: ${work[1].rules.length + corrOn.length} running, ${o.rules.length + corrRules.length - work[1].rules.length - corrOn.length} switched off`);
  };
  let polling = false;
  const pollControl = async (): Promise<void> => {
    if (polling || closed) return;
    polling = true;
    try {
      applyControl(await withTimeout(control.poll(), Math.max(2000, ttl), 'reading rule switches and intel'));
    } catch (e) {
      log(`control poll failed (${(e as Error).message}); keeping the current settings`);
    } finally {
      polling = false;
    }
  };
  /** Work units: `p<N>` host partitions, `c<N>` group-key partitions (only with stage-2 rules). */
  const units: { key: string; p: number; stage: Stage }[] = [];
  for (let p = 0; p < partitions; p++) units.push({ key: leaseKey(p, 1), p, stage: 1 });
  if (corrRules.length > 0) for (let p = 0; p < partitions; p++) units.push({ key: leaseKey(p, 2), p, stage: 2 });
  const workers = new Map<string, PartitionWorker>();
  const moving = new Set<string>();
  let suspended = false;
  let closed = false;

  const heartbeat = async (): Promise<void> => {
    if (!suspended) await nodes.put(me, JSON.stringify({ id: o.nodeId, at: Date.now(), owned: workers.size }));
  };

  const label = (w: PartitionWorker): string => `${w.stage === 1 ? 'partition' : 'group partition'} ${w.partition}`;

  const renewAll = async (): Promise<void> => {
    if (suspended) return;
    await Promise.all(
      [...workers.values()].map(async (w) => {
        if (w.stopped) return;
        const ok = await w.lease.renew();
        if (!ok) {
          // Stop at once: its message chain may be waiting on a NATS call that times out much
          // later, and the partition must be free for a new owner (this node or another).
          w.fence();
          log(`${label(w)}: lease lost, fenced`);
        }
      }),
    );
  };

  const takeOver = async (u: { key: string; p: number; stage: Stage }): Promise<void> => {
    const lease = new Lease(leases, u.key, o.nodeId, ttl);
    if (!(await lease.acquire())) return;
    const w = new PartitionWorker(bus, snaps, u.p, lease, work[u.stage], o.nodeId, snapEvery, hooks, u.stage);
    workers.set(u.key, w);
    try {
      await w.start();
      log(`${label(w)}: taken over at seq ${w.startSeq} (${w.startMode === 'resumed' ? 'engine state loaded' : w.startMode === 'partial' ? 'engine state loaded, changed correlations replayed' : w.startMode === 'replay' ? 'replaying to rebuild state' : 'no snapshot'}; snapshot lastSeq ${w.lastSeq})`);
    } catch (e) {
      log(`${label(w)}: start failed: ${(e as Error).message}`);
      workers.delete(u.key);
      await lease.release();
    }
  };

  const release = async (key: string, reason: string): Promise<void> => {
    const w = workers.get(key);
    if (!w) return;
    await w.stop(reason);
    await w.lease.release();
    workers.delete(key);
    log(`${label(w)}: released (${reason}) at seq ${w.lastSeq}`);
  };

  // Heartbeat and lease renewals run on their own timer: a slow rebalance (many take-overs at
  // once on a loaded machine) must never delay renewals past the lease's validity, or the node
  // would fence its own healthy partitions and the churn would feed itself.
  let renewing = false;
  const renewTick = async (): Promise<void> => {
    if (renewing || closed) return;
    renewing = true;
    try {
      // Independent: a failed heartbeat (its bucket re-electing a leader) must not skip renewals.
      await Promise.all([
        heartbeat().catch((e: Error) => log(`heartbeat failed: ${e.message}`)),
        renewAll().catch((e: Error) => log(`renewal failed: ${e.message}`)),
      ]);
    } finally {
      renewing = false;
    }
  };

  let lastLive: string[] = [];
  let ticking = false;
  const tick = async (): Promise<void> => {
    if (ticking || closed) return;
    ticking = true;
    try {
      // Workers that fenced themselves are gone; their lease is lost.
      for (const [k, w] of workers) {
        if (!w.stopped) continue;
        workers.delete(k);
        // A failed reader or publish (not a lost lease): free the partition now so it restarts from its snapshot.
        if (w.stopReason === 'error') {
          log(`${label(w)}: worker failed, releasing`);
          // Not awaited: a NATS cluster re-electing must not hold up the rebalance.
          void w.lease.release();
        }
      }
      if (suspended) return;
      for (const w of workers.values()) void w.tick().catch((e: Error) => log(`${label(w)}: tick failed: ${e.message}`));
      let live: string[];
      try {
        live = (await withTimeout(nodes.keys(), Math.max(1000, ttl / 2), 'listing live nodes')).sort();
        lastLive = live;
      } catch (e) {
        // Listing needs a consumer on the bucket's stream, which can time out while a NATS
        // cluster re-elects; keep moving partitions by the last list seen meanwhile.
        log(`listing live nodes failed (${(e as Error).message}); using the last list`);
        live = [...lastLive];
      }
      if (!live.includes(me)) live.push(me);
      const jobs: Promise<void>[] = [];
      for (const u of units) {
        if (moving.has(u.key)) continue;
        const want = preferredOwner(u.stage === 1 ? u.p : u.key, live) === me;
        const have = workers.has(u.key);
        if (have && !want) jobs.push(wrap(u.key, () => release(u.key, 'rebalance')));
        else if (!have && want) jobs.push(wrap(u.key, () => takeOver(u)));
      }
      await Promise.all(jobs);
    } catch (e) {
      log(`tick failed: ${(e as Error).message}`);
    } finally {
      ticking = false;
    }
  };
  const wrap = async (key: string, fn: () => Promise<void>): Promise<void> => {
    moving.add(key);
    try {
      await fn();
    } finally {
      moving.delete(key);
    }
  };

  const every = Math.max(100, Math.floor(ttl / 4));
  await pollControl();
  const renewTimer = setInterval(() => void renewTick(), every);
  const timer = setInterval(() => void tick(), every);
  const controlTimer = setInterval(() => void pollControl(), every);
  await renewTick();
  await tick();

  return {
    nodeId: o.nodeId,
    owned: () => [...workers.values()].filter((w) => !w.stopped && w.stage === 1).map((w) => w.partition).sort((a, b) => a - b),
    ownedGroups: () => [...workers.values()].filter((w) => !w.stopped && w.stage === 2).map((w) => w.partition).sort((a, b) => a - b),
    snapshots: () => [...workers.values()].map((w) => w.snapshot),
    held: () => [...workers.values()].reduce((n, w) => n + w.held, 0),
    control: () => ({
      disabled: [...control.disabled].sort(),
      intelHashes: control.intel?.size ?? 0,
      rulesRunning: [...new Set([...workers.values()].filter((w) => !w.stopped).flatMap((w) => w.ruleIds()))].sort(),
    }),
    suspendRenewals: (on) => {
      suspended = on;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      clearInterval(renewTimer);
      clearInterval(controlTimer);
      while (ticking || renewing || polling) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([...workers.keys()].map((p) => release(p, 'shutdown')));
      await nodes.delete(me).catch(() => undefined);
      await bus.close();
    },
  };
}

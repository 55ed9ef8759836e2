/**
 * One owned partition: an ordered read of `spoor.ev.*.<p>` from the snapshot's replay point,
 * through a Detector (hunt/detector.ts, the loop serve and hunt run), alerts published with their
 * deterministic id as Nats-Msg-Id, snapshots written with compare-and-set.
 *
 * Snapshot (docs/scale-out.md "Snapshots"): the engine's state lives in compiled closures, so, as
 * in serve's checkpoints, it is not serialized; a snapshot records `lastSeq` (last stream seq
 * processed), `replayFrom` (the oldest seq any live detection state may still reference: per host,
 * the first event inside the rules' longest window behind that host's newest event) and the
 * per-partition accounting. A new owner replays from `replayFrom`; alerts found again carry the
 * same id and are dropped by JetStream's duplicate window and by the alert store (insert-or-ignore).
 * Events with seq ≤ lastSeq only rebuild state; they are not counted again.
 *
 * Fencing: every message is processed only while the lease is valid (lease.ts), alerts are
 * published only under a valid lease, and a snapshot write is a CAS on the revision this owner
 * read or wrote: a stale owner's write fails and it stops.
 */
import type { Rule } from '../ir/types.js';
import type { Alert } from '../alert/types.js';
import type { Instant } from '../events/timestamp.js';
import { Detector } from '../hunt/detector.js';
import { longestWindowNs } from '../hunt/load-rules.js';
import { parseStored } from '../serve/ingest-parse.js';
import type { Bus, Kv, Reader, BusMessage } from './nats.js';
import type { Lease } from './lease.js';
import { CLUSTER, partitionFilter, snapshotKey } from './subjects.js';

export interface PartitionSnapshot {
  v: 1;
  partition: number;
  lastSeq: number;
  replayFrom: number;
  /** Events with seq > the previous snapshot's lastSeq processed so far (accounting). */
  processed: number;
  unreadable: number;
  alertsPublished: number;
  node: string;
  savedMs: number;
}

export interface WorkerHooks {
  /** Every message taken (tests: fencing and sequence accounting). */
  onEvent?: (partition: number, seq: number, node: string, replay: boolean) => void;
  onProblem?: (message: string) => void;
}

const dec = new TextDecoder();

interface HostWindow {
  frontierMs: number;
  buckets: { sec: number; minSeq: number }[];
}

export class PartitionWorker {
  private detector: Detector;
  private readonly windowMs: number;
  private snap: PartitionSnapshot;
  private snapRevision = 0;
  private reader: Reader | null = null;
  private lastSaved = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly hosts = new Map<string, HostWindow>();
  private readonly lastTime = new Map<string, Instant>();
  private dirty = false;
  stopped = false;
  /** Why it stopped: 'released', 'fenced', 'error'. */
  stopReason = '';

  constructor(
    private readonly bus: Bus,
    private readonly snapKv: Kv,
    readonly partition: number,
    readonly lease: Lease,
    rules: Rule[],
    private readonly node: string,
    private readonly snapshotIntervalMs: number,
    private readonly hooks: WorkerHooks = {},
  ) {
    this.detector = new Detector(rules, { contextEvents: 0 });
    this.windowMs = longestWindowNs(rules) / 1e6;
    this.snap = { v: 1, partition, lastSeq: 0, replayFrom: 1, processed: 0, unreadable: 0, alertsPublished: 0, node, savedMs: 0 };
  }

  get lastSeq(): number {
    return this.snap.lastSeq;
  }

  get snapshot(): PartitionSnapshot {
    return { ...this.snap };
  }

  /** Load the snapshot and start reading from its replay point. */
  async start(): Promise<void> {
    const got = await this.snapKv.get(snapshotKey(this.partition));
    if (got) {
      const s = JSON.parse(got.value) as PartitionSnapshot;
      this.snap = { ...s, node: this.node };
      this.snapRevision = got.revision;
    }
    this.lastSaved = Date.now();
    if (!this.lease.valid()) return this.halt('fenced');
    this.reader = await this.bus.orderedRead(CLUSTER.eventStream, partitionFilter(this.partition), this.snap.replayFrom, (m) => this.serial(() => this.onMessage(m)));
    const reader = this.reader;
    void reader.done.then(() => {
      if (this.stopped) return;
      const err = reader.error();
      if (err) this.hooks.onProblem?.(`partition ${this.partition}: reader failed: ${err.message}`);
      this.halt(this.lease.valid() ? 'error' : 'fenced');
    });
  }

  /** Run `fn` after everything queued before it (messages and snapshot writes never interleave). */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private halt(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopReason = reason;
    this.reader?.stop();
  }

  private async onMessage(m: BusMessage): Promise<boolean> {
    if (this.stopped) return false;
    if (!this.lease.valid()) {
      this.halt('fenced');
      return false;
    }
    const replay = m.seq <= this.snap.lastSeq;
    this.hooks.onEvent?.(this.partition, m.seq, this.node, replay);
    const ev = parseStored(dec.decode(m.data), m.seq);
    if (!ev) {
      if (!replay) this.snap.unreadable++;
      this.hooks.onProblem?.(`partition ${this.partition}: event seq ${m.seq} unreadable, skipped`);
    } else {
      let time = ev.time;
      if (!time) time = this.lastTime.get(ev.host) ?? { ms: Date.now(), ns: 0 };
      else this.lastTime.set(ev.host, time);
      try {
        this.detector.push(ev.se, time, false);
      } catch (e) {
        this.hooks.onProblem?.(`partition ${this.partition}: detection failed on seq ${m.seq}: ${(e as Error).message}`);
      }
      if (this.windowMs > 0) this.noteWindow(ev.host, time.ms, m.seq);
      const alerts = this.detector.takeAlerts();
      if (alerts.length > 0) {
        if (!this.lease.valid()) {
          this.halt('fenced');
          return false;
        }
        await this.publishAlerts(alerts);
      }
    }
    if (!replay) {
      this.snap.processed++;
      this.snap.lastSeq = m.seq;
    }
    this.dirty = true;
    if (Date.now() - this.lastSaved >= this.snapshotIntervalMs) await this.saveSnapshot();
    return !this.stopped;
  }

  private async publishAlerts(alerts: Alert[]): Promise<void> {
    const items = alerts.map((a) => ({
      subject: CLUSTER.alertSubject,
      msgId: a.id,
      data: JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    }));
    const r = await this.bus.publish(items);
    for (const x of r) if (!x.duplicate) this.snap.alertsPublished++;
  }

  private noteWindow(host: string, ms: number, seq: number): void {
    let w = this.hosts.get(host);
    if (!w) {
      w = { frontierMs: ms, buckets: [] };
      this.hosts.set(host, w);
    }
    if (ms > w.frontierMs) w.frontierMs = ms;
    const sec = Math.floor(ms / 1000);
    const last = w.buckets[w.buckets.length - 1];
    if (!last || sec > last.sec) w.buckets.push({ sec, minSeq: seq });
    else {
      let i = w.buckets.length - 1;
      while (i > 0 && w.buckets[i - 1]!.sec >= sec) i--;
      if (w.buckets[i]!.sec > sec) w.buckets.splice(i, 0, { sec, minSeq: seq });
      else if (seq < w.buckets[i]!.minSeq) w.buckets[i]!.minSeq = seq;
    }
  }

  /** The oldest seq a new owner must replay from. */
  private replayFrom(): number {
    let m = this.snap.lastSeq + 1;
    if (this.windowMs <= 0) return m;
    const keep = this.windowMs + 1000;
    let newest = -Infinity;
    for (const w of this.hosts.values()) if (w.frontierMs > newest) newest = w.frontierMs;
    for (const [host, w] of this.hosts) {
      const cut = Math.floor((w.frontierMs - keep) / 1000);
      let drop = 0;
      while (drop < w.buckets.length && w.buckets[drop]!.sec < cut) drop++;
      if (drop > 0) w.buckets.splice(0, drop);
      // A host silent for far longer than the window holds no state worth a replay.
      if (w.buckets.length === 0 || w.frontierMs < newest - keep - 10 * 60_000) {
        this.hosts.delete(host);
        continue;
      }
      for (const b of w.buckets) if (b.minSeq < m) m = b.minSeq;
    }
    return Math.max(1, m);
  }

  /** Write the snapshot (CAS on our last revision). A failed CAS fences this worker. */
  async saveSnapshot(): Promise<boolean> {
    if (!this.lease.valid()) {
      this.halt('fenced');
      return false;
    }
    this.snap.replayFrom = this.replayFrom();
    this.snap.savedMs = Date.now();
    const text = JSON.stringify(this.snap);
    try {
      this.snapRevision = this.snapRevision === 0 ? await this.snapKv.create(snapshotKey(this.partition), text) : await this.snapKv.update(snapshotKey(this.partition), text, this.snapRevision);
    } catch (e) {
      this.hooks.onProblem?.(`partition ${this.partition}: snapshot write refused (${(e as Error).message}): fenced`);
      this.halt('fenced');
      return false;
    }
    this.lastSaved = Date.now();
    this.dirty = false;
    return true;
  }

  /** Periodic: save when something changed and the interval passed (also when idle). */
  tick(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      if (!this.lease.valid()) return this.halt('fenced');
      if (this.dirty && Date.now() - this.lastSaved >= this.snapshotIntervalMs) await this.saveSnapshot();
    });
  }

  /** Hand-over: stop reading, write a final snapshot (still under the lease). */
  async stop(reason: string): Promise<void> {
    this.reader?.stop();
    await this.serial(async () => {
      if (!this.stopped && this.lease.valid()) await this.saveSnapshot();
      this.halt(reason);
    });
  }
}

/**
 * One owned partition: an ordered read of `spoor.ev.*.<p>` from the snapshot's replay point,
 * through a Detector (hunt/detector.ts, the loop serve and hunt run), alerts published with their
 * deterministic id as Nats-Msg-Id, snapshots written with compare-and-set.
 *
 * Snapshot (docs/scale-out.md "Snapshots"): a snapshot records `lastSeq` (last stream seq
 * processed), the detection engine's state (Detector.exportState, engine/snapshot.ts: sequence
 * partials, correlation windows, the events they hold) with `resumeFrom` and `held` (the seqs
 * still in the reorder buffer, not yet detected), stage 2's seen set, and the per-partition
 * accounting. The engine state is written in chunks under `<key>.e<gen>.<n>` before the CAS on the
 * snapshot key commits them (a fenced writer's chunks are never referenced). A new owner whose rule
 * set is the one of the snapshot loads the state and reads from `resumeFrom`: of the events up to
 * `lastSeq` it re-buffers only the `held` ones. Otherwise (no engine state, a rule changed, state
 * unreadable) it starts empty and replays from `replayFrom` (the oldest seq any live detection
 * state may still reference: per host, the first event inside the rules' longest window behind
 * that host's newest event); events with seq ≤ lastSeq then only rebuild state and are not counted
 * again. Alerts found again carry the same id and are dropped by JetStream's duplicate window and
 * by the alert store (insert-or-ignore).
 *
 * Fencing: every message is processed only while the lease is valid (lease.ts), alerts are
 * published only under a valid lease, and a snapshot write is a CAS on the revision this owner
 * read or wrote: a stale owner's write fails and it stops.
 *
 * Order: events pass serve's per-host reorder buffer (serve/reorder.ts) and reach the rules in
 * time order behind a watermark (newest time of the key − allowed lateness, or the key idle that
 * long in wall time); later ones are evaluated at once and counted (`late`). The held events keep
 * `replayFrom` back (their seqs), as in serve's checkpoints.
 *
 * Two stages share this worker (docs/scale-out.md "Stages"):
 *  - stage 1, host partitions of `SPOOR_EVENTS`: stage-1 rules; events matching a base rule of a
 *    stage-2 correlation are forwarded by group key (corr.ts);
 *  - stage 2, group-key partitions of `SPOOR_CORR`: each forwarded event goes to its
 *    correlation's own Detector; the reorder/replay key is the group token; (correlation, stage-1
 *    seq) pairs already seen are dropped (`duplicates`), so a re-forward outside JetStream's
 *    duplicate window is not counted twice.
 */
import type { Rule } from '../ir/types.js';
import type { Alert } from '../alert/types.js';
import type { Instant } from '../events/timestamp.js';
import { Detector } from '../hunt/detector.js';
import type { DetectorState } from '../engine/snapshot.js';
import { applyIntel } from '../alert/intel.js';
import type { HashIndex } from '../intel/index.js';
import { longestWindowNs } from '../hunt/load-rules.js';
import { parseStored, type IngestedEvent } from '../serve/ingest-parse.js';
import { ReorderBuffer, WATERMARK_LIVE_MS, type OrderItem } from '../serve/reorder.js';
import { ReplayWindows, type WindowsJson } from './replay-window.js';
import type { Bus, Kv, Reader, BusMessage } from './nats.js';
import type { Lease } from './lease.js';
import { CLUSTER, corrFilter, partitionFilter, partitionOf, snapshotKey, type Stage } from './subjects.js';
import { corrToken, type CorrRouter, type Forward, type ForwardMessage } from './corr.js';

/** Releases between two low-watermark updates of the detectors (see Worker.noteWatermark). */
const WATERMARK_EVERY = 1024;

export interface PartitionSnapshot {
  /** 2: may carry engine state (`engine`); 1: replay only. */
  v: 1 | 2;
  partition: number;
  /** 2 for a group-key partition (absent: 1). */
  stage?: Stage;
  lastSeq: number;
  replayFrom: number;
  /** Events with seq > the previous snapshot's lastSeq processed so far (accounting). */
  processed: number;
  unreadable: number;
  alertsPublished: number;
  /** Events older than what their host (stage 2: group) had already released (evaluated anyway). */
  late?: number;
  /** Stage 1: matches forwarded to stage 2. Stage 2: forwarded events dropped as already seen. */
  forwarded?: number;
  duplicates?: number;
  node: string;
  savedMs: number;
  /** Where an owner that loaded `engine` resumes reading (≤ lastSeq + 1: the oldest held seq). */
  resumeFrom?: number;
  /** Seqs ≤ lastSeq still in the reorder buffer at the snapshot (re-buffered on resume, not re-counted). */
  held?: number[];
  /** The engine state's chunks (KV keys `<key>.e<gen>.<0..chunks-1>`) and its size in characters. */
  engine?: { gen: string; chunks: number; chars: number };
  /** Stage 2: (correlation, stage-1 seq) pairs seen, with event time ms (duplicate drop). */
  seen?: [string, number][];
  /**
   * With `engine`: the replay windows (replay-window.ts) the engine state's events came from, so
   * an owner resuming from it still records the right `replayFrom` for a later owner that must
   * replay (rule change, engine state unreadable or not written).
   */
  windows?: WindowsJson;
  /** With `engine`: the reorder buffer's live keys `[key, released ms, ns, last arrival wall ms]` (ReorderBuffer.exportKeys). */
  order?: [string, number, number, number][];
}

/** What the engine chunks hold (JSON). */
interface EngineBlob {
  stage1?: DetectorState;
  stage2?: Record<string, DetectorState>;
}

/** Characters per KV chunk: ≤ 768 kB of UTF-8 whatever the text, under NATS's 1 MB default payload. */
const CHUNK_CHARS = 256 * 1024;

const chunkKey = (key: string, gen: string, i: number): string => `${key}.e${gen}.${i}`;

export interface WorkerHooks {
  /** Every message taken (tests: fencing and sequence accounting). */
  onEvent?: (partition: number, seq: number, node: string, replay: boolean, stage: Stage) => void;
  onProblem?: (message: string) => void;
  /**
   * Diagnostics (node.ts sets it when SPOOR_CLUSTER_TRACE is set): one line per stage-2 message
   * and decision, per stage-1 forward, per snapshot write, so a run's logs explain a missed alert.
   */
  onTrace?: (line: string) => void;
}

export interface WorkerRules {
  /** Stage 1: the rules run per host partition. Stage 2: the stage-2 correlations. */
  rules: Rule[];
  /** Stage 1: forwards base-rule matches of stage-2 correlations (null: none loaded). */
  router?: CorrRouter | null;
  /** Event-time lateness of the reorder buffer (ms). */
  allowedLatenessMs: number;
  /** Stage 2: correlations loaded but switched off (their forwarded events are skipped quietly). */
  off?: ReadonlySet<string>;
  /** Stage 2: the partition count group tokens are spread over (CLUSTER.partitions). */
  partitions?: number;
  /** Threat-intel index alerts are enriched from before publishing (control.ts); null: none. */
  intel?: HashIndex | null;
}

const dec = new TextDecoder();

interface Item extends OrderItem {
  ev: IngestedEvent;
  replay: boolean;
  /** Stage 2: the correlation the event was forwarded for. */
  corr?: string;
}

/** The engine state could not be read for now (NATS timeout): the takeover is retried, not replayed. */
class TransientLoadError extends Error {}

/** A KV compare-and-set refusal (JetStream error 10071, "wrong last sequence"). */
export function isCasRefusal(e: unknown): boolean {
  return /wrong last sequence|10071|key exists/i.test(e instanceof Error ? e.message : String(e));
}

export class PartitionWorker {
  /** Stage 1: one Detector; stage 2: one per correlation (an event only reaches the one it was forwarded for). */
  private detector: Detector | null = null;
  private readonly corrDetectors = new Map<string, Detector>();
  private windowMs: number;
  private keepMs: number;
  private snap: PartitionSnapshot;
  private snapRevision = 0;
  private reader: Reader | null = null;
  private lastSaved = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly windows: ReplayWindows;
  /**
   * Wall time a silent key still counts as live (low watermark, replay window, snapshot keys).
   * Stage 1: a host silent 10 min is gone (WATERMARK_LIVE_MS). Stage 2: a key is one correlation
   * group, fed by many hosts' partitions that lag each other — under load a group's events reach
   * its partition tens of minutes apart in wall time — so it stays live as long as a re-forward is
   * still de-duplicated by SPOOR_CORR (1 h).
   */
  private readonly liveMs: number;
  private readonly reorder: ReorderBuffer<Item>;
  private pendingAlerts: Alert[] = [];
  private pendingForwards: Forward[] = [];
  /** Stage 2: (correlation, stage-1 seq) → event time ms, pruned with the replay window. */
  private readonly seen = new Map<string, number>();
  private dirty = false;
  /** Seqs added to the reorder buffer and not yet released to detection. */
  private readonly heldSeqs = new Set<number>();
  /** Released events since the detectors' low watermark was last set (noteWatermark); starts due. */
  private sinceWatermark = WATERMARK_EVERY;
  /** Resumed from engine state: the seqs ≤ lastSeq to re-buffer (others were detected before the snapshot). */
  private rebuffer: Set<number> | null = null;
  /** How this owner started: 'resumed' (engine state loaded), 'replay' (from replayFrom), 'empty'. */
  startMode: 'resumed' | 'partial' | 'replay' | 'empty' = 'empty';
  /**
   * Stage 2, resumed with some correlations added or changed since the snapshot ('partial'): their
   * events ≤ lastSeq are replayed into their fresh detectors (the others' are in the state already).
   */
  private replayOnly: Set<string> | null = null;
  /** (correlation, stage-1 seq) pairs replayed in a partial replay (its own duplicate drop: `seen` holds them all already). */
  private readonly replaySeen = new Set<string>();
  /** The engine state text last written (see writeEngine). */
  private lastEngineText = '';
  /** The stream seq this owner started reading at. */
  startSeq = 1;
  stopped = false;
  /** Why it stopped: 'released', 'fenced', 'error'. */
  stopReason = '';

  constructor(
    private readonly bus: Bus,
    private readonly snapKv: Kv,
    readonly partition: number,
    readonly lease: Lease,
    private readonly work: WorkerRules,
    private readonly node: string,
    private readonly snapshotIntervalMs: number,
    private readonly hooks: WorkerHooks = {},
    readonly stage: Stage = 1,
  ) {
    this.windowMs = 0;
    this.keepMs = 0;
    this.liveMs = Math.max(work.allowedLatenessMs, stage === 2 ? CLUSTER.corrDuplicateWindowMs : WATERMARK_LIVE_MS);
    this.windows = new ReplayWindows(this.liveMs);
    this.freshDetectors();
    this.setWindow();
    this.reorder = new ReorderBuffer<Item>(work.allowedLatenessMs, (it, late) => this.feed(it, late));
    this.snap = { v: 2, partition, lastSeq: 0, replayFrom: 1, processed: 0, unreadable: 0, alertsPublished: 0, late: 0, forwarded: 0, duplicates: 0, node, savedMs: 0 };
    if (stage === 2) this.snap.stage = 2;
  }

  private setWindow(): void {
    this.windowMs = longestWindowNs(this.work.rules) / 1e6;
    // Stage 2 keeps two windows: a group that fired (and was cleared) within the last window is
    // rebuilt the same way on replay (docs/scale-out.md "Snapshots").
    this.keepMs = (this.stage === 2 ? 2 * this.windowMs : this.windowMs) + this.work.allowedLatenessMs + 1000;
  }

  /**
   * The node's rule set changed (rules switched on/off, control.ts): new detectors for
   * `work.rules`; rules still on keep their state (Detector.adoptState, as serve's reload), rules
   * switched off drop theirs, rules switched on start empty. Runs between two messages.
   */
  setRules(): Promise<void> {
    return this.serial(() => {
      if (this.stage === 1) {
        const next = new Detector(this.work.rules, { contextEvents: 0 });
        if (this.detector) next.adoptState(this.detector);
        this.detector = next;
      } else {
        const want = new Set(this.work.rules.map((r) => r.id));
        for (const id of [...this.corrDetectors.keys()]) if (!want.has(id)) this.corrDetectors.delete(id);
        for (const r of this.work.rules) if (!this.corrDetectors.has(r.id)) this.corrDetectors.set(r.id, this.corrDetector(r));
      }
      this.setWindow();
      this.sinceWatermark = WATERMARK_EVERY; // new detectors get the watermark before their first event
    });
  }

  /**
   * Events reach the detectors in time order per key (host; group in stage 2), not across keys:
   * tell them the reorder buffer's low watermark so correlations never sweep a group a lagging
   * key can still add to (reorder.ts lowWatermark). O(keys): once per WATERMARK_EVERY releases,
   * well within the correlations' sweep interval (a stale watermark is only lower: safe).
   */
  private noteWatermark(): void {
    this.sinceWatermark = 0;
    const wm = this.reorder.lowWatermark(Date.now(), this.liveMs);
    this.detector?.setWatermark(wm);
    for (const d of this.corrDetectors.values()) d.setWatermark(wm);
  }

  /**
   * Stage 2: a correlation's detector that raises only the groups whose key this partition owns.
   * An event matching two base rules whose group-by fields give different keys is forwarded to
   * both keys' partitions (corr.ts); each partition's detector counts it for both groups, so a
   * group not owned here holds only the events that also carried an owned key — a partial count
   * whose alert would be wrong. The group's own partition has every event of the group (each is
   * forwarded there), so its count is exact; alerts of foreign groups are dropped (`foreign`).
   */
  private corrDetector(r: Rule): Detector {
    const parts = this.work.partitions ?? CLUSTER.partitions;
    return new Detector([r], {
      contextEvents: 0,
      acceptMatch: (rule, m) => {
        if (partitionOf(corrToken(rule.id, m.keys ?? []), parts) === this.partition) return true;
        this.foreign++;
        this.trace?.(`s2 foreign rule=${rule.id} keys=${JSON.stringify(m.keys ?? [])}`);
        return false;
      },
    });
  }

  /** Diagnostics line (hooks.onTrace) prefixed with node and partition; null when not tracing. */
  private get trace(): ((line: string) => void) | null {
    const t = this.hooks.onTrace;
    return t ? (line) => t(`${this.stage === 1 ? 'p' : 'c'}${this.partition} ${line}`) : null;
  }

  /** Stage 2: alerts of groups owned by another partition, dropped (partial counts; see corrDetector). */
  foreign = 0;

  /** Rule ids with a live detector here (tests: a rule switched off holds nothing). */
  ruleIds(): string[] {
    if (this.stage === 1) return this.work.rules.map((r) => r.id);
    return [...this.corrDetectors.keys()];
  }

  get lastSeq(): number {
    return this.snap.lastSeq;
  }

  get snapshot(): PartitionSnapshot {
    return { ...this.snap };
  }

  /** Load the snapshot and start reading from its replay point. */
  async start(): Promise<void> {
    const got = await this.snapKv.get(snapshotKey(this.partition, this.stage));
    let from = 1;
    if (got) {
      const s = JSON.parse(got.value) as PartitionSnapshot;
      this.snap = { late: 0, forwarded: 0, duplicates: 0, ...s, v: 2, node: this.node };
      this.snapRevision = got.revision;
      from = this.snap.replayFrom;
      this.startMode = 'replay';
      if (s.engine && s.resumeFrom !== undefined && (await this.loadEngine(s))) {
        from = s.resumeFrom;
        this.rebuffer = new Set(s.held ?? []);
        this.startMode = 'resumed';
        if (this.replayOnly) {
          from = Math.min(from, s.replayFrom);
          this.startMode = 'partial';
        }
      }
    }
    this.startSeq = from;
    this.lastSaved = Date.now();
    if (!this.lease.valid()) return this.halt('fenced');
    const stream = this.stage === 1 ? CLUSTER.eventStream : CLUSTER.corrStream;
    const filter = this.stage === 1 ? partitionFilter(this.partition) : corrFilter(this.partition);
    this.reader = await this.bus.orderedRead(stream, filter, from, (m) => this.serial(() => this.onMessage(m)), {
      onProblem: (msg) => this.hooks.onProblem?.(`${this.name}: ${msg}`),
    });
    const reader = this.reader;
    void reader.done.then(() => {
      if (this.stopped) return;
      const err = reader.error();
      if (err) this.hooks.onProblem?.(`${this.name}: reader failed: ${err.message}`);
      this.halt(this.lease.valid() ? 'error' : 'fenced');
    });
  }

  private get name(): string {
    return `${this.stage === 1 ? 'partition' : 'group partition'} ${this.partition}`;
  }

  /** Run `fn` after everything queued before it (messages and snapshot writes never interleave). */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** The lease is lost: stop now, without waiting for queued messages (their NATS calls may hang). */
  fence(): void {
    this.halt('fenced');
  }

  private halt(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopReason = reason;
    this.reader?.stop();
  }

  /** The message → the event (and its key); null when unreadable. */
  private decode(m: BusMessage, replay: boolean): Item | null {
    const text = dec.decode(m.data);
    if (this.stage === 1) {
      const ev = parseStored(text, m.seq);
      return ev ? this.item(m.seq, ev.host, ev, replay) : null;
    }
    let f: ForwardMessage;
    try {
      f = JSON.parse(text) as ForwardMessage;
    } catch {
      return null;
    }
    if (typeof f.c !== 'string' || typeof f.s !== 'number' || typeof f.e !== 'string') return null;
    const ev = parseStored(f.e, f.s);
    if (!ev) return null;
    const key = m.subject.slice(CLUSTER.corrPrefix.length + 1, m.subject.lastIndexOf('.'));
    const it = this.item(m.seq, key, ev, replay);
    it.corr = f.c;
    return it;
  }

  private item(seq: number, key: string, ev: IngestedEvent, replay: boolean): Item {
    const time: Instant = ev.time ?? this.reorder.lastTime(key) ?? { ms: Date.now(), ns: 0 };
    return { seq, host: key, time, ev, replay };
  }

  private async onMessage(m: BusMessage): Promise<boolean> {
    if (this.stopped) return false;
    if (!this.lease.valid()) {
      this.halt('fenced');
      return false;
    }
    const replay = m.seq <= this.snap.lastSeq;
    this.hooks.onEvent?.(this.partition, m.seq, this.node, replay, this.stage);
    // Resumed from engine state: events detected before the snapshot are in that state already.
    if (replay && this.rebuffer !== null && !this.rebuffer.has(m.seq)) {
      if (this.replayOnly) this.replayPartial(m);
      else if (this.trace && this.stage === 2) this.trace(`s2 msg seq=${m.seq} replay=1 skip=in-state`);
      return !this.stopped;
    }
    const it = this.decode(m, replay);
    if (!it) {
      if (!replay) this.snap.unreadable++;
      this.hooks.onProblem?.(`${this.name}: message seq ${m.seq} unreadable, skipped`);
    } else if (it.corr !== undefined && !(replay && this.rebuffer !== null) && this.isDuplicate(it)) {
      if (!replay) this.snap.duplicates = (this.snap.duplicates ?? 0) + 1;
      if (this.trace) this.trace(`s2 msg seq=${m.seq} replay=${+replay} dup corr=${it.corr} key=${it.host} s1=${it.ev.se.position ?? ''} t=${it.time.ms}`);
    } else {
      if (this.trace && this.stage === 2) this.trace(`s2 msg seq=${m.seq} replay=${+replay} buffer corr=${it.corr} key=${it.host} s1=${it.ev.se.position ?? ''} t=${it.time.ms}`);
      this.heldSeqs.add(it.seq);
      this.reorder.add(it, Date.now());
    }
    if (!replay) {
      this.snap.processed++;
      this.snap.lastSeq = m.seq;
    }
    this.dirty = true;
    if (!(await this.flush())) return false;
    if (Date.now() - this.lastSaved >= this.snapshotIntervalMs) await this.saveSnapshot();
    return !this.stopped;
  }

  /** A message ≤ lastSeq in a partial replay: only an added or changed correlation's own event is fed again. */
  private replayPartial(m: BusMessage): void {
    const it = this.decode(m, true);
    if (!it || it.corr === undefined || !this.replayOnly!.has(it.corr)) return;
    const k = `${it.corr}\u0000${it.ev.se.position ?? ''}`;
    if (this.replaySeen.has(k)) return;
    this.replaySeen.add(k);
    this.seen.set(k, it.time.ms);
    if (this.trace) this.trace(`s2 msg seq=${m.seq} replay=1 partial corr=${it.corr} key=${it.host} s1=${it.ev.se.position ?? ''} t=${it.time.ms}`);
    this.heldSeqs.add(it.seq);
    this.reorder.add(it, Date.now());
  }

  private isDuplicate(it: Item): boolean {
    const k = `${it.corr}\u0000${it.ev.se.position ?? ''}`;
    if (this.seen.has(k)) return true;
    this.seen.set(k, it.time.ms);
    return false;
  }

  /** An event released by the reorder buffer, in time order for its key. */
  private feed(it: Item, late: boolean): void {
    this.heldSeqs.delete(it.seq);
    if (late && !it.replay) this.snap.late = (this.snap.late ?? 0) + 1;
    const det = this.stage === 1 ? this.detector : this.corrDetectors.get(it.corr ?? '');
    if (!det) {
      if (it.corr !== undefined && this.work.off?.has(it.corr)) return; // switched off
      this.hooks.onProblem?.(`${this.name}: event seq ${it.seq} forwarded for correlation ${it.corr ?? '?'} not loaded on this node, skipped`);
      return;
    }
    if (++this.sinceWatermark >= WATERMARK_EVERY) this.noteWatermark();
    try {
      det.push(it.ev.se, it.time, false);
    } catch (e) {
      this.hooks.onProblem?.(`${this.name}: detection failed on seq ${it.seq}: ${(e as Error).message}`);
    }
    if (this.windowMs > 0) this.noteWindow(it.host, it.time.ms, it.seq);
    const alerts = det.takeAlerts();
    if (this.trace && this.stage === 2) {
      this.trace(`s2 feed seq=${it.seq} replay=${+it.replay} late=${+late} corr=${it.corr} key=${it.host} s1=${it.ev.se.position ?? ''} t=${it.time.ms}${alerts.map((a) => ` alert=${a.id}`).join('')}`);
    }
    if (alerts.length > 0) for (const a of alerts) this.pendingAlerts.push(a);
    // Base-rule matches of stage-2 correlations are forwarded (replays too: stateless, and the
    // ids are deterministic, so a re-forward is dropped).
    if (this.stage === 1 && this.work.router) {
      try {
        const fw = this.work.router.route(it.ev.se.event, it.ev.se.position ?? it.seq, it.ev.raw);
        for (const f of fw) this.pendingForwards.push(f);
        if (fw.length > 0 && this.trace) this.trace(`s1 fwd seq=${it.seq} replay=${+it.replay} late=${+late} t=${it.time.ms} to=${fw.map((f) => f.subject).join(',')}`);
      } catch (e) {
        this.hooks.onProblem?.(`${this.name}: stage-2 routing failed on seq ${it.seq}: ${(e as Error).message}`);
      }
    }
  }

  /** Publish what the released events produced (only under a valid lease). */
  private async flush(): Promise<boolean> {
    if (this.pendingAlerts.length === 0 && this.pendingForwards.length === 0) return true;
    if (!this.lease.valid()) {
      this.halt('fenced');
      return false;
    }
    const fw = this.pendingForwards;
    const alerts = this.pendingAlerts;
    this.pendingForwards = [];
    this.pendingAlerts = [];
    try {
      if (fw.length > 0) {
        const r = await this.bus.publish(fw);
        for (const x of r) if (!x.duplicate) this.snap.forwarded = (this.snap.forwarded ?? 0) + 1;
      }
      if (alerts.length > 0) await this.publishAlerts(alerts);
    } catch (e) {
      // Never snapshot past unpublished output: stop; the partition restarts from its last snapshot.
      this.hooks.onProblem?.(`${this.name}: publish failed (${(e as Error).message}), stopping`);
      this.halt('error');
      return false;
    }
    return true;
  }

  private async publishAlerts(alerts: Alert[]): Promise<void> {
    const ix = this.work.intel;
    if (ix) for (const a of alerts) applyIntel(a, ix);
    const items = alerts.map((a) => ({
      subject: CLUSTER.alertSubject,
      msgId: a.id,
      data: JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    }));
    const r = await this.bus.publish(items);
    for (const x of r) if (!x.duplicate) this.snap.alertsPublished++;
  }

  private noteWindow(host: string, ms: number, seq: number): void {
    this.windows.note(host, ms, seq, Date.now());
  }

  /** The oldest seq a new owner must replay from: events still held, and the rules' windows. */
  private replayFrom(): number {
    let m = Math.min(this.snap.lastSeq + 1, this.reorder.minHeldSeq());
    if (this.windowMs <= 0) return Math.max(1, m);
    const { minSeq, seenCutMs } = this.windows.prune(this.keepMs, Date.now());
    if (minSeq < m) m = minSeq;
    if (this.seen.size > 0 && seenCutMs !== null) {
      for (const [k, ms] of this.seen) if (ms < seenCutMs) this.seen.delete(k);
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
    const key = snapshotKey(this.partition, this.stage);
    const previous = this.snap.engine;
    let written: PartitionSnapshot['engine'];
    try {
      written = await this.writeEngine(key);
    } catch (e) {
      // Without engine state the snapshot still holds: a new owner replays from replayFrom.
      this.hooks.onProblem?.(`${this.name}: engine state not written (${(e as Error).message}); the snapshot falls back to replay`);
      written = undefined;
    }
    const snap: PartitionSnapshot = { ...this.snap };
    if (written) {
      snap.engine = written;
      snap.resumeFrom = Math.min(this.snap.lastSeq + 1, ...this.heldSeqs);
      snap.held = [...this.heldSeqs].sort((a, b) => a - b);
      if (this.stage === 2) snap.seen = [...this.seen];
      snap.windows = this.windows.toJSON();
      snap.order = this.reorder.exportKeys(Date.now(), this.liveMs);
    } else {
      delete snap.engine;
      delete snap.resumeFrom;
      delete snap.held;
      delete snap.seen;
      delete snap.windows;
      delete snap.order;
    }
    const text = JSON.stringify(snap);
    try {
      this.snapRevision = this.snapRevision === 0 ? await this.snapKv.create(key, text) : await this.snapKv.update(key, text, this.snapRevision);
    } catch (e) {
      // A compare-and-set refusal means another writer: fenced. Anything else (a timeout or 503
      // while NATS re-elects) is an error: the node frees the lease and restarts from the snapshot.
      const cas = isCasRefusal(e);
      this.hooks.onProblem?.(`${this.name}: snapshot write ${cas ? 'refused' : 'failed'} (${(e as Error).message}): ${cas ? 'fenced' : 'restarting'}`);
      this.halt(cas ? 'fenced' : 'error');
      // Only a refusal proves the snapshot was not stored. A timeout may have committed it (seen
      // under load: the next owner then found "chunk 0 of 1 missing" and fell back to replay), so
      // its chunks stay; at worst they are orphaned.
      if (written && cas && written.gen !== previous?.gen) await this.dropChunks(key, written);
      return false;
    }
    this.snap = snap;
    if (this.trace) this.trace(`snap rev=${this.snapRevision} lastSeq=${snap.lastSeq} replayFrom=${snap.replayFrom} resumeFrom=${snap.resumeFrom ?? '-'} engine=${snap.engine?.gen ?? '-'} held=${snap.held?.length ?? '-'} processed=${snap.processed}`);
    if (previous && previous.gen !== written?.gen) await this.dropChunks(key, previous);
    this.lastSaved = Date.now();
    this.dirty = false;
    return true;
  }

  /** The detectors' state as chunks under a new generation; returns what the snapshot records. */
  private async writeEngine(key: string): Promise<PartitionSnapshot['engine']> {
    const blob: EngineBlob = {};
    if (this.detector) blob.stage1 = this.detector.exportState();
    if (this.stage === 2) {
      blob.stage2 = {};
      for (const [id, d] of this.corrDetectors) blob.stage2[id] = d.exportState();
    }
    // The partition snapshot carries the time; without it equal states give equal text.
    if (blob.stage1) blob.stage1.savedMs = 0;
    for (const st of Object.values(blob.stage2 ?? {})) st.savedMs = 0;
    const text = JSON.stringify(blob);
    // Unchanged since the last committed write (an idle partition's accounting moved): reuse its chunks.
    if (this.snap.engine && this.lastEngineText === text) return this.snap.engine;
    const gen = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    const chunks = Math.max(1, Math.ceil(text.length / CHUNK_CHARS));
    for (let i = 0; i < chunks; i++) await this.snapKv.put(chunkKey(key, gen, i), text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS));
    this.lastEngineText = text;
    return { gen, chunks, chars: text.length };
  }

  private async dropChunks(key: string, e: NonNullable<PartitionSnapshot['engine']>): Promise<void> {
    for (let i = 0; i < e.chunks; i++) await this.snapKv.delete(chunkKey(key, e.gen, i)).catch(() => undefined);
  }

  /**
   * Load the snapshot's engine state into fresh detectors. True only when every detector took its
   * state whole with the same rules; otherwise the detectors are fresh and the caller replays.
   */
  private async loadEngine(s: PartitionSnapshot): Promise<boolean> {
    const e = s.engine!;
    const key = snapshotKey(this.partition, this.stage);
    try {
      const parts: string[] = [];
      for (let i = 0; i < e.chunks; i++) {
        let c: Awaited<ReturnType<Kv['get']>>;
        try {
          c = await this.snapKv.get(chunkKey(key, e.gen, i));
        } catch (err) {
          // A timeout while NATS is loaded says nothing about the state: start again later
          // (node.ts releases the lease) rather than pay a whole replay.
          throw new TransientLoadError(`reading engine state chunk ${i}: ${(err as Error).message}`);
        }
        if (!c) throw new Error(`chunk ${i} of ${e.chunks} missing`);
        parts.push(c.value);
      }
      const text = parts.join('');
      if (text.length !== e.chars) throw new Error(`engine state is ${text.length} characters, the snapshot says ${e.chars}`);
      const blob = JSON.parse(text) as EngineBlob;
      const reports = [];
      if (this.stage === 1) {
        if (!blob.stage1 || !this.detector) throw new Error('no stage-1 state');
        reports.push(this.detector.importState(blob.stage1));
      } else {
        // Per correlation: each has its own detector and its own forwarded messages, so one
        // added or changed correlation replays alone while the others keep their state.
        const states = blob.stage2 ?? {};
        const again = new Set<string>();
        for (const [id, d] of [...this.corrDetectors]) {
          const st = states[id];
          const r = st !== undefined ? d.importState(st) : null;
          if (r && r.sameRules && r.dropped.length === 0) continue;
          const rule = this.work.rules.find((x) => x.id === id)!;
          this.corrDetectors.set(id, this.corrDetector(rule));
          again.add(id);
        }
        if (again.size > 0 && again.size === this.corrDetectors.size) throw new Error('no correlation of the snapshot is loaded unchanged');
        if (again.size > 0) {
          if (this.windowMs > 0 && !this.windows.restore(s.windows)) throw new Error('the snapshot has no replay windows');
          this.replayOnly = again;
          this.hooks.onProblem?.(`${this.name}: correlation(s) ${[...again].join(', ')} added or changed since the snapshot: replaying only their events from seq ${s.replayFrom}`);
        }
      }
      const bad = reports.find((r) => !r.sameRules || r.dropped.length > 0);
      if (bad) throw new Error(`rule set changed (${bad.dropped.map((d) => `${d.key}: ${d.reason}`).join('; ') || 'fingerprint differs'})`);
      // Without the windows the state came from, this owner's snapshots would name a replay point
      // past them (a later owner replaying would lose them): replay instead.
      if (this.windowMs > 0 && !this.windows.restore(s.windows)) throw new Error('the snapshot has no replay windows');
      for (const [k, ms] of s.seen ?? []) this.seen.set(k, ms);
      this.reorder.restoreKeys(s.order ?? []);
      return true;
    } catch (err) {
      if (err instanceof TransientLoadError) throw err;
      this.hooks.onProblem?.(`${this.name}: engine state not used (${(err as Error).message}); replaying from seq ${s.replayFrom}`);
      this.freshDetectors();
      return false;
    }
  }

  private freshDetectors(): void {
    if (this.stage === 1) this.detector = new Detector(this.work.rules, { contextEvents: 0 });
    else for (const r of this.work.rules) this.corrDetectors.set(r.id, this.corrDetector(r));
    this.seen.clear();
    this.sinceWatermark = WATERMARK_EVERY;
  }

  /** Periodic: release idle keys' buffered events, publish, save when due (also when idle). */
  tick(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      if (!this.lease.valid()) return this.halt('fenced');
      if (this.reorder.held > 0) {
        this.reorder.flushIdle(Date.now());
        this.dirty = true;
        if (!(await this.flush())) return;
      }
      if (this.dirty && Date.now() - this.lastSaved >= this.snapshotIntervalMs) await this.saveSnapshot();
    });
  }

  /** Events waiting in the reorder buffer. */
  get held(): number {
    return this.reorder.held;
  }

  /** Hand-over: stop reading, write a final snapshot (still under the lease). Held events are replayed by the next owner. */
  async stop(reason: string): Promise<void> {
    this.reader?.stop();
    await this.serial(async () => {
      // Never snapshot past output that was not published (a failed flush halted the worker).
      if (!this.stopped && this.lease.valid() && (await this.flush()) && !this.stopped) await this.saveSnapshot();
      this.halt(reason);
    });
  }
}

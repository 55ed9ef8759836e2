/**
 * Log → per-host reorder buffer → Detector (hunt/detector.ts, the same loop `hunt` runs) → alert
 * store, with durable checkpoints.
 *
 * Checkpoint design (docs/serve.md "Restart and exactly-once"): each checkpoint records
 * `read_seq` (the log position read), the detection thread's engine state at that position
 * (Detector.exportState of both detectors, engine/snapshot.ts) with the seqs the reorder buffer
 * held then, and `replay_from`: the oldest log event that any live detection state or the reorder
 * buffer may still reference. It is the smallest seq among (a) events still held in the reorder
 * buffer and (b) events of each host within the rules' longest window (maxspan / timespan) plus
 * the allowed lateness of that host's newest released event. A restart imports the engine state
 * and feeds again only the held events and those after `read_seq`; without usable engine state it
 * replays the log from `replay_from` through the same path. Alerts found again carry the same
 * deterministic id and are ignored by the store (INSERT OR IGNORE), so each is raised once. Alerts
 * are stored in the same transaction as the checkpoint that covers them. The detection thread is
 * restarted from the last checkpoint the same way when it dies.
 *
 * Live events come from an in-memory inbox of group commits (their shared bytes and per-event
 * arrays, no object per event until taken; `queuedBytes` counts them for back-pressure,
 * queue-budget.ts); after a restart, and whenever the inbox overflowed, events are read back from
 * the log.
 *
 * Rules run in a detection thread (detect-worker.ts), which parses each event's raw text once:
 * single-event rules on arrival (no reorder wait: their alerts come within milliseconds of the
 * commit), stateful rules when the reorder buffer releases the event. The events of a message not
 * yet answered by that thread count as unprocessed: `replayFrom` stays at or below the smallest
 * seq in flight, so a checkpoint never covers an event whose alerts are not stored yet.
 */
import type { Rule } from '../ir/types.js';
import type { Alert } from '../alert/types.js';
import type { Instant } from '../events/timestamp.js';
import { Worker } from 'node:worker_threads';
import { longestWindowNs } from '../hunt/load-rules.js';
import { alertExceptionReason, type Exceptions } from '../rules/exceptions.js';
import { inTransaction, type Db } from './store/db.js';
import type { EventStream } from './store/stream.js';
import type { Checkpoint, Checkpoints } from './store/checkpoints.js';
import type { AlertStore, InsertResult } from './store/alerts.js';
import { ingestDocument, type LoggedEvent } from './ingest-parse.js';
import { F_ASCII, F_PLAIN, type CommitBatch } from './ingest-batch.js';
import { ReorderBuffer, WATERMARK_LIVE_MS, type OrderItem } from './reorder.js';
import type { ArriveMsg, DetectReply, DetectWorkerData, ToDetect, DetectTelemetry } from './detect-protocol.js';

/**
 * What the reorder buffer keeps of an event until its release: seq, host, time and connection,
 * one object (its time is itself: no Instant object of its own). The document went to the
 * detection thread on arrival.
 */
export class LoopItem implements OrderItem {
  constructor(
    readonly seq: number,
    readonly host: string,
    readonly ms: number,
    readonly ns: number,
    readonly src: number,
  ) {}

  get time(): Instant {
    return this;
  }
}

/** An event read back from the log (catch-up, replay): its text goes to the detection thread as a string. */
interface LogItem {
  item: LoopItem;
  raw: string;
  plain: boolean;
  /** The event had no recognisable time: the item's time is the one the loop gave it. */
  noTs: boolean;
  tkey: string;
}

/** A group commit waiting for detection: its events `head` … `commit.n − 1` (seqs from `firstSeq`), documents in its shared bytes. */
interface InboxChunk {
  commit: CommitBatch;
  firstSeq: number;
  head: number;
  /** What it holds in memory (queuedBytes): its documents, keys and per-event arrays. */
  bytes: number;
}

/** Memory per queued event besides its document and key (the commit's typed arrays: 37 bytes; the arrive message's share). */
const EVENT_OVERHEAD_BYTES = 64;

/** A commit's size in memory while it waits in the inbox. */
export function commitBytes(c: CommitBatch): number {
  return c.bytes.byteLength + c.tkeys.byteLength + c.n * EVENT_OVERHEAD_BYTES;
}

/** Largest group commit posted to the detection thread in one message (else split into BATCH). */
const MAX_ARRIVE = 20_000;

interface Flight {
  minSeq: number;
  events: number;
  release: boolean;
  /** For reload: resolves with the reply. */
  done?: (r: DetectReply) => void;
}

export interface LoopStats {
  fed: number;
  late: number;
  noTimestamp: number;
  replayed: number;
  alertsNew: number;
  alertsDuplicate: number;
  alertsSuppressed: number;
  alertsExcepted: number;
  unreadable: number;
  /** Times the detection thread died and was restarted. */
  detectRestarts: number;
  /** Starts (and thread restarts) that resumed from a checkpoint's engine state instead of replaying its window. */
  snapshotRestores: number;
  /** Events the detection thread held unparsed for the stateful rules (only a sequence's joining stages could use them), and of those the ones it parsed on release. */
  deferred: number;
  deferredParsed: number;
}

export interface DetectLoopOptions {
  db: Db;
  stream: EventStream;
  checkpoints: Checkpoints;
  alerts: AlertStore;
  rules: Rule[];
  exceptions?: Exceptions;
  allowedLatenessMs: number;
  /** Per-source watermark (reorder.ts ReorderOptions.sourceOrder). */
  sourceOrder?: boolean;
  checkpointIntervalMs: number;
  /** Inbox size above which new events are left in the log and read back later. */
  maxInbox: number;
  /** Inbox bytes (commitBytes) above which new events are left in the log and read back later (default: no limit). */
  maxInboxBytes?: number;
  /** Inside the transaction that stores a new alert (webhook queue). */
  onNewAlertTx?: (a: Alert) => void;
  /** After that transaction committed. */
  onNewAlert?: (a: Alert) => void;
  onProblem?: (message: string) => void;
  /** A late event of a host (ingest health per host; routes/ingest-stats.ts). */
  onLate?: (host: string) => void;
}

const CHECKPOINT = 'detect';
/** How far behind the newest host a silent host's window is still kept for replay. */
const SILENT_HOST_GRACE_MS = 10 * 60_000;
const BATCH = 2000;
/** Delay before restarting a dead detection thread, doubling up to RESTART_MAX_MS while it keeps dying. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;
/** Alerts found between checkpoints are stored at most this often. */
const ALERT_STORE_MS = 50;
/** Events sent to the detection thread and not yet answered, above which the loop waits. */
const MAX_IN_FLIGHT = 16_000;

interface Bucket {
  sec: number;
  minSeq: number;
}

/** What a checkpoint records, captured when its engine snapshot is requested (the state after every earlier message). */
interface CheckpointAt {
  readSeq: number;
  replayFrom: number;
  held: number[];
  /** WorkerSnapshot JSON; null: export failed (the checkpoint is saved without engine state). */
  snapshot: string | null;
}

export class DetectLoop {
  private worker!: Worker;
  /** The detection thread has compiled the rules (and restored its state): messages may be posted. */
  private workerReady = false;
  private restartDelayMs = RESTART_MIN_MS;
  private lastRestartWall = 0;
  /** During a restore from an engine snapshot: events at or below `upTo` are skipped unless `held` (the reorder buffer held them). */
  private resume: { upTo: number; held: Set<number> } | null = null;
  /** Events at or below this seq read from the log count as replayed. */
  private replayedUpTo = 0;
  /** Resolves `ready` (also when the first thread dies before it is up: the service starts and keeps restarting it). */
  private firstStart: (() => void) | null = null;
  /** A snapshot requested and not answered yet. */
  private snapshotPending = false;
  /** A checkpoint ready to be saved (its snapshot came back), with the next alerts transaction. */
  private readyCheckpoint: CheckpointAt | null = null;
  private readonly flights = new Map<number, Flight>();
  private nextMsg = 1;
  private inFlightEvents = 0;
  private inFlightArrive = 0;
  private inFlightRelease = 0;
  private releaseBatch: number[] = [];
  private releaseMin = Infinity;
  private compiledRules = 0;
  /** The detection thread's kernel id (per-thread CPU in /metrics; null when unknown). */
  detectTid: number | null = null;
  /** The detection thread's latest telemetry counts (blind spots); null until its first report. */
  telemetry: DetectTelemetry | null = null;
  /** The detection thread's V8 heap in use at its latest report (bytes; null until then). */
  detectHeapUsed: number | null = null;
  detectHeapTotal: number | null = null;
  /** Resolves once the detection thread has compiled the rules. */
  readonly ready: Promise<void>;
  private rules: Rule[];
  private windowMs: number;
  private reorder: ReorderBuffer<LoopItem>;
  /** Committed events waiting, one chunk per group commit (with its documents already joined, when known). */
  private inbox: InboxChunk[] = [];
  private inboxCount = 0;
  private inboxBytes = 0;
  /** Next seq to read from the log when catching up (0: not catching up). */
  private logCursor = 0;
  /** Highest seq taken in (fed or held). */
  readSeq = 0;
  /** Highest seq known committed. */
  committedSeq = 0;
  private readonly buckets = new Map<string, { buckets: Bucket[]; frontierMs: number }>();
  private pendingAlerts: Alert[] = [];
  private lastCheckpointWall = 0;
  private lastStoreWall = 0;
  private storeTimer: NodeJS.Timeout | null = null;
  /** The connection's synchronous level (2: FULL), restored after the loop's own transactions. */
  private readonly syncLevel: number;
  checkpointSavedMs: number | null = null;
  private scheduled = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout;
  private exceptions: Exceptions | undefined;
  readonly stats: LoopStats = { fed: 0, late: 0, noTimestamp: 0, replayed: 0, alertsNew: 0, alertsDuplicate: 0, alertsSuppressed: 0, alertsExcepted: 0, unreadable: 0, detectRestarts: 0, snapshotRestores: 0, deferred: 0, deferredParsed: 0 };
  /** Wall time each seq was acknowledged, for ack → alert latency (bench). */
  onAlertLatency?: (a: Alert, seqs: number[]) => void;

  constructor(private readonly o: DetectLoopOptions) {
    this.rules = o.rules;
    this.exceptions = o.exceptions;
    this.syncLevel = Number(o.db.pragma('synchronous', { simple: true }));
    let started: () => void = () => {};
    this.ready = new Promise<void>((r) => (started = r));
    this.firstStart = started;
    this.windowMs = longestWindowNs(o.rules) / 1e6;
    this.reorder = new ReorderBuffer<LoopItem>(o.allowedLatenessMs, (it, late) => this.feed(it, late), { sourceOrder: o.sourceOrder === true });
    const cp = o.checkpoints.load(CHECKPOINT);
    if (cp) {
      this.checkpointSavedMs = cp.savedMs;
      for (const k of Object.keys(this.stats) as (keyof LoopStats)[]) if (typeof cp.stats[k] === 'number') this.stats[k] = cp.stats[k]!;
    }
    this.stats.replayed = 0;
    this.startThread(started);
    const tick = Math.max(50, Math.min(500, o.allowedLatenessMs / 2));
    this.idleTimer = setInterval(() => this.onIdleTick(), tick);
    this.idleTimer.unref();
  }

  /**
   * Start the detection thread from the last checkpoint: with its engine state when it has one
   * that fits the rules (then only the events after `read_seq`, and those the reorder buffer held
   * then, are fed again), else empty, replaying from `replay_from`. Used at start and when the
   * thread died (its unanswered messages and everything after the checkpoint are fed again; alerts
   * found again are duplicates the store ignores).
   */
  private startThread(onReady: () => void): void {
    const cp = this.o.checkpoints.load(CHECKPOINT);
    const data: DetectWorkerData = { rules: this.rules };
    if (cp?.engine) data.snapshot = cp.engine.snapshot;
    const w = new Worker(new URL('./detect-worker.js', import.meta.url), { workerData: data });
    this.worker = w;
    let gone = false;
    const died = (why: string): void => {
      if (gone) return;
      gone = true;
      if (this.worker === w && !this.closed) this.threadDied(why);
    };
    w.on('message', (m: DetectReply) => {
      if (this.worker !== w) return;
      if (m.id === 0) {
        this.compiledRules = m.ruleCount ?? 0;
        this.detectTid = m.tid ?? null;
        this.resumeFrom(cp, m);
        onReady();
        return;
      }
      this.answered(m);
    });
    w.on('error', (e: Error) => died(e.message));
    w.on('exit', (code) => died(`exited with code ${code}`));
    w.unref();
  }

  /** The thread is up: where to read the log from (see startThread). */
  private resumeFrom(cp: Checkpoint | null, hello: DetectReply): void {
    this.committedSeq = Math.max(this.committedSeq, this.o.stream.maxSeq());
    this.replayedUpTo = Math.max(this.readSeq, cp?.readSeq ?? 0);
    this.readSeq = cp ? cp.readSeq : 0;
    let from = cp ? cp.replayFrom : 1;
    this.resume = null;
    if (cp?.engine && hello.restored) {
      this.resume = { upTo: cp.readSeq, held: new Set(cp.engine.held) };
      from = cp.readSeq + 1;
      for (const h of cp.engine.held) if (h < from) from = h;
      this.stats.snapshotRestores++;
    } else if (cp?.engine) this.o.onProblem?.(`engine state not restored (${hello.restoreNote ?? 'unknown reason'}): replaying from ${from}`);
    this.logCursor = from <= this.committedSeq ? from : 0;
    this.inbox = [];
    this.inboxCount = 0;
    this.inboxBytes = 0;
    for (const a of hello.alerts) this.pendingAlerts.push(a);
    this.workerReady = true;
    this.schedule();
  }

  /**
   * The detection thread died (an exception outside the per-event guards, out of memory…). What
   * it answered is kept; everything after the last checkpoint goes through a new thread started
   * from that checkpoint, after a delay that doubles while it keeps dying.
   */
  private threadDied(why: string): void {
    this.workerReady = false;
    this.firstStart?.();
    this.firstStart = null;
    this.stats.detectRestarts++;
    const waiters = [...this.flights.values()].filter((f) => f.done);
    this.flights.clear();
    this.inFlightEvents = this.inFlightArrive = this.inFlightRelease = 0;
    this.releaseBatch = [];
    this.releaseMin = Infinity;
    this.snapshotPending = false;
    this.readyCheckpoint = null;
    this.reorder = new ReorderBuffer<LoopItem>(this.o.allowedLatenessMs, (it, late) => this.feed(it, late), { sourceOrder: this.o.sourceOrder === true });
    this.buckets.clear();
    this.inbox = [];
    this.inboxCount = 0;
    this.inboxBytes = 0;
    this.logCursor = 0;
    const now = Date.now();
    if (now - this.lastRestartWall > 60_000) this.restartDelayMs = RESTART_MIN_MS;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(RESTART_MAX_MS, delay * 2);
    this.lastRestartWall = now;
    this.o.onProblem?.(`detection thread died (${why}); restarting it in ${delay} ms from the last checkpoint`);
    const t = setTimeout(() => {
      if (this.closed) return;
      this.startThread(() => {
        // Reloads waiting on the dead thread: the new one runs the current rules (state rebuilt, not kept).
        for (const f of waiters) f.done!({ id: 0, alerts: [], problems: [], unreadable: [], ruleCount: this.compiledRules, stateKept: 0 });
      });
    }, delay);
    t.unref();
  }

  /** Fault injection for tests: make the detection thread throw, as a bug in it would. */
  crashDetectionThread(): void {
    if (this.workerReady) this.worker.postMessage({ t: 'crash', id: this.nextMsg++ } satisfies ToDetect);
  }

  /** Events in the log not yet through detection (inbox, catch-up, reorder buffer). */
  get lag(): number {
    // An event in flight is either held (arrived, awaiting release) or in a release message.
    return Math.max(0, this.committedSeq - this.readSeq) + Math.max(this.reorder.held + this.inFlightRelease, this.inFlightArrive);
  }

  get inboxDepth(): number {
    return this.inboxCount;
  }

  /** Bytes of committed events waiting in memory for detection (documents, keys, per-event arrays). */
  get queuedBytes(): number {
    return this.inboxBytes;
  }

  /** Events the reorder buffer holds (arrived, waiting for their host's watermark). */
  get heldEvents(): number {
    return this.reorder.held;
  }

  /** Events posted to the detection thread and not answered yet. */
  get inFlight(): number {
    return this.inFlightEvents;
  }

  get catchingUp(): boolean {
    return this.logCursor > 0;
  }

  /** A group commit from the stream: its events have seqs `firstSeq`, `firstSeq + 1`, … in order. */
  enqueue(firstSeq: number, c: CommitBatch): void {
    const n = c.n;
    if (n === 0) return;
    this.committedSeq = firstSeq + n - 1;
    if (this.logCursor > 0 || !this.workerReady) {
      this.schedule();
      return; // catching up from the log: it will read these too
    }
    const bytes = commitBytes(c);
    if (this.inboxDepth + n > this.o.maxInbox || (this.inboxBytes > 0 && this.inboxBytes + bytes > (this.o.maxInboxBytes ?? Infinity))) {
      // Leave them in the log; read back once the inbox has drained.
      this.logCursor = firstSeq;
      this.schedule();
      return;
    }
    // Nothing per event until the pump takes them: the commit's arrays hold host, time and flags.
    this.inbox.push({ commit: c, firstSeq, head: 0, bytes });
    this.inboxCount += n;
    this.inboxBytes += bytes;
    this.schedule();
  }

  /** The time of an event that has none of its own: its host's last, else now. */
  private givenTime(host: string): Instant {
    this.stats.noTimestamp++;
    return this.reorder.lastTime(host) ?? { ms: Date.now(), ns: 0 };
  }

  private logItem(seq: number, ev: LoggedEvent): LogItem {
    const time = ev.time ?? this.givenTime(ev.host);
    return { item: new LoopItem(seq, ev.host, time.ms, time.ns, ev.src ?? 0), raw: ev.raw, plain: ev.plain === true, noTs: !ev.time, tkey: ev.tkey ?? '' };
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Process one batch, store its alerts (with a checkpoint when due), reschedule if more. */
  pump(): void {
    if (this.closed) return;
    const now = Date.now();
    if (!this.workerReady) {
      // Starting or restarting the detection thread: nothing to post yet (its start reschedules).
    } else if (this.inFlightEvents >= MAX_IN_FLIGHT) {
      // The detection thread is behind: take nothing now; its answers reschedule the pump.
    } else if (this.logCursor > 0 && this.inboxDepth === 0) this.pumpLog(now);
    else if (this.inbox.length > 0) this.pumpInbox(now);
    this.store(false);
    if ((this.inboxDepth > 0 || this.logCursor > 0) && this.inFlightEvents < MAX_IN_FLIGHT) this.schedule();
  }

  /** Events read back from the log (catch-up, replay): their texts go to the detection thread as strings. */
  private pumpLog(now: number): void {
    const taken: LogItem[] = [];
    const rows = this.o.stream.readFrom(this.logCursor, BATCH);
    for (const r of rows) {
      const res = this.resume;
      if (res && r.seq <= res.upTo && !res.held.has(r.seq)) continue; // in the restored engine state already
      // As at ingest: scanned (or parsed when the scan cannot decide), so replay orders events exactly as live.
      const p = ingestDocument(r.raw);
      const ev = 'events' in p && p.events.length === 1 ? p.events[0]! : null;
      if (r.seq <= this.replayedUpTo) this.stats.replayed++;
      if (ev) taken.push(this.logItem(r.seq, ev));
      else {
        this.stats.unreadable++;
        if (r.seq > this.readSeq) this.readSeq = r.seq;
      }
    }
    this.logCursor = rows.length > 0 ? rows[rows.length - 1]!.seq + 1 : this.logCursor;
    if (this.resume && this.logCursor > this.resume.upTo) this.resume = null;
    if (rows.length < BATCH && this.logCursor > this.committedSeq) this.logCursor = 0;
    const n = taken.length;
    if (n === 0) return;
    const seqs: number[] = new Array<number>(n);
    const raws: string[] = new Array<string>(n);
    const tkeys: string[] = new Array<string>(n);
    const plain = new Uint8Array(n);
    const hostIx = new Uint32Array(n);
    const ms = new Float64Array(n);
    const ns = new Uint32Array(n);
    const hosts: string[] = [];
    const ix = new Map<string, number>();
    let times: ([number, number] | null)[] | null = null;
    for (let i = 0; i < n; i++) {
      const t = taken[i]!;
      const it = t.item;
      seqs[i] = it.seq;
      ms[i] = it.ms;
      ns[i] = it.ns;
      raws[i] = t.raw;
      tkeys[i] = t.tkey;
      if (t.plain) plain[i] = F_PLAIN;
      let h = ix.get(it.host);
      if (h === undefined) {
        ix.set(it.host, (h = hosts.length));
        hosts.push(it.host);
      }
      hostIx[i] = h;
      if (t.noTs) (times ??= new Array<[number, number] | null>(n).fill(null))[i] = [it.ms, it.ns];
    }
    const arrive: ArriveMsg = { t: 'arrive', id: 0, seqs, seq0: 0, raws: raws.join('\n'), flags: plain, times, ms, ns, hosts, hostIx, tkeys: tkeys.join('\n') };
    this.post(arrive, seqs[0]!, n, undefined, [plain.buffer as ArrayBuffer, hostIx.buffer as ArrayBuffer, ms.buffer as ArrayBuffer, ns.buffer as ArrayBuffer]);
    for (let i = 0; i < n; i++) this.take(taken[i]!.item, now);
    this.flushReleases();
  }

  /**
   * Committed events from the inbox: a whole group commit (or BATCH of a large one) posted as a
   * view of its shared bytes, with slices of its per-event arrays; a LoopItem per event for the
   * reorder buffer is the only object made per event.
   */
  private pumpInbox(now: number): void {
    const ch = this.inbox[0]!;
    const c = ch.commit;
    const from = ch.head;
    const n = from === 0 && c.n <= MAX_ARRIVE ? c.n : Math.min(BATCH, c.n - from);
    const to = from + n;
    ch.head = to;
    if (to === c.n) {
      this.inbox.shift();
      this.inboxBytes -= ch.bytes;
    }
    this.inboxCount -= n;
    const seq0 = ch.firstSeq + from;
    const items: LoopItem[] = new Array<LoopItem>(n);
    const msAt = new Float64Array(n);
    const nsAt = new Uint32Array(n);
    let times: ([number, number] | null)[] | null = null;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const k = from + i;
      const host = c.hosts[c.hostIx[k]!]!;
      let ms = c.times[k]!;
      let ns = c.ns[k]!;
      if (ms !== ms) {
        const t = this.givenTime(host);
        ms = t.ms;
        ns = t.ns;
        (times ??= new Array<[number, number] | null>(n).fill(null))[i] = [ms, ns];
      }
      if ((c.flags[k]! & F_ASCII) === 0) ascii = false;
      msAt[i] = ms;
      nsAt[i] = ns;
      items[i] = new LoopItem(seq0 + i, host, ms, ns, c.src[k]!);
    }
    // Arrival first (single-event rules, and the thread keeps the parsed event), then the releases it causes.
    // A view of the commit's shared bytes: the documents and keys of events from … to − 1.
    const docs = c.bytes.subarray(c.at[from]!, c.at[to]! - 1);
    const keys = c.tkeys.subarray(c.tkeyAt[from]!, c.tkeyAt[to]! - 1);
    const flags = c.flags.slice(from, to);
    const hostIx = c.hostIx.slice(from, to);
    const arrive: ArriveMsg = { t: 'arrive', id: 0, seqs: null, seq0, raws: docs, ascii, flags, times, ms: msAt, ns: nsAt, hosts: c.hosts, hostIx, tkeys: keys };
    this.post(arrive, seq0, n, undefined, [flags.buffer as ArrayBuffer, hostIx.buffer as ArrayBuffer, msAt.buffer as ArrayBuffer, nsAt.buffer as ArrayBuffer]);
    for (let i = 0; i < n; i++) this.take(items[i]!, now);
    this.flushReleases();
  }

  private take(it: LoopItem, wallMs: number): void {
    if (it.seq > this.readSeq) this.readSeq = it.seq;
    this.reorder.add(it, wallMs);
  }

  private feed(it: LoopItem, late: boolean): void {
    if (late) {
      this.stats.late++;
      this.o.onLate?.(it.host);
    }
    this.stats.fed++;
    this.releaseBatch.push(it.seq);
    if (it.seq < this.releaseMin) this.releaseMin = it.seq;
    if (this.windowMs > 0) this.noteWindow(it);
  }

  private flushReleases(): void {
    if (this.releaseBatch.length === 0 || !this.workerReady) return;
    const seqs = this.releaseBatch;
    const min = this.releaseMin;
    this.releaseBatch = [];
    this.releaseMin = Infinity;
    // Per host order only: the correlations' sweep must not outrun a lagging host (reorder.ts lowWatermark).
    const wm = this.reorder.lowWatermark(Date.now(), Math.max(this.o.allowedLatenessMs, WATERMARK_LIVE_MS));
    this.post({ t: 'release', id: 0, seqs, wm: wm ? [wm.ms, wm.ns] : null }, min, seqs.length);
  }

  private post(m: ToDetect, minSeq: number, events: number, done?: (r: DetectReply) => void, transfer?: ArrayBuffer[]): void {
    const id = this.nextMsg++;
    m.id = id;
    const f: Flight = { minSeq, events, release: m.t === 'release' };
    if (done) f.done = done;
    this.flights.set(id, f);
    this.inFlightEvents += events;
    if (f.release) this.inFlightRelease += events;
    else this.inFlightArrive += events;
    this.worker.postMessage(m, transfer);
  }

  private answered(m: DetectReply): void {
    if (m.telemetry) this.telemetry = m.telemetry;
    if (m.heapUsed !== undefined) this.detectHeapUsed = m.heapUsed;
    if (m.heapTotal !== undefined) this.detectHeapTotal = m.heapTotal;
    const f = this.flights.get(m.id);
    if (!f) return;
    this.flights.delete(m.id);
    this.inFlightEvents -= f.events;
    if (f.release) this.inFlightRelease -= f.events;
    else this.inFlightArrive -= f.events;
    for (const a of m.alerts) this.pendingAlerts.push(a);
    if (m.deferred) this.stats.deferred += m.deferred;
    if (m.deferredParsed) this.stats.deferredParsed += m.deferredParsed;
    for (const p of m.problems) this.o.onProblem?.(p);
    if (m.unreadable.length > 0) {
      this.stats.unreadable += m.unreadable.length;
      for (const s of m.unreadable) this.o.onProblem?.(`event ${s} in the log no longer parses`);
    }
    f.done?.(m);
    // Stored by the next pump (one transaction for the alerts of every answer in between).
    if (m.alerts.length > 0 || this.inboxDepth > 0 || this.logCursor > 0) this.schedule();
  }

  /** Per host: the smallest seq of each second of event time, kept for the rules' window. */
  private noteWindow(it: LoopItem): void {
    let b = this.buckets.get(it.host);
    if (!b) {
      b = { buckets: [], frontierMs: it.time.ms };
      this.buckets.set(it.host, b);
    }
    if (it.time.ms > b.frontierMs) b.frontierMs = it.time.ms;
    const sec = Math.floor(it.time.ms / 1000);
    const list = b.buckets;
    const last = list[list.length - 1];
    if (!last || sec > last.sec) list.push({ sec, minSeq: it.seq });
    else {
      let i = list.length - 1;
      while (i > 0 && list[i - 1]!.sec >= sec) i--;
      if (list[i]!.sec > sec) list.splice(i, 0, { sec, minSeq: it.seq });
      else if (it.seq < list[i]!.minSeq) list[i]!.minSeq = it.seq;
    }
  }

  /** The oldest seq a restart must replay from (see the header). */
  replayFrom(): number {
    let m = Math.min(this.reorder.minHeldSeq(), this.readSeq + 1, this.releaseMin);
    for (const f of this.flights.values()) if (f.minSeq < m) m = f.minSeq;
    if (this.windowMs > 0) {
      let newest = -Infinity;
      for (const b of this.buckets.values()) if (b.frontierMs > newest) newest = b.frontierMs;
      const keep = this.windowMs + this.o.allowedLatenessMs + 1000;
      for (const [host, b] of this.buckets) {
        const cutSec = Math.floor((b.frontierMs - keep) / 1000);
        let drop = 0;
        while (drop < b.buckets.length && b.buckets[drop]!.sec < cutSec) drop++;
        if (drop > 0) b.buckets.splice(0, drop);
        if (b.buckets.length === 0 || b.frontierMs < newest - keep - SILENT_HOST_GRACE_MS) {
          this.buckets.delete(host);
          continue;
        }
        for (const x of b.buckets) if (x.minSeq < m) m = x.minSeq;
      }
    }
    return m;
  }

  /**
   * Store pending alerts; checkpoint too when due (or forced). Alerts alone are stored at most
   * every ALERT_STORE_MS (one transaction for all found meanwhile), so a steady trickle of alerts
   * does not take the database lock from the log's writer thread on every batch.
   */
  store(force: boolean): void {
    const now = Date.now();
    this.maybeCheckpoint(now);
    const cp = this.readyCheckpoint;
    const due = cp !== null;
    if (this.pendingAlerts.length === 0 && !due) return;
    if (!due && !force && now - this.lastStoreWall < ALERT_STORE_MS) {
      this.storeTimer ??= setTimeout(() => {
        this.storeTimer = null;
        if (!this.closed) this.store(false);
      }, ALERT_STORE_MS - (now - this.lastStoreWall));
      this.storeTimer.unref();
      return;
    }
    this.lastStoreWall = now;
    const alerts = this.pendingAlerts;
    this.pendingAlerts = [];
    const fresh: Alert[] = [];
    const n = { alertsNew: 0, alertsDuplicate: 0, alertsSuppressed: 0, alertsExcepted: 0 };
    // No fsync of its own (synchronous=NORMAL for this transaction): the WAL keeps commits in
    // order, so a power loss can only drop it together with every later one, and then the older
    // checkpoint left replays what these alerts came from. The log's next group commit (FULL)
    // fsyncs the WAL with this transaction in it.
    const relax = this.syncLevel > 1;
    try {
      if (relax) this.o.db.pragma('synchronous = NORMAL');
      inTransaction(this.o.db, () => {
        for (const a of alerts) {
          if (this.exceptions && alertExceptionReason(a, this.exceptions)) {
            n.alertsExcepted++;
            continue;
          }
          const r: InsertResult = this.o.alerts.insert(a);
          if (r === 'new') {
            n.alertsNew++;
            fresh.push(a);
            this.o.onNewAlertTx?.(a);
          } else if (r === 'duplicate') n.alertsDuplicate++;
          else n.alertsSuppressed++;
        }
        if (cp) {
          const stats = { ...this.stats };
          for (const k of Object.keys(n) as (keyof typeof n)[]) stats[k] += n[k];
          const save: Checkpoint = { readSeq: cp.readSeq, replayFrom: cp.replayFrom, savedMs: now, stats };
          if (cp.snapshot !== null) save.engine = { held: cp.held, snapshot: cp.snapshot };
          this.o.checkpoints.save(CHECKPOINT, save);
        }
      });
    } catch (e) {
      // Typically SQLITE_BUSY: the log's writer thread held the database past the busy timeout
      // (a long group commit on a loaded disk). Nothing was written: keep the alerts for the
      // next try; the checkpoint stays where it was (a restart replays from there).
      this.pendingAlerts = alerts.concat(this.pendingAlerts);
      this.o.onProblem?.(`storing alerts/checkpoint failed, will retry: ${(e as Error).message}`);
      return;
    } finally {
      if (relax) this.o.db.pragma(`synchronous = ${this.syncLevel}`);
    }
    for (const k of Object.keys(n) as (keyof typeof n)[]) this.stats[k] += n[k];
    if (cp) {
      this.readyCheckpoint = null;
      this.checkpointSavedMs = now;
    }
    for (const a of fresh) this.o.onNewAlert?.(a);
  }

  /**
   * Every `checkpointIntervalMs`: ask the detection thread for its engine state. Its answer comes
   * after every message sent before, so the state matches what is captured here (read position,
   * what the reorder buffer holds, the fallback replay point); the checkpoint is saved with the
   * alerts of those messages, in one transaction (store).
   */
  private maybeCheckpoint(now: number): void {
    if (!this.workerReady || this.snapshotPending || this.readyCheckpoint || now - this.lastCheckpointWall < this.o.checkpointIntervalMs) return;
    this.requestCheckpoint(now);
  }

  private requestCheckpoint(now: number): void {
    this.flushReleases();
    const at: CheckpointAt = { readSeq: this.readSeq, replayFrom: this.replayFrom(), held: this.reorder.heldSeqs(), snapshot: null };
    this.snapshotPending = true;
    this.lastCheckpointWall = now;
    this.post({ t: 'snapshot', id: 0 }, Infinity, 0, (r) => {
      this.snapshotPending = false;
      at.snapshot = r.snapshot ?? null;
      this.readyCheckpoint = at;
      this.schedule(); // saved by the next store
    });
  }

  /** Checkpoint now (drain, close): wait for the engine state, then save it with the alerts. */
  private async checkpointNow(ms = 10_000): Promise<void> {
    if (this.workerReady && !this.closed) {
      const end = Date.now() + ms;
      while (this.snapshotPending && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
      if (!this.snapshotPending) {
        this.readyCheckpoint = null;
        this.requestCheckpoint(Date.now());
        while (this.snapshotPending && this.workerReady && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
      }
    }
    this.store(true);
  }

  private onIdleTick(): void {
    if (this.closed) return;
    this.reorder.flushIdle(Date.now());
    this.flushReleases();
    this.store(false);
  }

  /**
   * Rules reloaded: the detection thread builds new detectors; stateful rules whose query is
   * unchanged keep their pending state. Resolves with how many kept it.
   */
  async reload(rules: Rule[], exceptions: Exceptions | undefined): Promise<number> {
    this.rules = rules;
    this.exceptions = exceptions;
    this.windowMs = longestWindowNs(rules) / 1e6;
    await this.threadReady(); // a thread (re)starting takes this.rules as they are now
    this.flushReleases();
    return new Promise((resolve) => {
      this.post({ t: 'reload', id: 0, rules }, Infinity, 0, (r) => {
        this.compiledRules = r.ruleCount ?? 0;
        resolve(r.stateKept ?? 0);
      });
    });
  }

  get ruleCount(): number {
    return this.compiledRules;
  }

  get loadedRules(): Rule[] {
    return this.rules;
  }

  /** Wait (at most `ms`) while the detection thread is starting or restarting. */
  private async threadReady(ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.workerReady && !this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  }

  /** Wait (at most `ms`) until the detection thread has answered every message sent. */
  async settle(ms = 10_000): Promise<void> {
    this.flushReleases();
    const end = Date.now() + ms;
    while (this.flights.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
  }

  /** Release everything held (tests, shutdown), store and checkpoint. */
  async drain(): Promise<void> {
    await this.threadReady();
    while (this.inboxDepth > 0 || this.logCursor > 0) {
      this.pump();
      await this.settle();
    }
    this.reorder.flushIdle(Date.now(), true);
    await this.settle();
    await this.checkpointNow();
  }

  /**
   * Store the alerts of every answered message and checkpoint; stop the detection thread. Events
   * of a message still unanswered stay at or after the checkpoint's replay point.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    await this.checkpointNow();
    this.closed = true;
    clearInterval(this.idleTimer);
    if (this.storeTimer) clearTimeout(this.storeTimer);
    await this.worker.terminate();
  }
}

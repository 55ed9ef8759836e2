/**
 * Messages between the detect loop (main thread, detect-loop.ts) and its detection thread
 * (detect-worker.ts). Events cross as the raw documents kept in the log, never as parsed objects
 * (a structured clone of a parsed event costs about as much as parsing it again): live events as
 * a view of their group commit's shared bytes, so the main thread neither copies nor decodes
 * them; only alerts, which are rare, come back as objects.
 */
import type { Rule } from '../ir/types.js';
import type { Alert } from '../alert/types.js';
import type { TelemetryCounts } from '../hunt/telemetry.js';

/** Events committed to the log, in seq order: parsed, run through the single-event rules at once, held for release. */
export interface ArriveMsg {
  t: 'arrive';
  id: number;
  /** The events' seqs; null: consecutive from `seq0` (a group commit's events). */
  seqs: number[] | null;
  seq0: number;
  /**
   * The events' documents joined by '\n' (a document holds no line break): live events as their
   * UTF-8 bytes, a view of the group commit's SharedArrayBuffer (nothing copied, nothing decoded
   * on the main thread); events read back from the log as one string.
   */
  raws: string | Uint8Array;
  /** `raws` (bytes) is ASCII: decoded as latin1, one byte per character. */
  ascii?: boolean;
  /** Per event: bit F_PLAIN (ingest-batch.ts) set when the document holds no 16+ digit integer, so a plain JSON.parse reads it exactly (LoggedEvent.plain). */
  flags: Uint8Array;
  /** The time the loop gave an event with no recognisable time of its own ([ms, ns]); null: the event's own (the whole array null: every event has its own). */
  times: ([number, number] | null)[] | null;
  /**
   * Every event's time as the loop orders it (its own, or the one it was given: `times`), in ms
   * and ns. The thread times by it the events it holds unparsed (detect-worker.ts, deferred).
   */
  ms?: Float64Array;
  ns?: Uint32Array;
  /** The events' host keys: `hosts[hostIx[i]]` (each distinct host sent once). */
  hosts: string[];
  hostIx: Uint32Array;
  /** The events' telemetry keys (ScannedDoc.tkey) joined by '\n', as text or UTF-8 bytes; empty for an event without one. */
  tkeys: string | Uint8Array;
}

/** Events released by the per-host reorder buffer, in release order: run through the stateful rules. */
export interface ReleaseMsg {
  t: 'release';
  id: number;
  seqs: number[];
  /**
   * The reorder buffer's low watermark after these releases ([ms, ns]; null: none known), given
   * to the stateful detector (Detector.setWatermark) so correlations keep lagging hosts' groups.
   */
  wm?: [number, number] | null;
}

export interface ReloadMsg {
  t: 'reload';
  id: number;
  rules: Rule[];
}

/** Export the detectors' state after every earlier message (answered with `snapshot`). */
export interface SnapshotMsg {
  t: 'snapshot';
  id: number;
}

/** Fault injection (tests): throw inside the thread, as a bug would; the loop must restart it. */
export interface CrashMsg {
  t: 'crash';
  id: number;
}

export type ToDetect = ArriveMsg | ReleaseMsg | ReloadMsg | SnapshotMsg | CrashMsg;

/** What `snapshot` exports: each detector's Detector.exportState() (null: no rules of that kind). */
export interface WorkerSnapshot {
  format: 'spoor.serve-detect';
  instant: unknown;
  ordered: unknown;
}

export interface DetectReply {
  id: number;
  alerts: Alert[];
  problems: string[];
  /** Seqs whose stored document no longer parses (counted as unreadable). */
  unreadable: number[];
  /** After a reload (and at start, id 0): rules compiled, and stateful rules that kept their state. */
  ruleCount?: number;
  stateKept?: number;
  /** At start (id 0): the thread's kernel id (per-thread CPU in /metrics). */
  tid?: number | null;
  /** At start (id 0) when given a snapshot: whether it was restored (else the detectors start empty, and why). */
  restored?: boolean;
  restoreNote?: string;
  /** Answer to `snapshot`: WorkerSnapshot as JSON (null when export failed, with a problem). */
  snapshot?: string | null;
  /**
   * What telemetry the detection thread's two detectors saw (blind spots), at most every 250 ms
   * (then a trailing report with id -1, answering no request) and after every reload: `instant` holds the single-event rules, `ordered` the stateful ones,
   * each in the order of the rule list split by isStateless.
   */
  telemetry?: DetectTelemetry;
  /**
   * Events of this message held unparsed for the stateful rules (arrive: deferred, see
   * detect-worker.ts), and of those released the join gate had parsed (release: deferredParsed).
   */
  deferred?: number;
  deferredParsed?: number;
  /** With `telemetry`: the detection thread's V8 heap in use (bytes). */
  heapUsed?: number;
  /** …and the heap's committed size (young generation included). */
  heapTotal?: number;
}

export interface DetectTelemetry {
  instant: TelemetryCounts | null;
  ordered: TelemetryCounts | null;
}

export interface DetectWorkerData {
  rules: Rule[];
  /** A WorkerSnapshot (JSON) saved with the checkpoint to resume from. */
  snapshot?: string;
}

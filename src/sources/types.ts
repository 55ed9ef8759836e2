/**
 * What every reader in `sources/` yields.
 *
 * Readers stream: they never hold a whole file in memory. They yield batches of events
 * (arrays) because per-event async iteration costs more than the detection itself.
 * Bad input is reported through `problems`, never thrown: a corrupt EVTX chunk or a truncated
 * JSON line is counted and named (file + line/chunk/record), and reading goes on.
 */
import type { Event } from '../events/field.js';
import type { Instant } from '../events/timestamp.js';

export interface SourceEvent {
  /** The event; empty while `deferred` is set. */
  event: Event;
  /**
   * A line a hunt's line filter left unparsed until detection, where the rules' state tells
   * whether it can matter (hunt/prefilter.ts, hunt/detector.ts). Only readers given such a
   * filter produce these.
   */
  deferred?: DeferredLine;
  /** Path of the file it came from (`-` for stdin). */
  file: string;
  /** 1-based line number (NDJSON), record number (EVTX), or index (JSON array). */
  position?: number;
  /**
   * The JSON text the event was parsed from, when the reader was asked for it (`keepText`) and
   * the line held one plain event: a hunt's sequences hold it instead of the parsed object
   * (hunt/detector.ts). A slice of the reader's block, so whoever holds it holds the block:
   * the detector drops it once the event is processed.
   */
  text?: string;
}

export type ProblemKind =
  | 'malformed-json'
  | 'malformed-xml'
  | 'corrupt-chunk'
  | 'corrupt-record'
  | 'crc-mismatch'
  /** NUL bytes removed from a line of text (a zero-filled region: a crash, a preallocated log); the line kept. */
  | 'nul-bytes'
  | 'unreadable-file'
  | 'unknown-format'
  | 'other';

export interface SourceProblem {
  kind: ProblemKind;
  file: string;
  /** Human-readable place: `line 12`, `chunk 3`, `record 4711`. */
  where?: string;
  message: string;
  /** True when data was skipped (a line, a record, a chunk); false for warnings where data was kept. */
  skipped: boolean;
}

export type ProblemSink = (p: SourceProblem) => void;

/** `syslog-json`: NDJSON with a syslog header before the JSON on each line (sources/syslog.ts). */
export type SourceFormat = 'evtx' | 'ndjson' | 'json' | 'xml' | 'es-search' | 'syslog-json';

/** An NDJSON line whose parse waits for the detector (see SourceEvent.deferred). */
export interface DeferredLine {
  text: string;
  /** Its exact time: its `@timestamp` read from the text, or for a Windows record normalization's time (hunt/prefilter.ts). */
  time: Instant;
  /** Its `"category"` values, read from the text (for a Windows record: its table rows' and its own). */
  categories: readonly string[];
  /** For a Windows record (Winlogbeat, evtx_dump, flat): its EventIDs, read from the text; the join gate reads its keys through their table rows. */
  ids?: readonly string[];
  /** Whether SourceEvent.position is a line number (else a byte offset), for a problem report. */
  numbered: boolean;
  /** Its host (normalization's eventHost), when it was read with its time. */
  host?: string | null;
  /** Given the event parseDeferred makes of the text (the filter that timed it may have more to say). */
  onParse?: (event: Event) => void;
}

/**
 * The one entry point to every event source: discover inputs, sniff their formats, read them as
 * batches of events. Problems (bad lines, unreadable files, unknown formats) go to the sink;
 * nothing is thrown for bad input.
 */
import { fileBytes, gunzipBytes, PeekableBytes, textEncoding, utf16ToUtf8 } from './bytes.js';
import { readEvtxFile } from './evtx/index.js';
import { discoverInputs, isStreamInput, streamSource, type InputFile } from './discover.js';
import { readJsonValues } from './json-values.js';
import { readNdjsonBytes, type LineFilter } from './ndjson.js';
import { SNIFF_BYTES, sniff } from './sniff.js';
import { readSyslogJson } from './syslog.js';
import type { ProblemSink, SourceEvent, SourceFormat } from './types.js';
import { readXmlEvents } from './xml/index.js';

export { cuttable, discoverInputs, diskPath, isStreamInput, readsLines, ZIP_LIMITS, type DiscoverOptions, type InputFile, type ZipLimits } from './discover.js';
export { ProblemCounter, formatProblem, type ProblemCounterOptions } from './problems.js';
export {
  readNdjsonFile,
  readNdjsonRange,
  readNdjsonBytes,
  rangeFirstLines,
  lineAtOffset,
  countNewlines,
  type NdjsonRangeOptions,
} from './ndjson.js';
export { readJsonValues, JsonValueSplitter } from './json-values.js';
export { filterKeeps, filterDecides, SKIP, PARSE, DEFER, type DeferredTimer, type LineFilter, type LineDecision } from './ndjson.js';
export { readXmlEvents } from './xml/index.js';
export { sniff, type SniffResult } from './sniff.js';
export type { EsHitRef, EsSourceEvent } from './unwrap.js';
export type { DeferredLine, ProblemKind, ProblemSink, SourceEvent, SourceFormat, SourceProblem } from './types.js';

export interface ReadOptions {
  /**
   * Bytes read per block of a text file (default 1 MiB): what one open input holds in buffers,
   * and about how much text one batch of events comes from. Smaller when many inputs are open
   * at once (a hunt merging hundreds of files), so memory stays flat as files are added.
   */
  blockBytes?: number;
  /** NDJSON: set SourceEvent.text (see there). */
  keepText?: boolean;
}

/** Read any input as batches of events; `filter` (NDJSON only) skips parsing lines it rejects. */
export async function* readInput(input: InputFile, onProblem: ProblemSink, filter?: LineFilter, opts: ReadOptions = {}): AsyncIterable<SourceEvent[]> {
  if (input.format === 'evtx') {
    yield* readEvtxFile(input.spooled ?? input.path, onProblem, input.path);
    return;
  }
  // Plain NDJSON is consumed block by block (see fileBytes `recycle`); gzip's pipe reads ahead.
  const recycle = input.format === 'ndjson' && !input.gzip;
  // A spooled input (a zip entry) is read from its copy; its path is only its name.
  const raw =
    input.spooled !== undefined
      ? fileBytes(input.spooled, undefined, undefined, recycle, opts.blockBytes)
      : isStreamInput(input.path)
        ? streamSource(input.path)
        : fileBytes(input.path, undefined, undefined, recycle, opts.blockBytes);
  yield* readTextBytes(raw, input.format, input.gzip, input.path, onProblem, filter, opts.keepText === true);
}

/** Discover and read inputs one after another. */
export async function* readInputs(paths: string[], onProblem: ProblemSink): AsyncIterable<SourceEvent[]> {
  for (const input of await discoverInputs(paths, onProblem)) yield* readInput(input, onProblem);
}

/** Read a byte stream of unknown format (sniffed from its first bytes); EVTX is not accepted here. */
export async function* readByteStream(
  bytes: AsyncIterable<Uint8Array>,
  name: string,
  onProblem: ProblemSink,
): AsyncIterable<SourceEvent[]> {
  const peekable = new PeekableBytes(bytes);
  let r;
  try {
    r = sniff(await peekable.peek(SNIFF_BYTES));
  } catch (e) {
    onProblem({ kind: 'unreadable-file', file: name, message: (e as Error).message, skipped: true });
    return;
  }
  if (r.format === null || r.format === 'evtx' || r.format === 'zip') {
    const message = 'reason' in r ? r.reason : `${r.format === 'zip' ? 'a zip archive' : 'EVTX'} cannot be read from a stream: pass the file path`;
    onProblem({ kind: 'unknown-format', file: name, message: `${message}; skipped`, skipped: true });
    return;
  }
  yield* readTextBytes(peekable, r.format, r.gzip, name, onProblem);
}

async function* readTextBytes(
  raw: AsyncIterable<Buffer>,
  format: Exclude<SourceFormat, 'evtx'>,
  gzip: boolean,
  file: string,
  onProblem: ProblemSink,
  filter?: LineFilter,
  keepText = false,
): AsyncIterable<SourceEvent[]> {
  let events = 0;
  try {
    const decompressed = gzip ? gunzipBytes(raw) : raw;
    const peekable = new PeekableBytes(decompressed);
    const encoding = textEncoding(await peekable.peek(4));
    const utf8 = encoding === 'utf8' ? peekable : utf16ToUtf8(peekable, encoding);
    const reader =
      format === 'ndjson'
        ? readNdjsonBytes(utf8, file, onProblem, filter, keepText)
        : format === 'syslog-json'
          ? readSyslogJson(utf8, file, onProblem, filter, keepText)
          : format === 'xml'
            ? readXmlEvents(utf8, file, onProblem)
            : readJsonValues(utf8, file, onProblem);
    for await (const batch of reader) {
      events += batch.length;
      yield batch;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const message = `${err.code ? `${err.code}: ` : ''}${err.message}`;
    if (events === 0) onProblem({ kind: 'unreadable-file', file, message: `${message}; nothing read`, skipped: true });
    else onProblem({ kind: 'other', file, message: `${message}; reading stopped after ${events} events`, skipped: true });
  }
}

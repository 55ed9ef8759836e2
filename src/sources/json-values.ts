/**
 * JSON arrays, concatenated (pretty-printed) JSON values and single JSON documents, streamed.
 *
 * An incremental splitter walks the bytes once, tracking strings, escapes and bracket depth,
 * and cuts out each top-level value: the elements of a top-level array (`[ {…}, {…} ]`), or
 * values that simply follow one another (`{…}\n{…}`, evtx_dump's default output), or one
 * document. Each value is parsed on its own with `parseJsonExact`; a value that does not parse
 * is reported as `malformed-json` at `element N (line L)` and skipped, and the splitter carries
 * on with the next one. Positions are 1-based element numbers.
 */
import { jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonExact } from '../events/json.js';
import { mayHoldBigLiteral } from './big-integers.js';
import type { ProblemSink, SourceEvent } from './types.js';
import { preview } from './ndjson.js';
import { valueToEvents } from './unwrap.js';

/** A single value larger than this is reported and the rest of the input abandoned. */
export const MAX_VALUE_BYTES = 512 * 1024 * 1024;

export interface SplitValue {
  bytes: Buffer;
  /** 1-based line where the value starts. */
  line: number;
}

const enum C {
  Quote = 34,
  Backslash = 92,
  Comma = 44,
  OpenBrace = 123,
  CloseBrace = 125,
  OpenBracket = 91,
  CloseBracket = 93,
  Newline = 10,
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Splits a byte stream into top-level JSON values; feed chunks, collect values. */
export class JsonValueSplitter {
  /** Depth inside the current value (0 = between values). */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Inside the outer `[ … ]` whose elements are the values. */
  private inOuterArray = false;
  /** A bare scalar (number, true, …) at top level is being collected. */
  private inScalar = false;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private valueStartLine = 0;
  private line = 1;
  /** Bytes consumed before the current chunk (to recognise a leading UTF-8 BOM). */
  private consumed = 0;
  /** Set when the input is structurally hopeless (e.g. a value over MAX_VALUE_BYTES). */
  fatal: string | null = null;

  /** Process one chunk; returns the values that were completed in it. */
  push(chunk: Buffer): SplitValue[] {
    const out: SplitValue[] = [];
    if (this.fatal) return out;
    let i = 0;
    let valueStart = this.inValue() ? 0 : -1;
    const n = chunk.length;
    // Inside strings, jump from quote to backslash with indexOf (memchr) instead of byte by byte.
    let nextQuote = -1;
    let nextBackslash = -1;
    const find = (byte: number, from: number): number => {
      const k = chunk.indexOf(byte, from);
      return k === -1 ? n : k;
    };
    for (; i < n; i++) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        let j = i;
        for (;;) {
          if (nextQuote < j) nextQuote = find(C.Quote, j);
          if (nextBackslash < j) nextBackslash = find(C.Backslash, j);
          if (nextBackslash >= nextQuote) break;
          j = nextBackslash + 2; // skip the escaped character
        }
        if (j > n) {
          this.escaped = true; // the chunk ends with a backslash
          i = n;
          break;
        }
        if (nextQuote >= n) {
          i = n; // the string goes on in the next chunk
          break;
        }
        i = nextQuote;
        this.inString = false;
        if (this.depth === 0) {
          out.push(this.finish(chunk, valueStart, i + 1));
          valueStart = -1;
        }
        continue;
      }
      const c = chunk[i]!;
      if (c === C.Newline) this.line++;
      if (this.inScalar) {
        if (isSpace(c) || c === C.Comma || c === C.CloseBracket || c === C.OpenBrace || c === C.OpenBracket || c === C.Quote) {
          this.inScalar = false;
          out.push(this.finish(chunk, valueStart, i));
          valueStart = -1;
        } else continue;
      }
      if (this.depth > 0) {
        if (c === C.Quote) this.inString = true;
        else if (c === C.OpenBrace || c === C.OpenBracket) this.depth++;
        else if (c === C.CloseBrace || c === C.CloseBracket) {
          if (--this.depth === 0) {
            out.push(this.finish(chunk, valueStart, i + 1));
            valueStart = -1;
          }
        }
        continue;
      }
      // Between values.
      if (isSpace(c) || c === C.Comma) continue;
      if (this.consumed + i < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) continue; // UTF-8 BOM
      if (c === C.OpenBracket && !this.inOuterArray) {
        this.inOuterArray = true;
        continue;
      }
      if (c === C.CloseBracket && this.inOuterArray) {
        this.inOuterArray = false;
        continue;
      }
      valueStart = i;
      this.valueStartLine = this.line - (c === C.Newline ? 1 : 0);
      if (c === C.OpenBrace || c === C.OpenBracket) this.depth = 1;
      else if (c === C.Quote) this.inString = true;
      else this.inScalar = true;
    }
    this.consumed += n;
    if (valueStart !== -1) {
      this.parts.push(chunk.subarray(valueStart));
      this.partsBytes += n - valueStart;
      if (this.partsBytes > MAX_VALUE_BYTES) {
        this.fatal = `a JSON value starting at line ${this.valueStartLine} exceeds ${MAX_VALUE_BYTES} bytes`;
        this.parts = [];
      }
    }
    return out;
  }

  /** Call at end of input: the unfinished value, if any (it will not parse: reported as truncated). */
  end(): SplitValue | null {
    if (!this.inValue() || this.fatal) return null;
    const bytes = Buffer.concat(this.parts);
    this.parts = [];
    this.partsBytes = 0;
    return { bytes, line: this.valueStartLine };
  }

  private inValue(): boolean {
    return this.depth > 0 || this.inScalar || (this.inString && this.depth === 0);
  }

  private finish(chunk: Buffer, start: number, end: number): SplitValue {
    let bytes: Buffer;
    if (this.parts.length === 0) bytes = chunk.subarray(start, end);
    else {
      this.parts.push(chunk.subarray(0, end));
      bytes = Buffer.concat(this.parts);
      this.parts = [];
      this.partsBytes = 0;
    }
    return { bytes, line: this.valueStartLine };
  }
}

/** Read a byte stream of JSON values (array, concatenated objects, one document, ES responses). */
export async function* readJsonValues(
  bytes: AsyncIterable<Buffer>,
  file: string,
  onProblem: ProblemSink,
): AsyncIterable<SourceEvent[]> {
  const splitter = new JsonValueSplitter();
  let element = 0;
  const handle = (v: SplitValue, out: SourceEvent[], truncated: boolean): void => {
    element++;
    const where = `element ${element} (line ${v.line})`;
    const text = v.bytes.toString('utf8');
    let value: unknown;
    try {
      if (jsonDepthExceeds(text)) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels`);
      value = mayHoldBigLiteral(text) ? parseJsonExact(text) : JSON.parse(text);
    } catch (err) {
      const why = truncated ? 'truncated: input ended inside this value' : (err as Error).message;
      onProblem({ kind: 'malformed-json', file, where, message: `${why} (skipped: ${preview(text)})`, skipped: true });
      return;
    }
    const bad = valueToEvents(value, file, element, out);
    if (bad) onProblem({ kind: 'malformed-json', file, where, message: bad, skipped: true });
  };
  for await (const chunk of bytes) {
    const values = splitter.push(chunk);
    if (splitter.fatal) break;
    if (values.length === 0) continue;
    const batch: SourceEvent[] = [];
    for (const v of values) handle(v, batch, false);
    if (batch.length > 0) yield batch;
  }
  if (splitter.fatal) {
    onProblem({ kind: 'malformed-json', file, message: `${splitter.fatal}; rest of file skipped`, skipped: true });
    return;
  }
  const rest = splitter.end();
  if (rest) {
    const batch: SourceEvent[] = [];
    handle(rest, batch, true);
    if (batch.length > 0) yield batch;
  }
}

/**
 * JSON arrays, concatenated (pretty-printed) JSON values and single JSON documents, streamed.
 *
 * An incremental splitter walks the bytes once, tracking strings, escapes and bracket depth,
 * and cuts out each top-level value: the elements of a top-level array (`[ {…}, {…} ]`), or
 * values that simply follow one another (`{…}\n{…}`, evtx_dump's default output), or one
 * document. Each value is parsed on its own with `parseJsonExact`; a value that does not parse
 * is reported as `malformed-json` at `element N (line L)` and skipped, and the splitter carries
 * on with the next one. Positions are 1-based element numbers.
 *
 * A broken element can swallow the ones after it: a dropped quote turns strings inside out and a
 * cut-off element leaves its brackets open, so the splitter's next "value" runs on over the good
 * elements (to the end of the file, or to wherever the brackets happen to close). The elements of
 * such a value are read again (recoverValues): its text is cut at each later line that starts,
 * at the column of the elements, with `{`, and each part is taken if its object parses. One
 * problem names the lines given up; the elements after them are read as usual.
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
  /** 0-based column (in bytes) where the value starts on that line. */
  column: number;
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
  private valueStartColumn = 0;
  private line = 1;
  /** Absolute offset of the current line's first byte (for the column of a value). */
  private lineStart = 0;
  /** Bytes consumed before the current chunk (to recognise a leading UTF-8 BOM). */
  private consumed = 0;
  /** Set when the input is structurally hopeless (e.g. a value over MAX_VALUE_BYTES). */
  fatal: string | null = null;
  /** NUL bytes passed over between values since the reader last looked, and the line of the first. */
  nulBytes = 0;
  nulLine = 0;

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
    // Raw newlines inside a string (invalid JSON, but a broken element makes the splitter see
    // strings across lines) are counted too, so the lines of the values after it stay right.
    let nextNewline = -1;
    const countNewlines = (from: number, to: number): void => {
      if (nextNewline < from) nextNewline = find(C.Newline, from);
      while (nextNewline < to) {
        this.line++;
        this.lineStart = this.consumed + nextNewline + 1;
        nextNewline = find(C.Newline, nextNewline + 1);
      }
    };
    const find = (byte: number, from: number): number => {
      const k = chunk.indexOf(byte, from);
      return k === -1 ? n : k;
    };
    for (; i < n; i++) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          if (chunk[i] === C.Newline) {
            this.line++;
            this.lineStart = this.consumed + i + 1;
          }
          continue;
        }
        const from = i;
        let j = i;
        for (;;) {
          if (nextQuote < j) nextQuote = find(C.Quote, j);
          if (nextBackslash < j) nextBackslash = find(C.Backslash, j);
          if (nextBackslash >= nextQuote) break;
          j = nextBackslash + 2; // skip the escaped character
        }
        if (j > n) {
          this.escaped = true; // the chunk ends with a backslash
          countNewlines(from, n);
          i = n;
          break;
        }
        if (nextQuote >= n) {
          countNewlines(from, n);
          i = n; // the string goes on in the next chunk
          break;
        }
        countNewlines(from, nextQuote);
        i = nextQuote;
        this.inString = false;
        if (this.depth === 0) {
          out.push(this.finish(chunk, valueStart, i + 1));
          valueStart = -1;
        }
        continue;
      }
      const c = chunk[i]!;
      if (c === C.Newline) {
        this.line++;
        this.lineStart = this.consumed + i + 1;
      }
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
      // Between values (NUL bytes too: a zero-filled region of a log that crashed while writing).
      if (isSpace(c) || c === C.Comma) continue;
      if (c === 0) {
        if (this.nulBytes++ === 0) this.nulLine = this.line;
        continue;
      }
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
      this.valueStartColumn = this.consumed + i - this.lineStart;
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
    return { bytes, line: this.valueStartLine, column: this.valueStartColumn };
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
    return { bytes, line: this.valueStartLine, column: this.valueStartColumn };
  }
}

/**
 * End (exclusive) of the balanced JSON object at the start of `text` (`{`), tracking strings and
 * escapes; -1 when the text ends first.
 */
function objectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === C.Backslash) i++;
      else if (c === C.Quote) inString = false;
    } else if (c === C.Quote) inString = true;
    else if (c === C.OpenBrace || c === C.OpenBracket) depth++;
    else if ((c === C.CloseBrace || c === C.CloseBracket) && --depth === 0) return i + 1;
  }
  return -1;
}

/** What recoverValues found in a value that did not parse. */
export interface Recovered {
  /** Values that parse, with the line each starts on. */
  values: { value: unknown; text: string; line: number }[];
  /** Last line given up before the first element start found. */
  lostTo: number;
  /** Element-sized parts between the values found that do not parse (other broken elements): where each starts and ends. */
  gaps: { line: number; lostTo: number; text: string }[];
}

/**
 * The elements a value that did not parse swallowed (see the header). The text is cut at each
 * line after its first whose first non-blank character is `{` at `column` — an element starts
 * there; a nested object sits deeper — so every part is read once and the work stays linear
 * (trying each start against the whole rest of the text was quadratic on a run of cut-off
 * elements). A part is an element when its balanced object parses (what follows it must be
 * separators: `,`, `]`, blanks); otherwise it is a gap. `firstLine` is the text's first line.
 * Null when no line starts an element or none of the parts parses. `work.chars`, when given,
 * counts the characters scanned and parsed (for tests: at most twice the text).
 */
export function recoverValues(text: string, firstLine: number, column: number, parse: (t: string) => unknown, work?: { chars: number }): Recovered | null {
  const starts: { at: number; line: number }[] = [];
  let line = firstLine;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', nl + 1)) {
    line++;
    const start = nl + 1;
    let k = start;
    while (k - start < column && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    if (k - start === column && text.charCodeAt(k) === C.OpenBrace) starts.push({ at: k, line });
  }
  if (starts.length === 0) return null;
  const values: Recovered['values'] = [];
  const gaps: Recovered['gaps'] = [];
  let chars = 0;
  for (let i = 0; i < starts.length; i++) {
    const { at, line: startLine } = starts[i]!;
    const part = text.slice(at, i + 1 < starts.length ? starts[i + 1]!.at : text.length);
    const end = objectEnd(part);
    chars += end === -1 ? part.length : end;
    let value: unknown;
    let ok = false;
    if (end !== -1 && /^[\s,\]]*$/.test(part.slice(end))) {
      chars += end;
      try {
        value = parse(part.slice(0, end));
        ok = true;
      } catch {
        ok = false;
      }
    }
    if (ok) values.push({ value, text: part.slice(0, end), line: startLine });
    else {
      // Without the separators after it (a loop: a regex anchored at the end retries at every
      // position of a long blank run).
      let stop = part.length;
      for (let c = part.charCodeAt(stop - 1); stop > 0 && (c === 44 || c === 93 || c === 32 || c === 9 || c === 10 || c === 13); c = part.charCodeAt(--stop - 1));
      const body = part.slice(0, stop);
      gaps.push({ line: startLine, lostTo: startLine + countLines(body) - 1, text: body });
    }
  }
  if (work) work.chars = chars;
  if (values.length === 0) return null;
  return { values, lostTo: starts[0]!.line - 1, gaps };
}

/** Lines a text spans (1 + its newlines). */
function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export async function* readJsonValues(
  bytes: AsyncIterable<Buffer>,
  file: string,
  onProblem: ProblemSink,
): AsyncIterable<SourceEvent[]> {
  const splitter = new JsonValueSplitter();
  let element = 0;
  /** The column the input's values start at (from its first value), where recovery looks for elements. */
  let column: number | null = null;
  const parse = (text: string): unknown => {
    if (jsonDepthExceeds(text)) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    return mayHoldBigLiteral(text) ? parseJsonExact(text) : JSON.parse(text);
  };
  const emit = (value: unknown, where: string, out: SourceEvent[]): void => {
    const bad = valueToEvents(value, file, element, out);
    if (bad) onProblem({ kind: 'malformed-json', file, where, message: bad, skipped: true });
  };
  const handle = (v: SplitValue, out: SourceEvent[], truncated: boolean): void => {
    element++;
    column ??= v.column;
    const where = `element ${element} (line ${v.line})`;
    const text = v.bytes.toString('utf8');
    let value: unknown;
    try {
      value = parse(text);
    } catch (err) {
      const rec = recoverValues(text, v.line, column, parse);
      // With elements read again after it, the input ended in the last of them, not in this one.
      const why = truncated && rec === null ? 'truncated: input ended inside this value' : (err as Error).message;
      const lines = rec === null ? countLines(text) : rec.lostTo - v.line + 1;
      // What was given up: its lines, or for a value on one line (a minified array) its size.
      const span = lines > 1 ? `; lines ${v.line}–${v.line + lines - 1} skipped` : rec === null && text.length > 1024 ? `; ${text.length.toLocaleString('en-US')} characters skipped` : '';
      const resumed = rec === null ? '' : `, reading resumed at line ${rec.lostTo + 1}`;
      onProblem({ kind: 'malformed-json', file, where, message: `${why} (skipped: ${preview(text)})${span}${resumed}`, skipped: true });
      if (rec !== null) {
        // Values and the broken text between them, in the order of the input.
        const items = [...rec.values.map((r) => ({ line: r.line, r, g: null })), ...rec.gaps.map((g) => ({ line: g.line, r: null, g }))].sort((a, b) => a.line - b.line);
        for (const it of items) {
          element++;
          const at = `element ${element} (line ${it.line})`;
          if (it.r !== null) emit(it.r.value, at, out);
          else {
            const g = it.g!;
            const gapSpan = g.lostTo > g.line ? `; lines ${g.line}–${g.lostTo} skipped` : '';
            // The input ended inside it only when it is the text's last part.
            const last = truncated && it === items.at(-1);
            onProblem({ kind: 'malformed-json', file, where: at, message: `${last ? 'truncated: input ended inside this value' : 'not a complete JSON value'} (skipped: ${preview(g.text)})${gapSpan}`, skipped: true });
          }
        }
      }
      return;
    }
    emit(value, where, out);
  };
  const nulWarning = (): void => {
    if (splitter.nulBytes === 0) return;
    onProblem({ kind: 'nul-bytes', file, where: `line ${splitter.nulLine}`, message: `${splitter.nulBytes.toLocaleString('en-US')} NUL bytes between values ignored (a zero-filled region: a crash while writing, or a preallocated log)`, skipped: false });
    splitter.nulBytes = 0;
  };
  for await (const chunk of bytes) {
    const values = splitter.push(chunk);
    // Reported when a value follows the zeros (or at the end): one warning per zero-filled region.
    if (values.length > 0) nulWarning();
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
  nulWarning();
  const rest = splitter.end();
  if (rest) {
    const batch: SourceEvent[] = [];
    handle(rest, batch, true);
    if (batch.length > 0) yield batch;
  }
}

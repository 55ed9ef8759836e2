/**
 * JSON events behind a syslog header: the files a central rsyslog / syslog-ng server writes when
 * nxlog or Winlogbeat ship Windows events over syslog, one `HEADER {json}` per line.
 *
 * Accepted headers, anchored at the line start, the JSON starting within the line's first
 * HEAD_BYTES bytes (docs/sources.md "Syslog-prefixed JSON"):
 *   RFC 3164 / rsyslog traditional  `[<PRI>]Mmm dd hh:mm:ss[.frac] HOST [TAG[PID]:] {…}` (day padded
 *                                   with a space or a zero, an optional year after the day)
 *   RFC 3339 (RSYSLOG_FileFormat)   `[<PRI>]YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm] HOST [TAG[PID]:] {…}`
 *   RFC 5424                        `<PRI>VER TIMESTAMP HOST APP PROCID MSGID SD [BOM]{…}` (any field `-`,
 *                                   SD `-` or `[id k="v" …]` blocks)
 *   CEE cookie                      `@cee:` before the JSON after any header above, or alone at the line start
 * The header's time and host are not used: the JSON carries its own.
 *
 * Reading is a byte transform in front of the NDJSON reader: each line's header is cut off, so the
 * NDJSON reader sees exactly the lines of an NDJSON file of the JSON parts (same parsing, 64-bit
 * integers exact, same line filter soundness) with the same line numbers. A line that is plain
 * JSON (or blank) passes unchanged; a line with neither a header followed by JSON nor JSON is
 * reported here as `malformed-json` at its line and replaced by an empty line.
 */
import { readNdjsonBytes, type LineFilter } from './ndjson.js';
import type { ProblemSink, SourceEvent, SourceProblem } from './types.js';

/** The JSON must start within this many bytes of the line start (the header is at most about 1 KB). */
export const HEAD_BYTES = 1100;

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const BSD_TIME = `${MONTH} (?: ?\\d|\\d\\d)(?: \\d{4})? \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?`;
const ISO_TIME = '\\d{4}-\\d\\d-\\d\\d[Tt]\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?(?:[Zz]|[+-]\\d\\d:?\\d\\d)?';
/** A header field: no blanks (header text is matched as latin1 bytes or as decoded text). */
const TOKEN = '[^ \\t\\r\\n]';
/** `tag:` or `tag[pid]:`; a tag may hold spaces (nxlog's `Service Control Manager`), not `:[]{}`. */
const TAG = '[^ \\t\\r\\n:\\[\\]{}][^\\t\\r\\n:\\[\\]{}]{0,127}(?:\\[[^ \\t\\r\\n\\]]{0,64}\\])?:';
const CEE = '(?:@cee: *)?';
const SD_ELEMENT = '\\[[^ \\]="]{1,32}(?: [^ \\]="]{1,32}="(?:[^"\\\\\\r\\n]|\\\\.)*")*\\]';

const HEADERS: readonly RegExp[] = [
  // RFC 5424: <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
  new RegExp(
    `^<\\d{1,3}>\\d{1,2} (?:-|${ISO_TIME}) (?:-|${TOKEN}{1,255}) (?:-|${TOKEN}{1,48}) (?:-|${TOKEN}{1,128}) (?:-|${TOKEN}{1,32}) (?:-|(?:${SD_ELEMENT})+)(?: (?:\\xef\\xbb\\xbf|\\ufeff)?)? *${CEE}`,
  ),
  // RFC 3164 / RFC 3339 timestamps, rsyslog's and syslog-ng's file formats
  new RegExp(`^(?:<\\d{1,3}>)?(?:${BSD_TIME}|${ISO_TIME}) +${TOKEN}{1,255}(?: +${TAG})? *${CEE}`),
  // the CEE cookie alone
  /^@cee: */,
];

/** No syslog header at the line start. */
export const NO_HEADER = -2;
/** A syslog header, but no `{` after it. */
export const NO_JSON = -1;

/**
 * Where the JSON of a syslog line starts (the index of its `{`), or NO_JSON / NO_HEADER. `line` is
 * the line's start (at least HEAD_BYTES of it when it is longer), as latin1 bytes or decoded text.
 */
export function syslogJsonStart(line: string): number {
  for (const re of HEADERS) {
    const m = re.exec(line);
    if (m) return line.charCodeAt(m[0].length) === 123 /* { */ && m[0].length < HEAD_BYTES ? m[0].length : NO_JSON;
  }
  return NO_HEADER;
}

/** Lines of a head looked at by looksLikeSyslogJson. */
const SNIFF_LINES = 8;

/**
 * Sniffing (sniff.ts): of the first non-blank lines (up to SNIFF_LINES) of a head that is not
 * JSON, XML or EVTX, at least half are a syslog header followed by JSON that parses. A head of
 * one line (an event longer than the head): its header is followed by `{`, and its JSON parses
 * unless the line is longer than 16 KB.
 */
export function looksLikeSyslogJson(t: string, parses: (json: string) => boolean): boolean {
  const lines = t.split('\n');
  if (lines.length === 1) {
    // One line, maybe longer than the head: its header and `{` must be there, and its JSON parse
    // unless the line is too long to be whole in the head.
    const at = syslogJsonStart(t);
    return at >= 0 && (parses(t.slice(at)) || t.length > 16 * 1024);
  }
  lines.pop(); // the last line of a head may be cut
  const first = lines
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim().length > 0)
    .slice(0, SNIFF_LINES);
  if (first.length === 0) return false;
  // At least half of them syslog lines whose JSON parses: a broken event, a stray text line or
  // rsyslogd's own start message may come first; a text log (even with some JSON) is not taken.
  let good = 0;
  for (const line of first) {
    const at = syslogJsonStart(line);
    if (at >= 0 && parses(line.slice(at))) good++;
  }
  return good > 0 && 2 * good >= first.length;
}

const NEWLINE = Buffer.from('\n');

/**
 * Read a UTF-8 byte stream of syslog lines as NDJSON of their JSON parts (see above): the NDJSON
 * reader, `filter` and `keepText` as there.
 */
export function readSyslogJson(bytes: AsyncIterable<Buffer>, file: string, onProblem: ProblemSink, filter?: LineFilter, keepText = false): AsyncIterable<SourceEvent[]> {
  // The lines this transform skips are reported in line order with the NDJSON reader's problems:
  // queued until the reader reports a later line, or asks for the block after theirs (it reads
  // every whole line of a block before asking for the next).
  const queued: SourceProblem[] = [];
  const flushBefore = (line: number): void => {
    let n = 0;
    while (n < queued.length && lineOf(queued[n]!) < line) onProblem(queued[n++]!);
    queued.splice(0, n);
  };
  const readerSink: ProblemSink = (p) => {
    flushBefore(lineOf(p));
    onProblem(p);
  };
  return readNdjsonBytes(stripSyslogHeaders(bytes, file, queued, () => flushBefore(Infinity)), file, readerSink, filter, keepText);
}

/** The line number of a problem (`line N`), Infinity when it names none. */
function lineOf(p: SourceProblem): number {
  const m = /^line (\d+)$/.exec(p.where ?? '');
  return m ? Number(m[1]) : Infinity;
}

/**
 * Cut the syslog header off every line of a UTF-8 byte stream (see above); lines and their count
 * are kept, so the NDJSON reader's line numbers are the file's. Skipped lines go to `queued`;
 * `flush` is called when the consumer asks for more after a block.
 */
async function* stripSyslogHeaders(bytes: AsyncIterable<Buffer>, file: string, queued: SourceProblem[], flush: () => void): AsyncIterable<Buffer> {
  /** The start of a line not decided yet (shorter than HEAD_BYTES, no newline yet): a copy. */
  let pending: Buffer | null = null;
  /** At a line start (its head to be decided), or in a line: copying it on, or dropping it (reported). */
  let mode: 'head' | 'copy' | 'drop' = 'head';
  let atFileStart = true;
  let lineNo = 1;
  /** Decide the line starting at `p`; returns where copying goes on (`lineEnd` when the line is dropped). */
  const decide = (buf: Buffer, p: number, lineEnd: number): number => {
    const head = buf.toString('latin1', p, Math.min(lineEnd, p + HEAD_BYTES));
    const text = head.replace(/^[ \t]+/, '');
    mode = 'copy';
    if (text.charCodeAt(0) === 123 /* { */ || /^\r?$/.test(text)) return p; // plain JSON, or blank
    const at = syslogJsonStart(head);
    if (at >= 0) return p + at;
    const shown = buf.toString('utf8', p, Math.min(lineEnd, p + 80)).replace(/\r$/, '');
    queued.push({
      kind: 'malformed-json',
      file,
      where: `line ${lineNo}`,
      message: `${at === NO_JSON ? 'no JSON after the syslog header' : 'neither JSON nor a syslog header followed by JSON'} (line skipped: ${JSON.stringify(shown.length > 60 ? `${shown.slice(0, 60)}…` : shown)})`,
      skipped: true,
    });
    mode = 'drop';
    return lineEnd;
  };
  const run = (buf: Buffer, atEnd: boolean, out: Buffer[]): void => {
    let p = 0;
    while (p < buf.length) {
      if (mode === 'head') {
        if (atFileStart) {
          if (buf.length < 3 && !atEnd) {
            pending = Buffer.from(buf);
            return;
          }
          atFileStart = false;
          if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3; // the UTF-8 byte order mark
          continue;
        }
        // A run of NUL bytes before a line (a zero-filled region: a crash, a preallocated log) is
        // handed on for the NDJSON reader to remove and report; the line after it is read.
        let j = p;
        while (j < buf.length && buf[j] === 0) j++;
        if (j > p) {
          out.push(buf.subarray(p, j));
          p = j;
          continue;
        }
        const nl = buf.indexOf(10, p);
        if (nl === -1 && !atEnd && buf.length - p < HEAD_BYTES + 3) {
          pending = Buffer.from(buf.subarray(p));
          return;
        }
        p = decide(buf, p, nl === -1 ? buf.length : nl);
        continue;
      }
      const nl = buf.indexOf(10, p);
      const end = nl === -1 ? buf.length : nl + 1;
      if (mode === 'copy') out.push(buf.subarray(p, end));
      else if (nl !== -1) out.push(NEWLINE);
      p = end;
      if (nl !== -1) {
        mode = 'head';
        lineNo++;
      }
    }
  };
  for await (const chunk of bytes) {
    const buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    const out: Buffer[] = [];
    run(buf, false, out);
    if (out.length > 0) yield Buffer.concat(out);
    flush();
  }
  if (pending) {
    const out: Buffer[] = [];
    run(pending, true, out);
    if (out.length > 0) yield Buffer.concat(out);
  }
  flush();
}

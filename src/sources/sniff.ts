/**
 * Format sniffing from the first bytes of an input, never from its name.
 *
 *   `ElfFile\0`                → evtx
 *   `PK\3\4` / `PK\5\6`          → zip: an archive (or an empty one) whose entries are read as
 *                                files (zip.ts, discover.ts)
 *   1F 8B                      → gzip: decompress the head and sniff again
 *   BOM (EF BB BF / FF FE / FE FF) → skipped (UTF-16 text is re-encoded as UTF-8 when read);
 *                                UTF-16 without a BOM is recognised when it starts with ASCII
 *   `<`                        → xml (Windows event XML)
 *   `[`                        → json (an array, streamed element by element)
 *   `{` + Elasticsearch keys   → es-search (`took`, `timed_out`, `_shards`, `hits`, `_scroll_id`)
 *   `{` + first line is JSON   → ndjson
 *   `{` + a multi-line value   → json (pretty-printed objects one after another, or one document)
 *   syslog header + `{`        → syslog-json, tested first (a syslog line may start with `<PRI>`):
 *                                at least half of the first 8 non-blank lines are a syslog header
 *                                then JSON that parses (rsyslog / syslog-ng files; syslog.ts)
 *   anything else, NUL bytes   → unknown (reported as `unknown-format`, skipped); runs of 8+ NUL
 *                                bytes in text (a zero-filled region) are looked through
 * An empty or blank input is ndjson with no events.
 */
import { parseJsonExact } from '../events/json.js';
import { decodeHead, gunzipHead, isGzip, textEncoding } from './bytes.js';
import { JsonValueSplitter } from './json-values.js';
import { looksLikeSyslogJson } from './syslog.js';
import type { SourceFormat } from './types.js';
import { isZip } from './zip.js';

export const SNIFF_BYTES = 64 * 1024;
export const EVTX_MAGIC = Buffer.from('ElfFile\0', 'latin1');

export type SniffResult =
  /** `utf16`: the text is UTF-16 (re-encoded while read; never cut by byte ranges). */
  | { format: SourceFormat; gzip: boolean; utf16?: true }
  /** A zip archive: not itself a format of events, a container of inputs (discover.ts opens it). */
  | { format: 'zip'; gzip: boolean }
  | { format: null; gzip: boolean; reason: string };

const ES_KEYS = /^\{\s*"(took|timed_out|_shards|hits|_scroll_id|pit_id)"\s*:/;

export function isEvtx(head: Uint8Array): boolean {
  return head.length >= 8 && EVTX_MAGIC.equals(Buffer.from(head.buffer, head.byteOffset, 8));
}

/** Sniff the first bytes of an input (`head` may be shorter than SNIFF_BYTES at end of input). */
export function sniff(head: Buffer): SniffResult {
  if (isGzip(head)) {
    const inner = gunzipHead(head);
    if (isEvtx(inner)) return { format: 'evtx', gzip: true };
    if (isZip(inner)) return { format: 'zip', gzip: true };
    const r = sniffText(inner);
    return r.format ? { ...r, gzip: true } : { format: null, gzip: true, reason: `gzip: ${r.reason}` };
  }
  if (isEvtx(head)) return { format: 'evtx', gzip: false };
  if (isZip(head)) return { format: 'zip', gzip: false };
  return sniffText(head);
}

/** Decoded text of a head: UTF-8 or UTF-16 (bytes.ts textEncoding), without a byte order mark. */
export function headText(head: Buffer): string {
  return decodeHead(head);
}

function sniffText(head: Buffer): SniffResult {
  const encoding = textEncoding(head);
  const r = sniffDecoded(decodeHead(head, encoding));
  return r.format !== null && r.format !== 'zip' && encoding !== 'utf8' ? { format: r.format, gzip: r.gzip, utf16: true } : r;
}

function sniffDecoded(decoded: string): SniffResult {
  let text = decoded;
  if (text.includes('\u0000')) {
    // A log extended with zeros by a crash (or preallocated) is text with runs of NULs: sniffed
    // without them (the readers drop them and say so). A NUL anywhere else — UTF-16 text without
    // a byte order mark that does not start with ASCII, binary data — is not text.
    text = text.replace(/\u0000{8,}/g, '');
    if (text.includes('\u0000')) return { format: null, gzip: false, reason: 'binary data (NUL bytes), not a known format' };
  }
  const t = text.trimStart();
  if (t.length === 0) return { format: 'ndjson', gzip: false };
  const c = t[0];
  // Before XML: a syslog line may start with `<PRI>`.
  if (c !== '{' && c !== '[' && looksLikeSyslogJson(t, parsesAlone)) return { format: 'syslog-json', gzip: false };
  if (c === '<') return { format: 'xml', gzip: false };
  if (c === '[') return { format: 'json', gzip: false };
  if (c !== '{') return { format: null, gzip: false, reason: `starts with ${JSON.stringify(t.slice(0, 12))}: not JSON, XML or EVTX` };
  if (ES_KEYS.test(t)) return { format: 'es-search', gzip: false };
  return { format: looksLikeNdjson(t) ? 'ndjson' : 'json', gzip: false };
}

function parsesAlone(line: string): boolean {
  try {
    parseJsonExact(line);
    return true;
  } catch {
    return false;
  }
}

function looksLikeNdjson(t: string): boolean {
  const lines = t.split('\n');
  const complete = lines.length > 1 ? lines.slice(0, -1) : lines; // the last line of a head may be cut
  const firstLines = complete.map((l) => l.trim()).filter((l) => l.length > 0);
  if (firstLines.length === 0) return true; // one long line: NDJSON with a big first event
  if (parsesAlone(firstLines[0]!)) return true;
  // The first value spans several lines: pretty-printed JSON.
  const values = new JsonValueSplitter().push(Buffer.from(t, 'utf8'));
  if (values.length > 0 && values[0]!.bytes.includes(10)) return false;
  // A broken first line followed by good ones is still NDJSON.
  return firstLines.length > 1 && firstLines[1]!.startsWith('{') && parsesAlone(firstLines[1]!);
}

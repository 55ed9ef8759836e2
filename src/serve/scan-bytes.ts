/**
 * scan-doc.ts's scan on the request's bytes: the same decisions (valid JSON, the host.id /
 * @timestamp shape, the telemetry key) read from the UTF-8 body before anything is decoded, so the
 * ingest path never builds a string of the document itself. Only the host key and the time text
 * are decoded (a few dozen bytes); the telemetry key is copied as bytes (`tkeyBytes`).
 *
 * Equal to `scanDocument(text)` on the decoded text by construction and by test
 * (test/serve/scan-bytes.test.ts): whenever one decides, the other decides the same host, time,
 * `big` and key; whenever one returns null, so does the other. On top of the JSON grammar it checks
 * that the bytes are well-formed UTF-8 (a document holding invalid sequences is left to the string
 * path, which decodes them to U+FFFD as before).
 */
import { parseTimestamp } from '../events/timestamp.js';
import { OTHER_SHAPE } from './scan-doc.js';

/** What the last successful scan read (reused: no object per document). */
export const scanned = {
  host: '',
  ms: 0,
  ns: 0,
  big: false,
  /** The document is ASCII (its bytes are its UTF-16 text, one for one). */
  ascii: true,
  /** Length of the telemetry key in `tkeyBytes` (-1: none; ScannedDoc.tkey null). */
  tkeyLen: -1,
};

/** The telemetry key's bytes (ScannedDoc.tkey as UTF-8), `scanned.tkeyLen` long. */
export let tkeyBytes = new Uint8Array(512);

const PID_SLOT = 6;
const NAME_SLOT = 7;
const SEP = 0x01;
const ABSENT = 0x02;
const OTHER = 0x03;
const slotFrom = new Int32Array(8);
const slotTo = new Int32Array(8);
const MAX_DEPTH = 512;
const objs = new Uint8Array(MAX_DEPTH);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const OTHER_SHAPE_BYTES = OTHER_SHAPE.map((k) => Buffer.from(k, 'latin1'));
const W_WINLOG = Buffer.from('winlog', 'latin1');
const W = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_HOST = W('host');
const K_TS = W('@timestamp');
const K_EVENT = W('event');
const K_PROCESS = W('process');
const K_CATEGORY = W('category');
const K_PROVIDER = W('provider');
const K_TYPE = W('type');
const K_CODE = W('code');
const K_MODULE = W('module');
const K_DATASET = W('dataset');
const K_PID = W('pid');
const K_NAME = W('name');
const K_EXECUTABLE = W('executable');
const L_TRUE = W('true');
const L_FALSE = W('false');
const L_NULL = W('null');

function startsWith(b: Uint8Array, at: number, word: Uint8Array): boolean {
  const n = word.length;
  for (let k = 0; k < n; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

/** Whether the key whose quotes are at `i` and `end - 1` is `word`. */
function keyIs(b: Uint8Array, i: number, end: number, word: Uint8Array): boolean {
  return end - i - 2 === word.length && startsWith(b, i + 1, word);
}

/** OTHER_SHAPE's keys by length (the key's length picks the few to compare). */
const OTHER_BY_LEN: Uint8Array[][] = [];
for (const k of OTHER_SHAPE_BYTES) (OTHER_BY_LEN[k.length] ??= []).push(k);

function otherShape(b: Uint8Array, i: number, end: number): boolean {
  if (b[i + 1] === 0x77 && startsWith(b, i + 1, W_WINLOG)) return true;
  const of = OTHER_BY_LEN[end - i - 2];
  if (of !== undefined) for (let k = 0; k < of.length; k++) if (startsWith(b, i + 1, of[k]!)) return true;
  return false;
}

function eventSlot(b: Uint8Array, i: number, end: number): number {
  const c = b[i + 1];
  switch (end - i - 2) {
    case 8:
      return c === 0x63 && keyIs(b, i, end, K_CATEGORY) ? 0 : c === 0x70 && keyIs(b, i, end, K_PROVIDER) ? 5 : -1;
    case 4:
      return c === 0x74 && keyIs(b, i, end, K_TYPE) ? 1 : c === 0x63 && keyIs(b, i, end, K_CODE) ? 2 : -1;
    case 6:
      return c === 0x6d && keyIs(b, i, end, K_MODULE) ? 3 : -1;
    case 7:
      return c === 0x64 && keyIs(b, i, end, K_DATASET) ? 4 : -1;
    default:
      return -1;
  }
}

/** 1 for a byte that needs no look inside a string: 0x20–0x7f but the quote and backslash. */
const PLAIN = new Uint8Array(257); // index 256: reading past the buffer's end gives undefined → PLAIN[undefined] is undefined, not 1
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/** Whether the last string scanned held an escape / a byte ≥ 0x80. */
let strEscaped = false;
let strHigh = false;
/** Whether any string of the document held a byte ≥ 0x80. */
let docHigh = false;

/**
 * Scan a string whose opening quote is at `i`; returns the index after the closing quote, or -1
 * (unterminated, a control character, a bad escape, malformed UTF-8: the string path decides).
 */
function scanString(b: Uint8Array, i: number, end: number): number {
  return stringRest(b, i + 1, end);
}

/** scanString from `j`, inside the string (the bytes before it plain). */
function stringRest(b: Uint8Array, j: number, end: number): number {
  strEscaped = false;
  strHigh = false;
  while (j < end) {
    // Plain bytes (printable ASCII other than the quote and backslash) in a tight loop.
    while (PLAIN[b[j]!] === 1) j++;
    if (j >= end) return -1;
    const c = b[j]!;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      strEscaped = true;
      const e = b[j + 1];
      if (e === 0x75) {
        for (let k = 2; k < 6; k++) {
          const h = b[j + k]!;
          if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return -1;
        }
        j += 6;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) j += 2;
      else return -1;
      continue;
    }
    if (c < 0x20) return -1;
    if (c < 0x80) {
      j++;
      continue;
    }
    // A multi-byte sequence: well-formed UTF-8 only (no overlong form, surrogate or value past U+10FFFF).
    strHigh = docHigh = true;
    if (c >= 0xc2 && c <= 0xdf) {
      if (j + 1 >= end || (b[j + 1]! & 0xc0) !== 0x80) return -1;
      j += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (j + 2 >= end) return -1;
      const c1 = b[j + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[j + 2]! & 0xc0) !== 0x80) return -1;
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 >= 0xa0)) return -1;
      j += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (j + 3 >= end) return -1;
      const c1 = b[j + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[j + 2]! & 0xc0) !== 0x80 || (b[j + 3]! & 0xc0) !== 0x80) return -1;
      if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) return -1;
      j += 4;
    } else return -1;
  }
  return -1;
}

let numDigits = 0;

function scanNumber(b: Uint8Array, i: number): number {
  let j = i;
  if (b[j] === 0x2d) j++;
  const start = j;
  let c = b[j]!;
  if (c === 0x30) j++;
  else if (c >= 0x31 && c <= 0x39) {
    j++;
    while ((c = b[j]!) >= 0x30 && c <= 0x39) j++;
  } else return -1;
  numDigits = j - start;
  if (b[j] === 0x2e) {
    j++;
    const f = j;
    while ((c = b[j]!) >= 0x30 && c <= 0x39) j++;
    if (j === f) return -1;
  }
  c = b[j]!;
  if (c === 0x65 || c === 0x45) {
    j++;
    c = b[j]!;
    if (c === 0x2b || c === 0x2d) j++;
    const e = j;
    while ((c = b[j]!) >= 0x30 && c <= 0x39) j++;
    if (j === e) return -1;
  }
  return j;
}

/** Spaces and line feeds only: scan-doc.ts leaves any other control character (tab, CR) to the parser. */
function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a) break;
    i++;
  }
  return i;
}

function literal(b: Uint8Array, i: number, word: Uint8Array): number {
  return startsWith(b, i, word) ? i + word.length : -1;
}

/** Host keys, one string each (decoded once per distinct key while the table holds it). */
const hosts = new Map<string, string>();

function intern(v: string): string {
  const have = hosts.get(v);
  if (have !== undefined) return have;
  if (hosts.size >= 100_000) hosts.clear();
  hosts.set(v, v);
  return v;
}

/**
 * The host key of `b[from, to)`: the string held for the same bytes when the table has them (no
 * string made, no text hashed), else decoded and interned. Slots by a hash of the bytes; a
 * collision replaces the slot's entry.
 */
const HOST_SLOTS = 4096;
const slotBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(HOST_SLOTS).fill(undefined);
const slotHost: string[] = new Array<string>(HOST_SLOTS).fill('');

function hostOf(b: Buffer, from: number, to: number, high: boolean): string {
  const n = to - from;
  // Hashed on its last 16 bytes at most (where host ids and names differ), compared in full.
  let h = 0x811c9dc5 ^ n;
  for (let k = n > 16 ? to - 16 : from; k < to; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (HOST_SLOTS - 1);
  const have = slotBytes[slot];
  if (have !== undefined && have.length === n) {
    let k = 0;
    while (k < n && have[k] === b[from + k]) k++;
    if (k === n) return slotHost[slot]!;
  }
  const host = intern(text(b, from, to, high));
  const copy = new Uint8Array(n);
  for (let k = 0; k < n; k++) copy[k] = b[from + k]!;
  slotBytes[slot] = copy;
  slotHost[slot] = host;
  return host;
}

/** The day (`YYYY-MM-DD`) canonicalTime read last, and its milliseconds at 00:00 UTC. */
const dayBytes = new Uint8Array(10);
let dayKnown = false;
let dayMs = 0;
const TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const dg = (b: Uint8Array, i: number): number => b[i]! - 48;

/**
 * timestamp.ts parseCanonicalUtc (the path parseTimestamp takes for `YYYY-MM-DDTHH:MM:SS[.f…]Z`
 * and the zone-less `YYYY-MM-DD HH:MM:SS[.f…]`) on the ASCII bytes `b[from, to)`, step for step,
 * so the same instant without the text made: sets scanned.ms / scanned.ns. False where it gives null
 * (parseTimestamp then decides on the text, as before).
 */
function canonicalTime(b: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  const sep = b[from + 10];
  if (n < 19 || (sep !== 84 && sep !== 32) || b[from + 4] !== 45 || b[from + 7] !== 45) return false;
  if (b[from + 13] !== 58 || b[from + 16] !== 58) return false;
  const zoned = b[to - 1] === 90;
  if (zoned ? n < 20 : n > 19 && (n === 20 || b[from + 19] !== 46)) return false;
  const end = zoned ? n - 1 : n;
  for (let k = 0; k < TIME_DIGITS.length; k++) {
    const c = b[from + TIME_DIGITS[k]!]!;
    if (c < 48 || c > 57) return false;
  }
  let sameDay = dayKnown;
  for (let k = 0; k < 10 && sameDay; k++) if (dayBytes[k] !== b[from + k]) sameDay = false;
  if (!sameDay) {
    const mo = dg(b, from + 5) * 10 + dg(b, from + 6);
    const d = dg(b, from + 8) * 10 + dg(b, from + 9);
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
    const ms = Date.UTC(((dg(b, from) * 10 + dg(b, from + 1)) * 10 + dg(b, from + 2)) * 10 + dg(b, from + 3), mo - 1, d);
    if (Number.isNaN(ms)) return false;
    for (let k = 0; k < 10; k++) dayBytes[k] = b[from + k]!;
    dayKnown = true;
    dayMs = ms;
  }
  const h = dg(b, from + 11) * 10 + dg(b, from + 12);
  const mi = dg(b, from + 14) * 10 + dg(b, from + 15);
  const sec = dg(b, from + 17) * 10 + dg(b, from + 18);
  if (h > 23 || mi > 59 || sec > 60) return false;
  let ms = dayMs + ((h * 60 + mi) * 60 + sec) * 1000;
  let ns = 0;
  if (end > 19) {
    if (b[from + 19] !== 46) return false;
    let scale = 100_000_000;
    let frac = 0;
    for (let i = 20; i < end; i++) {
      const c = b[from + i]!;
      if (c < 48 || c > 57) return false;
      if (scale >= 1) frac += (c - 48) * scale;
      scale /= 10;
    }
    ms += Math.floor(frac / 1e6);
    ns = frac % 1e6;
  } else if (zoned && b[from + 19] !== 90) return false;
  scanned.ms = ms;
  scanned.ns = ns;
  return true;
}

/** `b[from, to)` as text: latin1 is exact for ASCII and cheaper than UTF-8 decoding. */
function text(b: Buffer, from: number, to: number, high: boolean): string {
  return b.toString(high ? 'utf8' : 'latin1', from, to);
}

let tk = 0;
function put(c: number): void {
  if (tk === tkeyBytes.length) grow(tk + 1);
  tkeyBytes[tk++] = c;
}
function grow(need: number): void {
  const next = new Uint8Array(Math.max(need, tkeyBytes.length * 2));
  next.set(tkeyBytes);
  tkeyBytes = next;
}
function putRange(b: Uint8Array, from: number, to: number): void {
  if (tk + to - from > tkeyBytes.length) grow(tk + to - from);
  // A few bytes each (a slot's value): copied here, no view made per slot.
  const out = tkeyBytes;
  let k = tk;
  for (let j = from; j < to; j++) out[k++] = b[j]!;
  tk = k;
}

/** scan-doc.ts otherUnless for `process.pid` ('4') and `process.name` ('system'), on the slot's bytes. */
function putOtherUnless(b: Buffer, from: number, to: number, pid: boolean): void {
  const c = b[from]!;
  if (c === QUOTE) {
    let escaped = false;
    for (let k = from + 1; k < to - 1; k++)
      if (b[k] === BACKSLASH) {
        escaped = true;
        break;
      }
    if (!escaped) {
      // `toLowerCase().includes(word)`: no character outside ASCII lower-cases to text holding
      // '4' or a letter of "system" other than through ASCII (checked over every code point), so
      // an ASCII case-insensitive search over the UTF-8 bytes gives the same answer.
      if (!(pid ? hasByte(b, from + 1, to - 1, 0x34) : hasSystem(b, from + 1, to - 1))) {
        put(OTHER);
        return;
      }
    }
  } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    // Number(text) === 4 for `process.pid`; never NaN (Number('system')) for `process.name`. A
    // plain integer (digits only: JSON has no leading zero) is 4 only as "4": no text made for it.
    if (!pid || (isDigits(b, from, to) ? !(to - from === 1 && c === 0x34) : Number(b.toString('latin1', from, to)) !== 4)) {
      put(OTHER);
      return;
    }
  }
  putRange(b, from, to);
}

function isDigits(b: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = b[k]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function hasByte(b: Uint8Array, from: number, to: number, x: number): boolean {
  for (let k = from; k < to; k++) if (b[k] === x) return true;
  return false;
}

const SYSTEM = W('system');
function hasSystem(b: Uint8Array, from: number, to: number): boolean {
  outer: for (let k = from; k + 6 <= to; k++) {
    for (let m = 0; m < 6; m++) {
      let c = b[k + m]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== SYSTEM[m]) continue outer;
    }
    return true;
  }
  return false;
}

const ROLE_NONE = 0;
const ROLE_HOST = 1;
const ROLE_TS = 2;
const ROLE_EVENT = 3;
const ROLE_PROCESS = 4;
/** A member of the host object: its `id`. */
const HOST_ID = 8;

/** Whether a number of the document has 16+ digits in its integer part. */
let docBig = false;

/**
 * A string at `i` whose flags nobody reads (strEscaped, strHigh; docHigh is still set): most
 * strings are plain ASCII, run through here without the call to scanString.
 */
function plainString(b: Uint8Array, i: number, end: number): number {
  let j = i + 1;
  while (PLAIN[b[j]!] === 1) j++;
  return b[j] === QUOTE && j < end ? j + 1 : stringRest(b, j, end);
}

/** A number or true/false/null at `i` (< end): the index after it, or -1. */
function scalar(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  let j: number;
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    j = scanNumber(b, i);
    if (numDigits >= 16) docBig = true;
  } else j = c === 0x74 ? literal(b, i, L_TRUE) : c === 0x66 ? literal(b, i, L_FALSE) : c === 0x6e ? literal(b, i, L_NULL) : -1;
  return j > end ? -1 : j;
}

/**
 * A key whose opening quote should be at `i`, its colon and the white space after it: the index
 * of the member's value (< end), or -1.
 */
function memberValue(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1;
  i = plainString(b, i, end);
  if (i < 0) return -1;
  i = skipWs(b, i, end);
  if (i >= end || b[i] !== 0x3a) return -1;
  i = skipWs(b, i + 1, end);
  return i < end ? i : -1;
}

/**
 * One JSON value at `i` (< end, not white space), nested in `depth0` containers, that the scan
 * only validates (what it holds decides nothing but `docBig` / `docHigh`): the index after it, or -1.
 * A tight loop of its own: no roles, no keys compared.
 */
function skipValue(b: Uint8Array, i: number, end: number, depth0: number): number {
  let depth = depth0;
  for (;;) {
    const c = b[i]!;
    if (c === QUOTE) {
      if ((i = plainString(b, i, end)) < 0) return -1;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_DEPTH) return -1;
      const isObj = c === 0x7b;
      objs[depth++] = isObj ? 1 : 0;
      i = skipWs(b, i + 1, end);
      if (i >= end) return -1;
      if (b[i] === (isObj ? 0x7d : 0x5d)) {
        i++;
        depth--;
      } else {
        if (isObj && (i = memberValue(b, i, end)) < 0) return -1;
        continue;
      }
    } else if ((i = scalar(b, i, end)) < 0) return -1;
    // After a value: close what ends here, up to the next value.
    for (;;) {
      if (depth === depth0) return i;
      i = skipWs(b, i, end);
      if (i >= end) return -1;
      const d = b[i];
      const inObj = objs[depth - 1] === 1;
      if (d === 0x2c) {
        i = skipWs(b, i + 1, end);
        if (i >= end) return -1;
        if (inObj && (i = memberValue(b, i, end)) < 0) return -1;
        break;
      }
      if (d !== (inObj ? 0x7d : 0x5d)) return -1;
      i++;
      depth--;
    }
  }
}

/**
 * Scan the document `b[start, end)` (one line of the body, without its line break). True: the
 * document is decided, its host, time, `big` and telemetry key are in `scanned` / `tkeyBytes`.
 * False: leave it to the string path (scanDocument, then the parser), which gives the same
 * answer or the item's error.
 *
 * Only the top-level keys and the members of the top-level `host`, `event` and `process`
 * objects are looked at; every other value is validated by `skipValue` alone.
 */
export function scanBytes(b: Buffer, start: number, end: number): boolean {
  // The loops read a few bytes past `end` unchecked (a run of plain bytes stops at the first
  // other byte: the line break). Never past the buffer: one read out of bounds makes V8 recompile
  // those loads for it, and the byte loops stay ~2× slower for the rest of the process. A document
  // not followed by a non-plain byte and 8 more (a body's last line) is scanned from a copy that is.
  if (end + SLACK > b.length || PLAIN[b[end]!] === 1) {
    const n = end - start;
    if (scratch.length < n + SLACK) scratch = Buffer.alloc(Math.max(n + SLACK, scratch.length * 2));
    b.copy(scratch, 0, start, end);
    scratch.fill(0, n, n + SLACK);
    return scanDoc(scratch, 0, n);
  }
  return scanDoc(b, start, end);
}

/** Bytes readable after a document's end (see scanBytes). */
const SLACK = 8;
let scratch = Buffer.alloc(1 << 16);

function scanDoc(b: Buffer, start: number, end: number): boolean {
  let i = skipWs(b, start, end);
  if (i >= end || b[i] !== 0x7b) return false;
  docHigh = false;
  docBig = false;
  let hostFrom = -1;
  let hostTo = -1;
  let hostHigh = false;
  let hostSeen = false;
  let tsFrom = -1;
  let tsTo = -1;
  let tsHigh = false;
  let tsSeen = false;
  let tkeyOk = true;
  let eventSeen = false;
  let procSeen = false;
  let executable = false;
  slotFrom.fill(-1);
  i = skipWs(b, i + 1, end);
  // `{}` (or nothing after the brace): no host, no time.
  if (i >= end || b[i] === 0x7d) return false;
  for (;;) {
    // A top-level member: its key at i.
    if (b[i] !== QUOTE) return false;
    const e = scanString(b, i, end);
    if (e < 0 || strEscaped || otherShape(b, i, e)) return false;
    let role = ROLE_NONE;
    const klen = e - i - 2;
    if (klen === 4 && keyIs(b, i, e, K_HOST)) {
      if (hostSeen) return false;
      hostSeen = true;
      role = ROLE_HOST;
    } else if (klen === 10 && keyIs(b, i, e, K_TS)) {
      if (tsSeen) return false;
      tsSeen = true;
      role = ROLE_TS;
    } else if (klen === 5 && keyIs(b, i, e, K_EVENT)) {
      if (eventSeen) tkeyOk = false;
      eventSeen = true;
      role = ROLE_EVENT;
    } else if (klen === 7 && keyIs(b, i, e, K_PROCESS)) {
      if (procSeen) tkeyOk = false;
      procSeen = true;
      role = ROLE_PROCESS;
    } else if (tkeyOk) {
      for (let d = i + 1; d < e - 1; d++)
        if (b[d] === 0x2e) {
          tkeyOk = false;
          break;
        }
    }
    i = skipWs(b, e, end);
    if (i >= end || b[i] !== 0x3a) return false;
    i = skipWs(b, i + 1, end);
    if (i >= end) return false;
    const c = b[i]!;
    if (role === ROLE_NONE) {
      if ((i = skipValue(b, i, end, 1)) < 0) return false;
    } else if (role === ROLE_TS) {
      // Anything but a string without escapes: no time (a second @timestamp key is refused).
      if (c !== QUOTE) return false;
      const ve = scanString(b, i, end);
      if (ve < 0 || strEscaped) return false;
      tsFrom = i + 1;
      tsTo = ve - 1;
      tsHigh = strHigh;
      i = ve;
    } else if (c !== 0x7b) {
      if (role !== ROLE_HOST) tkeyOk = false; // `event` / `process` not an object
      if ((i = skipValue(b, i, end, 1)) < 0) return false;
    } else {
      // The host, event or process object: its members, one level down.
      i = skipWs(b, i + 1, end);
      if (i >= end) return false;
      if (b[i] === 0x7d) i++;
      else
        for (;;) {
          if (b[i] !== QUOTE) return false;
          const ke = scanString(b, i, end);
          if (ke < 0) return false;
          let sub = -1; // the slot the member's value fills, or HOST_ID
          if (role === ROLE_HOST) {
            if (strEscaped) return false;
            if (ke - i === 4 && b[i + 1] === 0x69 && b[i + 2] === 0x64) {
              if (hostFrom >= 0) return false;
              sub = HOST_ID;
            }
          } else if (strEscaped) tkeyOk = false;
          else if (role === ROLE_EVENT) {
            const k = eventSlot(b, i, ke);
            if (k >= 0) {
              if (slotFrom[k]! >= 0) tkeyOk = false;
              sub = k;
            }
          } else {
            const klen = ke - i - 2;
            if ((klen === 3 && keyIs(b, i, ke, K_PID)) || (klen === 4 && keyIs(b, i, ke, K_NAME))) {
              sub = klen === 3 ? PID_SLOT : NAME_SLOT;
              if (slotFrom[sub]! >= 0) tkeyOk = false;
            } else if (klen === 10 && keyIs(b, i, ke, K_EXECUTABLE)) executable = true;
          }
          i = skipWs(b, ke, end);
          if (i >= end || b[i] !== 0x3a) return false;
          i = skipWs(b, i + 1, end);
          if (i >= end) return false;
          const v = b[i];
          if (sub === HOST_ID && v === QUOTE) {
            const ve = scanString(b, i, end);
            if (ve < 0 || strEscaped) return false;
            hostFrom = i + 1;
            hostTo = ve - 1;
            hostHigh = strHigh;
            i = ve;
          } else if (sub === HOST_ID && v !== 0x7b && v !== 0x5b) return false; // a number or literal host id: not decided here
          else {
            const from = i;
            if ((i = skipValue(b, i, end, 2)) < 0) return false;
            if (sub >= 0 && sub !== HOST_ID) {
              slotFrom[sub] = from;
              slotTo[sub] = i;
            }
          }
          i = skipWs(b, i, end);
          if (i >= end) return false;
          const d = b[i];
          if (d === 0x2c) {
            i = skipWs(b, i + 1, end);
            if (i >= end) return false;
            continue;
          }
          if (d !== 0x7d) return false;
          i++;
          break;
        }
    }
    // After the member's value: the next member, or the end of the document.
    i = skipWs(b, i, end);
    if (i >= end) return false;
    const d = b[i];
    if (d === 0x2c) {
      i = skipWs(b, i + 1, end);
      if (i >= end) return false;
      continue;
    }
    if (d !== 0x7d || skipWs(b, i + 1, end) !== end) return false;
    break;
  }
  if (hostFrom < 0 || hostFrom === hostTo || tsFrom < 0) return false;
  if (tsHigh || !canonicalTime(b, tsFrom, tsTo)) {
    const time = parseTimestamp(text(b, tsFrom, tsTo, tsHigh));
    if (!time) return false;
    scanned.ms = time.ms;
    scanned.ns = time.ns;
  }
  scanned.host = hostOf(b, hostFrom, hostTo, hostHigh);
  scanned.big = docBig;
  scanned.ascii = !docHigh;
  scanned.tkeyLen = -1;
  if (tkeyOk && !(executable && slotFrom[NAME_SLOT]! < 0)) {
    tk = 0;
    for (let k = 0; k < 8; k++) {
      if (k > 0) put(SEP);
      const f = slotFrom[k]!;
      if (f < 0) put(ABSENT);
      else if (k === PID_SLOT || k === NAME_SLOT) putOtherUnless(b, f, slotTo[k]!, k === PID_SLOT);
      else putRange(b, f, slotTo[k]!);
    }
    scanned.tkeyLen = tk;
  }
  return true;
}

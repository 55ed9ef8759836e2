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

function otherShape(b: Uint8Array, i: number, end: number): boolean {
  if (startsWith(b, i + 1, W_WINLOG)) return true;
  for (const k of OTHER_SHAPE_BYTES) if (keyIs(b, i, end, k)) return true;
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
  let j = i + 1;
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

const ROLE_NONE = 0;
const ROLE_HOST = 1;
const ROLE_HOST_ID = 2;
const ROLE_TS = 3;
const ROLE_EVENT = 4;
const ROLE_PROCESS = 5;
const ROLE_SLOT = 6;

/** Host keys, one string each (decoded once per distinct key while the table holds it). */
const hosts = new Map<string, string>();

function intern(v: string): string {
  const have = hosts.get(v);
  if (have !== undefined) return have;
  if (hosts.size >= 100_000) hosts.clear();
  hosts.set(v, v);
  return v;
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
  tkeyBytes.set(b.subarray(from, to), tk);
  tk += to - from;
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
    if (Number(b.toString('latin1', from, to)) !== (pid ? 4 : Number('system'))) {
      put(OTHER);
      return;
    }
  }
  putRange(b, from, to);
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

/**
 * Scan the document `b[start, end)` (one line of the body, without its line break). True: the
 * document is decided, its host, time, `big` and telemetry key are in `scanned` / `tkeyBytes`.
 * False: leave it to the string path (scanDocument, then the parser), which gives the same
 * answer or the item's error.
 */
export function scanBytes(b: Buffer, start: number, end: number): boolean {
  let i = skipWs(b, start, end);
  if (b[i] !== 0x7b || i >= end) return false;
  docHigh = false;
  let depth = 0;
  let hostLevel = 0;
  let hostFrom = -1;
  let hostTo = -1;
  let hostHigh = false;
  let hostSeen = false;
  let tsFrom = -1;
  let tsTo = -1;
  let tsHigh = false;
  let tsSeen = false;
  let big = false;
  let role = ROLE_NONE;
  let tkeyOk = true;
  let eventLevel = 0;
  let eventSeen = false;
  let procLevel = 0;
  let procSeen = false;
  let executable = false;
  let slot = 0;
  let capStart = -1;
  let capDepth = -1;
  let capSlot = 0;
  slotFrom.fill(-1);
  let wantValue = true;
  for (;;) {
    i = skipWs(b, i, end);
    if (i >= end) return false;
    if (wantValue) {
      const c = b[i]!;
      if (c === 0x7b || c === 0x5b) {
        const isObj = c === 0x7b;
        if (depth === MAX_DEPTH) return false;
        objs[depth++] = isObj ? 1 : 0;
        if (role === ROLE_HOST && isObj) hostLevel = depth;
        else if (role === ROLE_EVENT) {
          if (isObj) eventLevel = depth;
          else tkeyOk = false;
        } else if (role === ROLE_PROCESS) {
          if (isObj) procLevel = depth;
          else tkeyOk = false;
        } else if (role === ROLE_SLOT) {
          capStart = i;
          capDepth = depth - 1;
          capSlot = slot;
        }
        role = ROLE_NONE;
        const at = i;
        i = skipWs(b, i + 1, end);
        if (i >= end) return false;
        const close = isObj ? 0x7d : 0x5d;
        if (b[i] === close) {
          i++;
          depth--;
          if (depth < hostLevel) hostLevel = 0;
          if (depth < eventLevel) eventLevel = 0;
          if (depth < procLevel) procLevel = 0;
          if (depth === capDepth && capStart === at) {
            slotFrom[capSlot] = capStart;
            slotTo[capSlot] = i;
            capDepth = -1;
          }
        } else if (isObj) {
          wantValue = false;
          continue;
        } else continue;
      } else if (c === QUOTE) {
        const e = scanString(b, i, end);
        if (e < 0) return false;
        if (role === ROLE_HOST_ID || role === ROLE_TS) {
          if (strEscaped) return false;
          if (role === ROLE_TS) {
            tsFrom = i + 1;
            tsTo = e - 1;
            tsHigh = strHigh;
          } else {
            if (hostFrom >= 0) return false;
            hostFrom = i + 1;
            hostTo = e - 1;
            hostHigh = strHigh;
          }
        } else if (role === ROLE_SLOT) {
          slotFrom[slot] = i;
          slotTo[slot] = e;
        } else if (role === ROLE_EVENT || role === ROLE_PROCESS) tkeyOk = false;
        role = ROLE_NONE;
        i = e;
      } else {
        // A number or true/false/null: not a host id or time; a slot keeps its text.
        if (role === ROLE_HOST_ID || role === ROLE_TS) return false;
        const from = i;
        const num = c === 0x2d || (c >= 0x30 && c <= 0x39);
        i = num ? scanNumber(b, i) : c === 0x74 ? literal(b, i, L_TRUE) : c === 0x66 ? literal(b, i, L_FALSE) : c === 0x6e ? literal(b, i, L_NULL) : -1;
        if (i < 0 || i > end) return false;
        if (role === ROLE_SLOT) {
          slotFrom[slot] = from;
          slotTo[slot] = i;
        } else if (role !== ROLE_NONE) tkeyOk = false;
        role = ROLE_NONE;
        if (num && numDigits >= 16) big = true;
      }
      for (;;) {
        if (depth === 0) {
          i = skipWs(b, i, end);
          if (i !== end) return false;
          if (hostFrom < 0 || hostFrom === hostTo || tsFrom < 0) return false;
          const time = parseTimestamp(text(b, tsFrom, tsTo, tsHigh));
          if (!time) return false;
          scanned.host = intern(text(b, hostFrom, hostTo, hostHigh));
          scanned.ms = time.ms;
          scanned.ns = time.ns;
          scanned.big = big;
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
        i = skipWs(b, i, end);
        if (i >= end) return false;
        const d = b[i];
        const inObj = objs[depth - 1] === 1;
        if (d === 0x2c) {
          i++;
          wantValue = !inObj;
          break;
        }
        if (d !== (inObj ? 0x7d : 0x5d)) return false;
        i++;
        depth--;
        if (depth < hostLevel) hostLevel = 0;
        if (depth < eventLevel) eventLevel = 0;
        if (depth < procLevel) procLevel = 0;
        if (depth === capDepth) {
          slotFrom[capSlot] = capStart;
          slotTo[capSlot] = i;
          capDepth = -1;
        }
      }
      continue;
    }
    if (b[i] !== QUOTE) return false;
    const e = scanString(b, i, end);
    if (e < 0) return false;
    role = ROLE_NONE;
    if (depth === 1) {
      if (strEscaped || otherShape(b, i, e)) return false;
      if (keyIs(b, i, e, K_HOST)) {
        if (hostSeen) return false;
        hostSeen = true;
        role = ROLE_HOST;
      } else if (keyIs(b, i, e, K_TS)) {
        if (tsSeen) return false;
        tsSeen = true;
        role = ROLE_TS;
      } else if (keyIs(b, i, e, K_EVENT)) {
        if (eventSeen) tkeyOk = false;
        eventSeen = true;
        role = ROLE_EVENT;
      } else if (keyIs(b, i, e, K_PROCESS)) {
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
    } else if (depth === eventLevel || depth === procLevel) {
      if (strEscaped) tkeyOk = false;
      else if (depth === eventLevel) {
        const k = eventSlot(b, i, e);
        if (k >= 0) {
          if (slotFrom[k]! >= 0) tkeyOk = false;
          role = ROLE_SLOT;
          slot = k;
        }
      } else if (keyIs(b, i, e, K_PID) || keyIs(b, i, e, K_NAME)) {
        slot = b[i + 1] === 0x70 ? PID_SLOT : NAME_SLOT;
        if (slotFrom[slot]! >= 0) tkeyOk = false;
        role = ROLE_SLOT;
      } else if (keyIs(b, i, e, K_EXECUTABLE)) executable = true;
    } else if (depth === hostLevel) {
      if (strEscaped) return false;
      if (e - i === 4 && b[i + 1] === 0x69 && b[i + 2] === 0x64) {
        if (hostFrom >= 0) return false;
        role = ROLE_HOST_ID;
      }
    }
    i = skipWs(b, e, end);
    if (i >= end || b[i] !== 0x3a) return false;
    i++;
    wantValue = true;
  }
}

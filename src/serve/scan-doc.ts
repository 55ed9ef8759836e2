/**
 * The ingest path's cheap look at a document: is it valid JSON, and what are its host and time?
 *
 * Hand-written for speed (a hot path: every ingested event goes through it on the HTTP thread).
 * The log row and the reorder buffer need only the host key and the event time; the document
 * itself is parsed once, in the detection thread. `JSON.parse` would allocate the whole object
 * tree (~10 µs for a 1.2 KB Elastic Defend event); this scan walks the text once, allocates
 * nothing but the two strings it keeps, and validates the full JSON grammar, so a document it
 * accepts is one `JSON.parse` accepts, and an invalid one still gets its per-item error from the
 * real parser (`parseDocument`, which this scan defers to whenever it cannot decide).
 *
 * It decides only for the common shape whose host and time do not depend on the flavour rules of
 * normalize/: a top-level object with a nested `host.id` string and a top-level `@timestamp`
 * string, none of the keys that make it another flavour or an Elasticsearch wrapper (see
 * OTHER_SHAPE), no escapes in the keys and values it reads, no duplicate of them. For those,
 * normalize's `eventHost` is `host.id` and `eventTime` is `parseTimestamp(@timestamp)` (ECS,
 * Elastic Defend and unknown flavours alike), which is what this returns. Anything else: null,
 * and the caller parses. Tested against `parseDocument` in test/serve/scan-doc.test.ts.
 *
 * Live ingest runs its twin on the request's bytes (scan-bytes.ts, the same decisions, tested
 * equal); this one serves documents read back from the log and the string fallback.
 */
import { parseTimestamp, type Instant } from '../events/timestamp.js';

export interface ScannedDoc {
  host: string;
  time: Instant;
  /**
   * Some number literal has 16 or more integer digits: parse with `parseJsonExact` (64-bit values
   * stay exact). Otherwise a plain `JSON.parse` gives the same result.
   */
  big: boolean;
  /**
   * The telemetry key (TELEMETRY_KEY_FIELDS): the raw text of `event.category`, `event.type`,
   * `event.code`, `event.module`, `event.dataset`, `event.provider`, `process.pid` and
   * `process.name`, each as written (absent: \u0002), joined by \u0001. Documents with the same
   * key meet the same blind-spot telemetry needs (their ECS view holds the same values of these
   * fields: normalization of this shape does not touch them), so the detection thread counts a
   * document no rule can use by its key instead of parsing it. Null when that cannot be told from
   * the text: a dotted top-level key (`"event.category"`), `event` or `process` not an object or
   * given twice, a member read given twice or with an escaped key, `process.name` absent while
   * `process.executable` (from which normalization derives it) is present.
   */
  tkey: string | null;
}

/** The fields of ScannedDoc.tkey, in key order. */
export const TELEMETRY_KEY_FIELDS: readonly (readonly [string, string])[] = [
  ['event', 'category'],
  ['event', 'type'],
  ['event', 'code'],
  ['event', 'module'],
  ['event', 'dataset'],
  ['event', 'provider'],
  ['process', 'pid'],
  ['process', 'name'],
];
const PID_SLOT = 6;
const NAME_SLOT = 7;
const ABSENT = '\u0002';
/** Where each slot's value text starts and ends in the document (-1: absent). */
const slotFrom = new Int32Array(8);
const slotTo = new Int32Array(8);
const parts: string[] = new Array<string>(8);

/** The slot of an `event` member (its quotes at `i` and `end - 1`), or -1: dispatched on length and first letter. */
function eventSlot(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i + 1);
  switch (end - i - 2) {
    case 8:
      return c === 0x63 && keyIs(s, i, end, 'category') ? 0 : c === 0x70 && keyIs(s, i, end, 'provider') ? 5 : -1;
    case 4:
      return c === 0x74 && keyIs(s, i, end, 'type') ? 1 : c === 0x63 && keyIs(s, i, end, 'code') ? 2 : -1;
    case 6:
      return c === 0x6d && keyIs(s, i, end, 'module') ? 3 : -1;
    case 7:
      return c === 0x64 && keyIs(s, i, end, 'dataset') ? 4 : -1;
    default:
      return -1;
  }
}
const OTHER = '\u0003';

/**
 * A number other than `word` (as a number), or a string not containing `word` (any case): OTHER.
 * Anything else (arrays, objects, literals, escaped strings) stays as written.
 */
function otherUnless(raw: string, word: string): string {
  const c = raw.charCodeAt(0);
  if (c === QUOTE) {
    if (raw.indexOf('\\') >= 0) return raw;
    return raw.toLowerCase().includes(word) ? raw : OTHER;
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return Number(raw) === Number(word) ? raw : OTHER;
  return raw;
}

/**
 * Top-level keys that make a document something other than a plain ECS / Defend event for
 * normalize (flavour.ts: evtx, Winlogbeat, Endgame, flat Windows records) or for unwrapping
 * (sources/unwrap.ts: Elasticsearch hits, search responses, bulk action lines); also any key
 * starting `winlog.` (dotted Winlogbeat fields).
 */
export const OTHER_SHAPE: readonly string[] = ['Event', 'winlog', 'event_data', 'log_name', 'source_name', 'event_type', 'EventID', 'EventId', '_source', 'hits', 'index', 'create'];

/** Whether the key whose quotes are at `i` and `end - 1` is `word` (no string built). */
function keyIs(s: string, i: number, end: number, word: string): boolean {
  return end - i - 2 === word.length && s.startsWith(word, i + 1);
}

function otherShape(s: string, i: number, end: number): boolean {
  if (s.startsWith('winlog', i + 1)) return true;
  for (const k of OTHER_SHAPE) if (keyIs(s, i, end, k)) return true;
  return false;
}

/**
 * Host keys, each held once as its own string. A slice of the document would keep the whole
 * document alive for as long as the host key is held (the reorder buffer holds it for the allowed
 * lateness): the documents would then be promoted to the old generation and marked and swept there.
 */
const hosts = new Map<string, string>();

function intern(v: string): string {
  const have = hosts.get(v);
  if (have !== undefined) return have;
  if (hosts.size >= 100_000) hosts.clear();
  // A copy that shares nothing with the document (v holds no escape and no control character).
  const own = JSON.parse(`"${v}"`) as string;
  hosts.set(own, own);
  return own;
}

/** Open containers: 1 object, 0 array (deeper documents are left to the parser). */
const MAX_DEPTH = 512;
const objs = new Uint8Array(MAX_DEPTH);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether the last string scanned held an escape. */
let strEscaped = false;
/** Index of the next backslash at or after the current position (Infinity: none; -2: not looked up yet). */
let nextBackslash = -2;

/**
 * Scan a string whose opening quote is at `i`; returns the index after the closing quote, or -1.
 * Control characters were ruled out for the whole text up front (CONTROL), so only quotes and
 * escapes matter: both are found with indexOf, not char by char.
 */
function scanString(s: string, i: number): number {
  let j = i + 1;
  strEscaped = false;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q < 0) return -1;
    if (nextBackslash !== Infinity && nextBackslash < j) {
      const b = s.indexOf('\\', j);
      nextBackslash = b < 0 ? Infinity : b;
    }
    if (q < nextBackslash) return q + 1;
    // An escape before the quote: check it, then go on after it.
    strEscaped = true;
    const b = nextBackslash;
    const e = s.charCodeAt(b + 1);
    if (e === 0x75) {
      for (let k = 2; k < 6; k++) {
        const h = s.charCodeAt(b + k);
        if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return -1;
      }
      j = b + 6;
    } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) j = b + 2;
    else return -1;
  }
}

/**
 * Any control character (raw tab and carriage return included: legal between tokens, not inside
 * strings, and rare in shipped JSON): the scan leaves such a text to the parser.
 */
const CONTROL = /[\u0000-\u001f]/;

/** Integer digits of the last number scanned. */
let numDigits = 0;

function scanNumber(s: string, i: number): number {
  let j = i;
  if (s.charCodeAt(j) === 0x2d) j++;
  const start = j;
  let c = s.charCodeAt(j);
  if (c === 0x30) j++;
  else if (c >= 0x31 && c <= 0x39) {
    j++;
    while ((c = s.charCodeAt(j)) >= 0x30 && c <= 0x39) j++;
  } else return -1;
  numDigits = j - start;
  if (s.charCodeAt(j) === 0x2e) {
    j++;
    const f = j;
    while ((c = s.charCodeAt(j)) >= 0x30 && c <= 0x39) j++;
    if (j === f) return -1;
  }
  c = s.charCodeAt(j);
  if (c === 0x65 || c === 0x45) {
    j++;
    c = s.charCodeAt(j);
    if (c === 0x2b || c === 0x2d) j++;
    const e = j;
    while ((c = s.charCodeAt(j)) >= 0x30 && c <= 0x39) j++;
    if (j === e) return -1;
  }
  return j;
}

function skipWs(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
  return i;
}

function literal(s: string, i: number, word: string): number {
  return s.startsWith(word, i) ? i + word.length : -1;
}

// What the value being scanned is, for the few values kept.
const ROLE_NONE = 0;
const ROLE_HOST = 1; // top-level `host` (an object: its `id` is kept)
const ROLE_HOST_ID = 2; // `host.id`
const ROLE_TS = 3; // top-level `@timestamp`
const ROLE_EVENT = 4; // top-level `event`
const ROLE_PROCESS = 5; // top-level `process`
const ROLE_SLOT = 6; // a member of the telemetry key (slot in `slot`)

/**
 * Host and time of a document, or null when the scan cannot decide (then parse it: the parser
 * gives the same answer, or the error the bulk item reports).
 */
export function scanDocument(s: string): ScannedDoc | null {
  if (CONTROL.test(s)) return null;
  nextBackslash = -2;
  const n = s.length;
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== 0x7b) return null;
  let depth = 0;
  /** Depth of the open top-level `host` object (0: not inside it). */
  let hostLevel = 0;
  let host: string | null = null;
  let hostSeen = false;
  let ts: string | null = null;
  let tsSeen = false;
  let big = false;
  let role = ROLE_NONE;
  // The telemetry key: depths of the open `event` / `process` objects, the slot being read, the
  // container value being captured (its start and the depth it closes back to).
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
  // State: expecting a value (true) or a key / end of container (false, objects only).
  let wantValue = true;
  for (;;) {
    i = skipWs(s, i);
    if (wantValue) {
      const c = s.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) {
        const isObj = c === 0x7b;
        if (depth === MAX_DEPTH) return null;
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
        i = skipWs(s, i + 1);
        const close = isObj ? 0x7d : 0x5d;
        if (s.charCodeAt(i) === close) {
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
        } else continue; // first array element
      } else if (c === QUOTE) {
        const end = scanString(s, i);
        if (end < 0) return null;
        if (role === ROLE_HOST_ID || role === ROLE_TS) {
          if (strEscaped) return null;
          const v = s.slice(i + 1, end - 1);
          if (role === ROLE_TS) ts = v;
          else host = intern(v);
        } else if (role === ROLE_SLOT) {
          slotFrom[slot] = i;
          slotTo[slot] = end;
        }
        else if (role === ROLE_EVENT || role === ROLE_PROCESS) tkeyOk = false;
        role = ROLE_NONE;
        i = end;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        if (role === ROLE_HOST_ID || role === ROLE_TS) return null; // a numeric host or time: leave it to the parser
        const from = i;
        i = scanNumber(s, i);
        if (i < 0) return null;
        if (role === ROLE_SLOT) {
          slotFrom[slot] = from;
          slotTo[slot] = i;
        }
        else if (role !== ROLE_NONE) tkeyOk = false;
        role = ROLE_NONE;
        if (numDigits >= 16) big = true;
      } else {
        if (role === ROLE_HOST_ID || role === ROLE_TS) return null;
        const from = i;
        i = c === 0x74 ? literal(s, i, 'true') : c === 0x66 ? literal(s, i, 'false') : c === 0x6e ? literal(s, i, 'null') : -1;
        if (i < 0) return null;
        if (role === ROLE_SLOT) {
          slotFrom[slot] = from;
          slotTo[slot] = i;
        }
        else if (role !== ROLE_NONE) tkeyOk = false;
        role = ROLE_NONE;
      }
      // After a value: ',' or the end of the container(s).
      for (;;) {
        if (depth === 0) {
          i = skipWs(s, i);
          if (i !== n) return null;
          if (host === null || host === '' || ts === null) return null;
          const time = parseTimestamp(ts);
          if (!time) return null;
          let tkey: string | null = null;
          if (tkeyOk && !(executable && slotFrom[NAME_SLOT] < 0)) {
            for (let k = 0; k < 8; k++) parts[k] = slotFrom[k]! < 0 ? ABSENT : s.slice(slotFrom[k], slotTo[k]);
            // process.pid and process.name are read by needs only against 4 and System
            // (ir/analyze.ts TELEMETRY_FIELDS): any other number or text stands as OTHER, as in
            // TelemetryTally's memo (telemetry.ts keyValue), so the key does not vary per process.
            if (slotFrom[PID_SLOT]! >= 0) parts[PID_SLOT] = otherUnless(parts[PID_SLOT]!, '4');
            if (slotFrom[NAME_SLOT]! >= 0) parts[NAME_SLOT] = otherUnless(parts[NAME_SLOT]!, 'system');
            tkey = parts.join('\u0001'); // one flat string (a chain of concatenations would be flattened later)
          }
          return { host, time, big, tkey };
        }
        i = skipWs(s, i);
        const d = s.charCodeAt(i);
        const inObj = objs[depth - 1] === 1;
        if (d === 0x2c) {
          i++;
          wantValue = !inObj;
          break;
        }
        if (d !== (inObj ? 0x7d : 0x5d)) return null;
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
    // A key (objects only).
    if (s.charCodeAt(i) !== QUOTE) return null;
    const end = scanString(s, i);
    if (end < 0) return null;
    role = ROLE_NONE;
    if (depth === 1) {
      if (strEscaped || otherShape(s, i, end)) return null;
      if (keyIs(s, i, end, 'host')) {
        if (hostSeen) return null;
        hostSeen = true;
        role = ROLE_HOST;
      } else if (keyIs(s, i, end, '@timestamp')) {
        if (tsSeen) return null;
        tsSeen = true;
        role = ROLE_TS;
      } else if (keyIs(s, i, end, 'event')) {
        if (eventSeen) tkeyOk = false;
        eventSeen = true;
        role = ROLE_EVENT;
      } else if (keyIs(s, i, end, 'process')) {
        if (procSeen) tkeyOk = false;
        procSeen = true;
        role = ROLE_PROCESS;
      } else if (tkeyOk) {
        for (let d = i + 1; d < end - 1; d++)
          if (s.charCodeAt(d) === 0x2e) {
            tkeyOk = false;
            break;
          }
      }
    } else if (depth === eventLevel || depth === procLevel) {
      if (strEscaped) tkeyOk = false;
      else if (depth === eventLevel) {
        const k = eventSlot(s, i, end);
        if (k >= 0) {
          if (slotFrom[k]! >= 0) tkeyOk = false;
          role = ROLE_SLOT;
          slot = k;
        }
      } else if (keyIs(s, i, end, 'pid') || keyIs(s, i, end, 'name')) {
        slot = s.charCodeAt(i + 1) === 0x70 ? PID_SLOT : NAME_SLOT;
        if (slotFrom[slot]! >= 0) tkeyOk = false;
        role = ROLE_SLOT;
      } else if (keyIs(s, i, end, 'executable')) executable = true;
    } else if (depth === hostLevel) {
      if (strEscaped) return null;
      if (end - i === 4 && s.charCodeAt(i + 1) === 0x69 && s.charCodeAt(i + 2) === 0x64) {
        if (host !== null) return null; // a duplicate id: the parser keeps the last one
        role = ROLE_HOST_ID;
      }
    }
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 0x3a) return null;
    i++;
    wantValue = true;
  }
}

/**
 * The identity of a matched event, the part of an alert's id that makes one alert per distinct
 * matched event (issue 10, item 3): two records at the same 100 ns instant are two alerts, and
 * the same record read twice (one log shipped in two files) is one.
 *
 * - A Windows record: host, channel, record id (`winlog.record_id`, kept exact beyond 2^53 as
 *   text) and the exact time (record ids restart when a log is cleared; the time tells those apart).
 * - Anything else (JSON without a record id): the exact time and a hash of the whole event's
 *   content (its ECS view, which holds no file name or position), so a copy of the same line in
 *   another file has the same identity while any differing field makes another.
 */
import * as crypto from 'node:crypto';
import type { Event } from '../events/field.js';
import type { Instant } from '../events/timestamp.js';
import { hostName, str } from './ecs-fields.js';
import { getField } from '../events/field.js';

function recordIdText(ev: Event): string | undefined {
  const v = getField(ev, ['winlog', 'record_id']);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return undefined;
}

/**
 * JSON text with object keys sorted (bigint as text), so equal content gives equal text. One string
 * built in one walk (no per-object key/part arrays besides the sorted keys); the text, and so every
 * alert id, is the one the map/filter/join version gave (test/alert/identity-stable.test.ts).
 * Per alert this walk was most of the cost of its id: strings that need no escape are quoted
 * without JSON.stringify, keys are quoted once per distinct key, and the few keys of an object are
 * put in order by insertion (the order of the default sort: UTF-16 code units).
 */
export function canonicalJson(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'bigint':
      return JSON.stringify(v.toString());
    case 'object':
      break;
    default:
      return JSON.stringify(v) ?? 'null';
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      // A hole stays empty, as Array.prototype.join left it.
      if (i in v) s += canonicalJson(v[i]);
    }
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 32) keys.sort();
  else {
    for (let i = 1; i < keys.length; i++) {
      const k = keys[i]!;
      let j = i - 1;
      while (j >= 0 && keys[j]! > k) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = k;
    }
  }
  let s = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = o[k];
    if (x === undefined || typeof x === 'function') continue;
    if (!first) s += ',';
    first = false;
    s += quotedKey(k) + canonicalJson(x);
  }
  return s + '}';
}

/** What JSON.stringify escapes in a string: `"`, `\`, control characters, surrogates (lone ones; paired ones are left to it too). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify of a string. */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** `"key":` per distinct key (events share a few hundred); bounded, past that quoted each time. */
const QUOTED_KEYS = new Map<string, string>();
const MAX_QUOTED_KEYS = 8192;

function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = quote(k) + ':';
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS) QUOTED_KEYS.set(k, q);
  }
  return q;
}

/** Hex SHA-256 of a text: one call (crypto.hash, Node ≥ 20.12), else a Hash object; the same digest. */
export const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * The identity last computed for an event object, on the object under a non-enumerable symbol
 * (invisible to JSON, Object.keys, spreads and structured clone): an event matched by several rules, or by a sequence's
 * several results, is hashed once. Keyed by the time it was computed for too.
 */
const IDENTITY = Symbol('spoor.eventIdentity');
type Remembered = Event & { [IDENTITY]?: { when: string; id: string } };

/** One event's identity text (see the header); `at` is its exact time, when known. */
export function eventIdentity(ev: Event, at: Instant | null): string {
  const when = at ? `${at.ms}.${at.ns}` : '';
  const known = (ev as Remembered)[IDENTITY];
  if (known !== undefined && known.when === when) return known.id;
  const id = computeIdentity(ev, when);
  // Not enumerable: a spread or Object.assign copy (which may then change) does not inherit it.
  if (Object.isExtensible(ev)) Object.defineProperty(ev, IDENTITY, { value: { when, id }, writable: true, configurable: true, enumerable: false });
  return id;
}

function computeIdentity(ev: Event, when: string): string {
  const rid = recordIdText(ev);
  if (rid !== undefined) {
    const host = (hostName(ev) ?? '').toLowerCase();
    const channel = (str(ev, 'winlog.channel') ?? str(ev, 'event.provider') ?? '').toLowerCase();
    return `r\u0001${host}\u0001${channel}\u0001${rid}\u0001${when}`;
  }
  return `c\u0001${when}\u0001${sha256Hex(canonicalJson(ev))}`;
}

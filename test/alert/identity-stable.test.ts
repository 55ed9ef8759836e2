/**
 * Alert ids are deterministic and serve / cluster deduplicate on them: the one-walk canonical JSON
 * and one-shot SHA-256 of alert/event-identity.ts must give exactly the ids of the map/filter/join
 * and Hash.update version they replaced (kept here as the reference), on generated Elastic Defend
 * events, the ECS views of EVTX records and values JSON lines never hold (bigints, holes, undefined).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { alertId, buildAlert } from '../../src/alert/build.js';
import { canonicalJson } from '../../src/alert/event-identity.js';
import { generateEvents } from '../../src/demo/generate.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';
import { listFiles } from '../../src/sources/list-files.js';
import { eventTime, toEcs } from '../../src/normalize/index.js';
import { getField, type Event } from '../../src/events/field.js';
import type { Rule } from '../../src/ir/types.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { ecsTime, hostName, str } from '../../src/alert/ecs-fields.js';

/** The canonical JSON before the change, verbatim. */
function referenceCanonical(v: unknown): string {
  if (typeof v === 'bigint') return JSON.stringify(v.toString());
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(referenceCanonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined && typeof o[k] !== 'function')
    .sort()
    .map((k) => `${JSON.stringify(k)}:${referenceCanonical(o[k])}`)
    .join(',')}}`;
}

/** The alert id before the change (Hash.update per part; the identities of alert/event-identity.ts as they were). */
function referenceAlertId(ruleId: string, events: Event[]): string {
  const h = createHash('sha256').update(ruleId);
  for (const ev of events) {
    const t = eventTime(ev) ?? ecsTime(ev);
    const when = t ? `${t.ms}.${t.ns}` : '';
    const v = getField(ev, ['winlog', 'record_id']);
    const rid = typeof v === 'number' || typeof v === 'bigint' ? String(v) : typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    let id: string;
    if (rid !== undefined) {
      const host = (hostName(ev) ?? '').toLowerCase();
      const channel = (str(ev, 'winlog.channel') ?? str(ev, 'event.provider') ?? '').toLowerCase();
      id = `r\u0001${host}\u0001${channel}\u0001${rid}\u0001${when}`;
    } else id = `c\u0001${when}\u0001${createHash('sha256').update(referenceCanonical(ev)).digest('hex')}`;
    h.update('\u0000').update(id);
  }
  return h.digest('hex').slice(0, 20);
}

const odd: unknown[] = [
  { b: 1, a: [1, , 3], u: undefined, f: () => 1, n: 12345678901234567890n, s: 'é\u0000"\\', nan: Number.NaN, inf: -Infinity, neg: -0 },
  [undefined, null, [[]], {}, { 'a.b': { 'Z': 1, 'a': 2, 'é': 3, '10': 4, '9': 5 } }],
  { date: new Date(0), typed: new Uint8Array([3, 1, 2]), nested: { deeper: { deepest: ['x', { y: false }] } } },
  'text',
  42.5,
  true,
  // Strings quoted without JSON.stringify unless they need an escape; keys quoted once and cached.
  { 'q"k': 'a"b', 'b\\k': 'c\\d', ctl: '\u0000\u0001\n\t\u001f', del: '\u007f', ls: '\u2028\u2029', lone: '\ud800x', lowLone: 'x\udfff', pair: '😀', ü: 'é' },
  { 'ctl\u0001key': 1, '\ud83d': 2, '😀': 3, 'Z': 4, 'z': 5, '_': 6, '': 7, ' ': 8 },
  Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${(i * 37) % 70}`, i % 3 === 0 ? `v${i}` : { i }])),
];

test('canonical JSON is the text the previous implementation gave', () => {
  for (const v of odd) assert.equal(canonicalJson(v), referenceCanonical(v));
  for (const ev of generateEvents({ events: 2000, hosts: 50, seed: 3 }).events) {
    const ecs = toEcs(structuredClone(ev) as Event);
    assert.equal(canonicalJson(ecs), referenceCanonical(ecs));
  }
});

test('alert ids of generated Defend events and EVTX records are unchanged', async (t) => {
  const defend = [...generateEvents({ events: 3000, hosts: 50, seed: 11 }).events].map((e) => toEcs(e as Event));
  // Content identities (no record id): each id against the reference, single events and sequences.
  for (let i = 0; i + 2 < defend.length; i += 3) {
    const seq = [defend[i]!, defend[i + 1]!, defend[i + 2]!];
    assert.equal(alertId('rule-x', seq), referenceAlertId('rule-x', seq));
    assert.equal(alertId('rule-y', [seq[0]!]), referenceAlertId('rule-y', [seq[0]!]));
  }
  // Pinned: an id computed by the build before the change (bigints, dotted and non-ASCII keys, a record id).
  const rule = { id: 'r-1', name: 'r', severity: 'high', query: { kind: 'event', query: { category: null, where: null } } } as unknown as Rule;
  const ev = { '@timestamp': '2026-03-02T08:00:00.008016Z', host: { id: 'h-1', name: 'WS-1' }, event: { category: ['process'], type: ['start'] }, process: { args: ['a', 'ü', 7, null, true], pid: 4, name: 'x.exe', 'code_signature.trusted': false }, n: 12345678901234567890n, z: { b: 1, a: [{ d: 2, c: 3 }] } };
  const ev2 = { '@timestamp': '2026-03-02T08:00:01Z', host: { name: 'PC01' }, event: { code: '5145' }, winlog: { channel: 'Security', record_id: 84050 } };
  assert.equal(buildAlert(rule, { events: [ev, ev2] }, []).id, '94453a09df50089779a0');
  const samples = sharedOrSkip(t, 'datasets/evtx-attack-samples');
  if (!samples) return;
  // EVTX records' ECS views: their content (without the record id) hashed as before.
  let n = 0;
  for (const f of listFiles(samples, '.evtx').slice(0, 40)) {
    for await (const batch of readEvtxFile(f, () => {})) {
      for (const se of batch) {
        const ecs = toEcs(se.event);
        assert.equal(canonicalJson(ecs), referenceCanonical(ecs));
        assert.equal(alertId('rule-z', [ecs]), referenceAlertId('rule-z', [ecs]));
        n++;
      }
    }
  }
  assert.ok(n > 500, `${n} EVTX records`);
});

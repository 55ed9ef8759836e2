/**
 * Windows event records as the JSON of other EVTX parsers: Go parsers (Velociraptor, golang-evtx)
 * merge an element's attributes into it (`"Provider":{"Name":…,"Guid":…}`,
 * `"TimeCreated":{"SystemTime":…}`) and write an EventID with attributes as `{Qualifiers, Value}`;
 * Velociraptor's parse_evtx rows have no `Event` wrapper (System and EventData at top level, times
 * as epoch seconds). Each must give the ECS and native views of the evtx_dump shape, and a hunt
 * the same alerts. Before 2026-12-03 the other shapes gave events no rule could match, silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../../src/events/field.js';
import { detectFlavour, eventHost, eventTime, toEcs, toNative } from '../../src/normalize/index.js';
import { runHunt } from '../../src/hunt/run.js';
import { tempDir } from '../helpers/temp.js';
import { evtxRecords } from './helpers.js';

type Json = unknown;

/** The Go parsers' shape: `#attributes` merged into the element, `#text` beside attributes as `Value`. */
function goShape(v: Json): Json {
  if (Array.isArray(v)) return v.map(goShape);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, Json>;
  const out: Record<string, Json> = {};
  const a = o['#attributes'];
  if (a !== null && typeof a === 'object') Object.assign(out, a);
  for (const [k, x] of Object.entries(o)) {
    if (k === '#attributes') continue;
    if (k === '#text' && a !== undefined) out['Value'] = goShape(x);
    else out[k === '#text' ? '#text' : k] = goShape(x);
  }
  return out;
}

/** xmltodict's structure (Python converters): attributes as `@name` keys, EventData as named `Data` items. */
function xmltodictShape(v: Json, key = ''): Json {
  if (Array.isArray(v)) return v.map((x) => xmltodictShape(x));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, Json>;
  if (key === 'EventData' && !('#attributes' in o) && !('Data' in o)) {
    return { Data: Object.entries(o).map(([name, x]) => ({ '@Name': name, '#text': x })) };
  }
  const out: Record<string, Json> = {};
  const a = o['#attributes'];
  if (a !== null && typeof a === 'object') for (const [k, x] of Object.entries(a)) out[`@${k}`] = x;
  for (const [k, x] of Object.entries(o)) if (k !== '#attributes') out[k] = xmltodictShape(x, k);
  return out;
}

/** Rust evtx's `--separate-json-attributes`: an element's attributes in a sibling `Key_attributes`. */
function separateShape(ev: Event): Event {
  const inner = structuredClone(ev['Event']) as Record<string, Record<string, Json>>;
  const sys = inner['System']!;
  for (const [k, x] of Object.entries(sys)) {
    if (x === null || typeof x !== 'object' || !('#attributes' in (x as object))) continue;
    const el = x as Record<string, Json>;
    sys[`${k}_attributes`] = el['#attributes']!;
    sys[k] = '#text' in el ? el['#text']! : null;
  }
  return { Event: inner } as Event;
}

/** Velociraptor's rows: no `Event` wrapper, TimeCreated.SystemTime as epoch seconds. */
function velociraptorShape(ev: Event): Event {
  const inner = goShape(ev['Event']) as Record<string, Record<string, Json>>;
  const tc = inner['System']!['TimeCreated'] as Record<string, Json>;
  const iso = String(tc['SystemTime']);
  const frac = /\.(\d+)Z$/.exec(iso)?.[1] ?? '0';
  tc['SystemTime'] = Math.floor(Date.parse(iso) / 1000) + Number(`0.${frac}`);
  return inner as Event;
}

const FILES = [
  'Lateral Movement/LM_renamed_psexecsvc_5145.evtx',
  'Lateral Movement/remote_file_copy_system_proc_file_write_sysmon_11.evtx',
  'Lateral Movement/smbmap_upload_exec_sysmon.evtx',
];

test('Go parsers\', Velociraptor\'s, xmltodict\'s and separate-attribute JSON of real records give the views of evtx_dump\'s', async (t) => {
  let compared = 0;
  for (const f of FILES) {
    const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', f);
    if (!raw) return;
    for (const ev of raw) {
      const go = { Event: goShape(ev['Event']) } as Event;
      const velo = velociraptorShape(ev);
      const shapes = [['go', go], ['velociraptor', velo], ['xmltodict', { Event: xmltodictShape(ev['Event']) } as Event], ['separate', separateShape(ev)]] as const;
      for (const [name, other] of shapes) {
        assert.equal(detectFlavour(other), 'evtx', `${f} ${name}`);
        assert.equal(eventHost(other), eventHost(ev), `${f} ${name}`);
        const a = toEcs(ev);
        const b = toEcs(other);
        if (name !== 'velociraptor') {
          assert.deepEqual(b, a, `${f}: ${name} ECS view`);
          assert.deepEqual(eventTime(other), eventTime(ev));
        } else {
          // Epoch seconds as a double: the same instant to the microsecond.
          const ta = eventTime(ev)!;
          const tb = eventTime(other)!;
          assert.ok(Math.abs((ta.ms - tb.ms) * 1e6 + ta.ns - tb.ns) < 1000, `${f}: time within 1 µs: ${JSON.stringify([ta, tb])}`);
          const { ['@timestamp']: _a, event: ea, ...restA } = a as Record<string, Json>;
          const { ['@timestamp']: _b, event: eb, ...restB } = b as Record<string, Json>;
          const { created: _c, ...evA } = ea as Record<string, Json>;
          const { created: _d, ...evB } = eb as Record<string, Json>;
          assert.deepEqual([restB, evB], [restA, evA], `${f}: ${name} ECS view (times aside)`);
        }
        const na = toNative(ev) as Record<string, Json>;
        const nb = toNative(other) as Record<string, Json>;
        for (const k of ['EventID', 'Channel', 'Provider_Name', 'Computer']) assert.deepEqual(nb[k], na[k], `${f}: ${name} native ${k}`);
        for (const [k, v] of Object.entries(na)) if (typeof v === 'string' && !/Time/.test(k)) assert.deepEqual(nb[k], v, `${f}: ${name} native ${k}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 100, `${compared} records compared`);
});

test('a hunt over Velociraptor-shaped NDJSON finds what it finds in the EVTX', async (t) => {
  const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', 'Lateral Movement/LM_renamed_psexecsvc_5145.evtx');
  const sysmon = await evtxRecords(t, 'datasets/evtx-attack-samples', 'Lateral Movement/remote_file_copy_system_proc_file_write_sysmon_11.evtx');
  if (!raw || !sysmon) return;
  const dir = tempDir('spoor-velo-');
  const all = [...raw, ...sysmon];
  writeFileSync(join(dir, 'evtx-dump.ndjson'), all.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(dir, 'velociraptor.ndjson'), all.map((e) => JSON.stringify(velociraptorShape(e))).join('\n') + '\n');
  writeFileSync(join(dir, 'go.ndjson'), all.map((e) => JSON.stringify({ Event: goShape(e['Event']) })).join('\n') + '\n');
  writeFileSync(join(dir, 'xmltodict.ndjson'), all.map((e) => JSON.stringify({ Event: xmltodictShape(e['Event']) })).join('\n') + '\n');
  writeFileSync(join(dir, 'separate.ndjson'), all.map((e) => JSON.stringify(separateShape(e))).join('\n') + '\n');
  const summary = (file: string) => runHunt({ inputs: [join(dir, file)], workers: 0 }).then((r) => ({ events: r.summary.events, alerts: r.alerts.map((a) => `${a.ruleId} ${a.host}`).sort() }));
  const want = await summary('evtx-dump.ndjson');
  assert.ok(want.alerts.length > 0, 'the evtx_dump shape alerts');
  assert.deepEqual(await summary('go.ndjson'), want);
  assert.deepEqual(await summary('velociraptor.ndjson'), want);
  assert.deepEqual(await summary('xmltodict.ndjson'), want);
  assert.deepEqual(await summary('separate.ndjson'), want);
});

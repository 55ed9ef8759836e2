/** SigmaHQ regression data (real evtx_dump JSON): every event normalizes; native and ECS views agree with the source. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getField, type Event } from '../../src/events/field.js';
import { detectFlavour, eventHost, eventTime, toEcs, toNative } from '../../src/normalize/index.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { evtxDumpObjects, toFlatShape } from './helpers.js';

function* jsonFiles(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* jsonFiles(p);
    else if (p.endsWith('.json')) yield p;
  }
}

function loadAll(root: string): Event[] {
  const out: Event[] = [];
  for (const f of jsonFiles(root)) out.push(...evtxDumpObjects(f));
  return out;
}

type Sys = { System: Record<string, unknown>; EventData?: Record<string, unknown> };
const sysOf = (e: Event): Sys => e['Event'] as Sys;
const idOf = (e: Event): number => {
  const id = sysOf(e).System['EventID'];
  return Number(typeof id === 'object' && id !== null ? (id as Record<string, unknown>)['#text'] : id);
};

test('every regression event: flavour evtx, a time, a host, both views, EventID/Channel in the native view', (t) => {
  const root = sharedOrSkip(t, 'conformance/sigma/regression_data');
  if (!root) return;
  const events = loadAll(root);
  assert.ok(events.length >= 200, `${events.length} events`);
  for (const e of events) {
    assert.equal(detectFlavour(e), 'evtx');
    const native = toNative(e);
    assert.equal(native['EventID'], idOf(e));
    assert.equal(native['Channel'], sysOf(e).System['Channel']);
    assert.equal(native['Computer'], sysOf(e).System['Computer']);
    for (const [k, v] of Object.entries(sysOf(e).EventData ?? {})) {
      if (k !== '#attributes') assert.deepEqual(native[k], v, `native ${k}`);
    }
    const ecs = toEcs(e);
    assert.equal(getField(ecs, ['event', 'code']), String(idOf(e)));
    assert.equal(getField(ecs, ['host', 'os', 'type']), 'windows');
    assert.ok(eventTime(e), 'has a time');
    assert.equal(eventHost(e), String(sysOf(e).System['Computer']).toLowerCase());
  }
});

test('Sysmon process creation: native Image/CommandLine/EventID 1; ECS process fields; same from the flat shape', (t) => {
  const root = sharedOrSkip(t, 'conformance/sigma/regression_data');
  if (!root) return;
  const starts = loadAll(root).filter(
    (e) => idOf(e) === 1 && sysOf(e).System['Channel'] === 'Microsoft-Windows-Sysmon/Operational',
  );
  assert.ok(starts.length >= 100, `${starts.length} Sysmon 1 events`);
  for (const e of starts) {
    const data = sysOf(e).EventData!;
    const native = toNative(e);
    assert.equal(native['EventID'], 1);
    assert.equal(native['Image'], data['Image']);
    assert.equal(native['CommandLine'], data['CommandLine']);
    const ecs = toEcs(e);
    assert.deepEqual(getField(ecs, ['event', 'category']), ['process']);
    assert.deepEqual(getField(ecs, ['event', 'type']), ['start']);
    assert.equal(getField(ecs, ['process', 'executable']), data['Image']);
    assert.equal(getField(ecs, ['process', 'command_line']), data['CommandLine']);
    assert.equal(getField(ecs, ['process', 'pid']), Number(data['ProcessId']));
    const parent = data['ParentImage'];
    assert.equal(getField(ecs, ['process', 'parent', 'executable']), parent === '-' || parent === '' ? undefined : parent);
    const name = getField(ecs, ['process', 'name']) as string;
    assert.ok(String(data['Image']).endsWith(name), `${name} ends ${data['Image']}`);
    const args = getField(ecs, ['process', 'args']) as string[];
    if (data['CommandLine']) assert.ok(args.length >= 1 && getField(ecs, ['process', 'args_count']) === args.length);
    if (typeof data['User'] === 'string' && data['User'].includes('\\')) {
      assert.equal(`${getField(ecs, ['user', 'domain'])}\\${getField(ecs, ['user', 'name'])}`, data['User']);
    }
    if (typeof data['Hashes'] === 'string' && /MD5=/i.test(data['Hashes'])) {
      assert.match(String(getField(ecs, ['process', 'hash', 'md5'])), /^[0-9a-f]{32}$/);
    }
    const flat = toFlatShape(e);
    const flatEcs = toEcs(flat);
    for (const p of ['process.executable', 'process.command_line', 'process.pid', 'event.category', '@timestamp', 'host.id']) {
      assert.deepEqual(getField(flatEcs, p.split('.')), getField(ecs, p.split('.')), `flat ${p}`);
    }
    assert.equal(toNative(flat)['Image'], data['Image']);
    assert.equal(toNative(flat)['EventID'], 1);
  }
});

test('Sysmon file, registry and image-load events map to their ECS categories and fields', (t) => {
  const root = sharedOrSkip(t, 'conformance/sigma/regression_data');
  if (!root) return;
  const sysmon = loadAll(root).filter((e) => sysOf(e).System['Channel'] === 'Microsoft-Windows-Sysmon/Operational');
  const seen = new Set<number>();
  for (const e of sysmon) {
    const data = sysOf(e).EventData!;
    const ecs = toEcs(e);
    const cat = getField(ecs, ['event', 'category']) as string[];
    switch (idOf(e)) {
      case 11:
        assert.deepEqual(cat, ['file']);
        assert.equal(getField(ecs, ['file', 'path']), data['TargetFilename']);
        assert.equal(toNative(e)['TargetFilename'], data['TargetFilename']);
        break;
      case 12:
      case 13:
        assert.ok(cat.includes('registry'));
        assert.equal(getField(ecs, ['registry', 'path']), data['TargetObject']);
        break;
      case 7:
        assert.deepEqual(cat, ['library']);
        assert.equal(getField(ecs, ['file', 'path']), data['ImageLoaded']);
        if (data['Signed'] !== undefined) {
          assert.equal(getField(ecs, ['file', 'code_signature', 'signed']), data['Signed'] === 'true');
          assert.equal(getField(ecs, ['file', 'code_signature', 'exists']), data['Signed'] === 'true');
        }
        if (data['SignatureStatus'] === 'Valid') assert.equal(getField(ecs, ['file', 'code_signature', 'trusted']), true);
        break;
      case 10:
        assert.deepEqual(cat, ['process']);
        assert.equal(getField(ecs, ['process', 'executable']), data['SourceImage']);
        assert.equal(getField(ecs, ['Target', 'process', 'executable']), data['TargetImage']);
        break;
      default:
        continue;
    }
    seen.add(idOf(e));
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [7, 10, 11, 12, 13]);
});

/** Endgame events (the EQL conformance data): ECS added beside the original fields, exact FILETIME. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getField, type Event } from '../../src/events/field.js';
import { parseJsonExact } from '../../src/events/json.js';
import { fromFiletime } from '../../src/events/timestamp.js';
import { detectFlavour, eventTime, toEcs, toNative } from '../../src/normalize/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

test('endgame test_data: flavour, event.category/sequence, process and file fields, exact time', (t) => {
  const path = sharedOrSkip(t, 'conformance/eql/endgame/test_data.json');
  if (!path) return;
  const events = parseJsonExact(readFileSync(path, 'utf8')) as Event[];
  assert.equal(events.length, 102);
  for (const e of events) {
    assert.equal(detectFlavour(e), 'endgame');
    const ecs = toEcs(e);
    assert.notEqual(ecs, e, 'a new object: the source event keeps its shape');
    for (const k of Object.keys(e)) assert.deepEqual(ecs[k], e[k], `original ${k} kept`);
    assert.equal(getField(ecs, ['event', 'category']), e['event_type']);
    assert.equal(getField(ecs, ['event', 'sequence']), e['serial_event_id']);
    if (e['process_path'] !== undefined) assert.equal(getField(ecs, ['process', 'executable']), e['process_path']);
    if (e['pid'] !== undefined) assert.equal(getField(ecs, ['process', 'pid']), e['pid']);
    if (e['ppid'] !== undefined) assert.equal(getField(ecs, ['process', 'parent', 'pid']), e['ppid']);
    if (e['file_path'] !== undefined) assert.equal(getField(ecs, ['file', 'path']), e['file_path']);
    if (e['command_line'] !== undefined) assert.equal(getField(ecs, ['process', 'command_line']), e['command_line']);
    const ts = e['timestamp'] as bigint | number;
    const want = fromFiletime(BigInt(ts));
    assert.deepEqual(eventTime(e), want, 'FILETIME kept to 100 ns');
    assert.equal(typeof ecs['@timestamp'], 'string');
    assert.equal(toNative(e), e);
  }
  const creates = events.filter((e) => e['event_type'] === 'process' && e['subtype'] === 'create');
  assert.ok(creates.length > 0);
  for (const e of creates) assert.deepEqual(getField(toEcs(e), ['event', 'type']), ['start']);
  // A FILETIME beyond 2^53 keeps its last digits (parseJsonExact yields a bigint).
  const big = events.find((e) => typeof e['timestamp'] === 'bigint');
  assert.ok(big, 'some timestamps need a bigint');
  const tm = eventTime(big)!;
  assert.equal(BigInt(tm.ms) * 10000n + BigInt(tm.ns / 100) + 116444736000000000n, big['timestamp']);
});

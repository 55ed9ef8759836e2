import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getField, parseFieldPath, formatFieldPath } from '../../src/events/field.js';
import { parseJsonExact } from '../../src/events/json.js';

test('dotted keys at any level, with backtracking when the nested branch is a dead end', () => {
  const ev = { process: { pid: 4 }, 'process.code_signature': { trusted: true }, 'a.b.c': 1, a: { 'b.c': 2, b: { c: 3 } } };
  assert.equal(getField(ev, parseFieldPath('process.code_signature.trusted')), true);
  assert.equal(getField(ev, parseFieldPath('process.pid')), 4);
  // Nested wins when present; otherwise the longest dotted key.
  assert.equal(getField(ev, parseFieldPath('a.b.c')), 3);
  assert.equal(getField({ 'a.b.c': 1, a: { 'b.c': 2 } }, parseFieldPath('a.b.c')), 1);
  assert.equal(getField({ a: { 'b.c': 2 } }, parseFieldPath('a.b.c')), 2);
  assert.equal(getField(ev, parseFieldPath('process.code_signature.nope')), undefined);
  assert.equal(getField({ 'x.y': [{ z: 5 }] }, parseFieldPath('x.y[0].z')), 5);
  assert.equal(formatFieldPath(parseFieldPath('x.y[0].z')), 'x.y[0].z');
});

test('a long digit run inside a string does not trigger bigint rewriting; one after a colon does', () => {
  const v = parseJsonExact('{"h":"x:1234567890123456789","n":[1,12345678901234567890]}') as { h: string; n: unknown[] };
  assert.equal(v.h, 'x:1234567890123456789');
  assert.equal(v.n[1], 12345678901234567890n);
});

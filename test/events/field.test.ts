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

test('jsonTextHasNoDottedKey: true only when no key at any level holds a dot (against the walk of the parsed value)', async () => {
  const { jsonTextHasNoDottedKey, noDottedKeys } = await import('../../src/events/field.js');
  const cases: [string, boolean][] = [
    ['{"a":1.5,"b":"x.y","c":{"d":"1.2.3.4"}}', true],
    ['{"a.b":1}', false],
    ['{"a":{"b":{"c.d":1}}}', false],
    ['{"n":1.5,"a.b":2}', false],
    ['{"a":[{"x.y":1}]}', false],
    ['{"a" : 1, "b.c"\t:\n2}', false],
    ['{"v":"ends with dot.","w":"a.\\\\"}', true],
    ['{"v":"q\\".x\\"","w.z":1}', false],
    ['{"v":"q\\"x.y\\" tail","w":1}', true],
    ['{"a\\u002eb":1}', false],
    ['{"a":"\\u002e"}', false], // an escape anywhere: not decided (conservative)
    ['{"n":1.5,":k":1}', false], // a string starting with ':' after a dot outside strings: conservative
    ['{"path":"C:\\\\Windows\\\\x.exe","ip":["10.0.0.1"],"t":"2026-03-02T08:00:00.002Z"}', true],
    ['{}', true],
    ['{"a":"."}', true],
  ];
  for (const [text, want] of cases) {
    assert.equal(jsonTextHasNoDottedKey(text), want, text);
    // Never true when the parsed value has a dotted key.
    if (jsonTextHasNoDottedKey(text)) assert.equal(noDottedKeys(JSON.parse(text)), true, text);
  }
  // Random documents: keys and strings drawn from pieces with dots, quotes, backslashes and colons.
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = ['a', 'b.c', '.', '"', '\\', ':', ' ', 'x', '.:', '":', 'é', '\u002e'];
  const str = (): string => Array.from({ length: rnd(4) }, () => pieces[rnd(pieces.length)]).join('');
  const val = (depth: number): unknown => {
    switch (rnd(depth > 3 ? 3 : 5)) {
      case 0:
        return str();
      case 1:
        return rnd(2) ? rnd(1000) / 8 : rnd(100);
      case 2:
        return null;
      case 3:
        return Array.from({ length: rnd(3) }, () => val(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = rnd(4); i > 0; i--) o[str()] = val(depth + 1);
        return o;
      }
    }
  };
  let yes = 0;
  let no = 0;
  for (let i = 0; i < 10000; i++) {
    const o: Record<string, unknown> = {};
    for (let k = rnd(5); k > 0; k--) o[str()] = val(0);
    const text = JSON.stringify(o, null, rnd(4) === 0 ? 1 : undefined);
    const walk = noDottedKeys(JSON.parse(text));
    const fast = jsonTextHasNoDottedKey(text);
    if (fast) assert.equal(walk, true, text);
    if (walk && !fast) no++;
    if (fast) yes++;
  }
  assert.ok(yes > 1000, `${yes} texts decided without a dotted key`);
  assert.ok(no < yes, `${no} conservative misses`);
});

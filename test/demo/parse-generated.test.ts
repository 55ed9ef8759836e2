import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonExact } from '../../src/events/json.js';
import { generateEvents } from '../../src/demo/generate.js';

test('every generated line parses with the exact JSON parser the sources use', () => {
  let n = 0;
  for (const line of generateEvents({ events: 3000, hosts: 12, seed: 4 }).lines) {
    assert.deepEqual(parseJsonExact(line), JSON.parse(line));
    n++;
  }
  assert.equal(n, 3000);
});

test('long fractions and exponents are numbers, not mistaken for 64-bit integers', () => {
  assert.deepEqual(parseJsonExact('{"entropy":6.4399999999999995,"e":1.5e-1234567890123456}'), { entropy: 6.4399999999999995, e: 0 });
  assert.deepEqual(parseJsonExact('{"id":18446744073709551615,"f":0.12345678901234567}'), { id: 18446744073709551615n, f: 0.12345678901234567 });
});

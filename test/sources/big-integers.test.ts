import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayHoldBigLiteral } from '../../src/sources/big-integers.js';

test('mayHoldBigLiteral answers exactly as parseJsonExact\'s pattern /[:,[]\\s*-?\\d{16}/', () => {
  const reference = (s: string) => /[:,[]\s*-?\d{16}/.test(s);
  const samples = [
    '',
    '{"t":131485996510000000}',
    '{"t": -131485996510000000}',
    '{"t":[1,\t1234567890123456]}',
    '{"header_bytes":"00000000000000000000000000000000","n":1}',
    '{"h":"x1234567890123456","n":12345678901234567}',
    '{"a":"1234567890123456"}',
    '1234567890123456',
    '{"a":1.1234567890123456}',
    '{"a":\u00a01234567890123456}',
  ];
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const others = [',', ':', '[', ' ', '-', '"', 'a', '.', '\t', '\u2028'];
  for (let k = 0; k < 5000; k++) {
    let s = '';
    const len = Math.floor(rnd() * 90);
    for (let i = 0; i < len; i++) s += rnd() < 0.88 ? String(Math.floor(rnd() * 10)) : others[Math.floor(rnd() * others.length)];
    samples.push(s);
  }
  for (const s of samples) assert.equal(mayHoldBigLiteral(s), reference(s), JSON.stringify(s));
});

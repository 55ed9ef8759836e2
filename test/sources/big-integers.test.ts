import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mayHoldBigInteger } from '../../src/sources/big-integers.js';

test('mayHoldBigInteger finds every run of 16+ digits and nothing shorter', () => {
  const reference = (s: string) => /\d{16}/.test(s);
  const samples = ['', '1234567890123456', 'x123456789012345y', 'a1234567890123456', '12345678901234567b', '{"t":131485996510000000}'];
  // Random strings dense in digits, where skipping must not jump over a run.
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < 3000; k++) {
    let s = '';
    const len = Math.floor(rnd() * 80);
    for (let i = 0; i < len; i++) s += rnd() < 0.85 ? String(Math.floor(rnd() * 10)) : ',';
    samples.push(s);
  }
  for (const s of samples) assert.equal(mayHoldBigInteger(s), reference(s), s);
});

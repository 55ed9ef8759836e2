/**
 * bench/stamp.ts: the bench client's in-place timestamp writer gives exactly the text of the
 * Date.toISOString-based reference, across days, months, years and leap days.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StampWriter, isoMicros } from '../../bench/stamp.js';

test('StampWriter writes the same YYYY-MM-DDTHH:MM:SS.ffffffZ as the reference, over what was there', () => {
  const w = new StampWriter();
  const b = Buffer.from(`x${isoMicros(0)}y`, 'latin1');
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const cases = [0, 999_999, 86_400_000_000 - 1, Date.UTC(2024, 1, 29, 23, 59, 59) * 1000 + 999_999, Date.UTC(2026, 11, 31, 23, 59, 59) * 1000 + 1];
  for (let i = 0; i < 5000; i++) cases.push(Math.floor(rnd() * Date.UTC(2100, 0, 1) * 1000));
  // Increasing runs too (the bench moves each event forward by a round at a time).
  for (let u = Date.UTC(2026, 2, 9, 23, 59, 0) * 1000; u < Date.UTC(2026, 2, 10, 0, 1, 0) * 1000; u += 7_777_777) cases.push(u);
  for (const us of cases) {
    w.write(b, 1, us);
    assert.equal(b.toString('latin1'), `x${isoMicros(us)}y`, String(us));
  }
});

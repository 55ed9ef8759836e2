/**
 * The slots of the tables of recent texts (engine/text-slot.ts; the matcher's memo front is tested
 * in multi-match.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textSlot } from '../../src/engine/text-slot.js';

function texts(): string[] {
  const out: string[] = [''];
  for (let i = 0; i < 2000; i++) {
    out.push(`C:\\Windows\\System32\\x${i % 10}${(i * 7) % 10}.exe`, `c:\\windows\\system32\\X${i % 10}${(i * 7) % 10}.EXE`, 'ABCDEFGHIJKLMNOP'.slice(0, 1 + (i % 16)) + String(i % 300), `İstanbul ${i % 50} Kelvin \u212a`);
  }
  return out;
}

test('textSlot gives the even slot of a pair in the table, and spreads one-character differences', () => {
  const seen = new Set<number>();
  for (const t of texts()) {
    const s = textSlot(t, 63);
    assert.ok(s >= 0 && s <= 62 && s % 2 === 0, t);
    seen.add(s);
  }
  assert.ok(seen.size > 24, `${seen.size} of 32 pairs used`);
});

/**
 * The direct-mapped tables of recent texts (engine/text-slot.ts): a remembered test and the
 * lower-casing memo answer only for the very text they saw — over more texts than slots, texts of
 * one length differing in one character (which share slots), and texts seen again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rememberTest, textSlot } from '../../src/engine/text-slot.js';
import { lowerIn, lowerSlot } from '../../src/engine/lower.js';

function texts(): string[] {
  const out: string[] = [''];
  for (let i = 0; i < 2000; i++) {
    out.push(`C:\\Windows\\System32\\x${i % 10}${(i * 7) % 10}.exe`, `c:\\windows\\system32\\X${i % 10}${(i * 7) % 10}.EXE`, 'ABCDEFGHIJKLMNOP'.slice(0, 1 + (i % 16)) + String(i % 300), `İstanbul ${i % 50} Kelvin \u212a`);
  }
  return out;
}

test('textSlot stays in the table and spreads one-character differences', () => {
  const seen = new Set<number>();
  for (const t of texts()) {
    const s = textSlot(t, 63);
    assert.ok(s >= 0 && s <= 63 && Number.isInteger(s), t);
    seen.add(s);
  }
  assert.ok(seen.size > 48, `${seen.size} of 64 slots used`);
});

test('a remembered test gives the test\'s own answer for every text, seen again or not', () => {
  let calls = 0;
  const raw = (s: string): boolean => {
    calls++;
    return /x[13]7\.exe$|^abc/i.test(s);
  };
  const remembered = rememberTest(raw, 16);
  const all = texts();
  for (let round = 0; round < 3; round++) {
    for (const [i, t] of all.entries()) {
      const want = /x[13]7\.exe$|^abc/i.test(t);
      assert.equal(remembered(t), want, `round ${round}: ${t}`);
      // The same text again, as another string object, and a text seen a few texts before.
      assert.equal(remembered((t + ' ').slice(0, -1)), want, `round ${round}, again: ${t}`);
      const before = all[Math.max(0, i - 3)]!;
      assert.equal(remembered(before), /x[13]7\.exe$|^abc/i.test(before), `round ${round}, before: ${before}`);
    }
  }
  assert.ok(calls < all.length * 3 * 2, `${calls} calls: answers came from the table`);
});

test('lowerIn gives toLowerCase of every text, from two paths\' slots, seen again or not', () => {
  const a = lowerSlot(['text-slot-test', 'a']);
  const b = lowerSlot(['text-slot-test', 'b']);
  const all = texts();
  for (let round = 0; round < 3; round++) {
    for (const [i, t] of all.entries()) {
      // Fresh strings (as a parsed event's): equal text, another object.
      const fresh = (t + ' ').slice(0, -1);
      assert.equal(lowerIn(i % 2 === 0 ? a : b, fresh), t.toLowerCase(), `round ${round}: ${t}`);
      assert.equal(lowerIn(i % 3 === 0 ? a : b, t), t.toLowerCase(), `round ${round}: ${t}`);
    }
  }
});

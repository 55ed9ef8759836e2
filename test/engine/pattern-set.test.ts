/**
 * engine/pattern-set: a long wildcard list tried through one Aho–Corasick pass gives exactly the
 * answers of testing every pattern (pattern.ts compilePatterns), case-sensitive and not, with `?`,
 * stars, plain texts, non-ASCII text and repeated needles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatternSet, longestLiteral } from '../../src/engine/pattern-set.js';
import { compilePatterns } from '../../src/engine/pattern.js';
import { parseEql } from '../../src/eql/index.js';
import { compilePredicate } from '../../src/engine/index.js';
import type { Pattern, Query } from '../../src/ir/types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const lit = (v: string): Pattern[number] => ({ t: 'lit', v });
const STAR: Pattern[number] = { t: 'star' };
const ONE: Pattern[number] = { t: 'one' };

test('longestLiteral: the longest literal run, lower-cased part by part when asked', () => {
  assert.equal(longestLiteral([STAR, lit('ab'), lit('C'), STAR, lit('x')], true), 'abc');
  assert.equal(longestLiteral([ONE, lit(':\\Win'), STAR], false), ':\\Win');
  assert.equal(longestLiteral([STAR, ONE, STAR], true), '');
});

test('a wildcard list through the automaton answers as every pattern tested one by one', () => {
  const r = rng(7);
  const alphabet = ['a', 'B', 'c', '\\', '.', ' ', 'İ', 'é', '𝒳', 'x', 'K', 'k'];
  const word = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]!).join('');
  let tried = 0;
  let matched = 0;
  for (let round = 0; round < 200; round++) {
    const patterns: Pattern[] = [];
    const n = 1 + Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      const p: Pattern = [];
      const parts = 1 + Math.floor(r() * 5);
      for (let j = 0; j < parts; j++) {
        const x = r();
        p.push(x < 0.25 ? STAR : x < 0.4 ? ONE : lit(word(1 + Math.floor(r() * 3))));
      }
      patterns.push(p);
    }
    for (const lower of [true, false]) {
      const set = compilePatternSet(patterns, lower);
      const each = compilePatterns(patterns, lower);
      for (let t = 0; t < 60; t++) {
        // Texts built from the patterns' own pieces, so many of them match.
        let s = '';
        const pieces = 1 + Math.floor(r() * 6);
        for (let j = 0; j < pieces; j++) {
          const p = patterns[Math.floor(r() * patterns.length)]!;
          const part = p[Math.floor(r() * p.length)]!;
          s += part.t === 'lit' ? part.v : word(Math.floor(r() * 3));
        }
        if (lower) s = s.toLowerCase();
        tried++;
        const want = each(s);
        if (want) matched++;
        assert.equal(set(s), want, `${JSON.stringify(patterns)} on ${JSON.stringify(s)} (lower ${lower})`);
        // The same text again (the automaton and its per-evaluation marks are reused).
        assert.equal(set(s), want);
      }
    }
  }
  assert.ok(matched > tried / 10 && matched < tried, `${matched} of ${tried} texts match`);
});

test("an EQL condition with a long exclusion list and `?` patterns decides as the pattern-by-pattern test", () => {
  const q = parseEql(
    'process where process.command_line : ("*).Run(*", "*GetObject*", "*/?cMD<*", "*&#*;&#*;*", "*echo*wscript*", "*\\\\u00??\\\\u00??*") and not process.executable : ("?:\\\\Program Files\\\\*.exe", "?:\\\\Windows\\\\System32\\\\*", "C:\\\\Tools\\\\?.exe", "*\\\\x.exe")',
  ) as Extract<Query, { kind: 'event' }>;
  const test = compilePredicate(q.query.where);
  const ev = (cmd: string, exe: string) => ({ process: { command_line: cmd, executable: exe } });
  assert.equal(test(ev('cscript /xCMD< a', 'D:\\y.exe')), true);
  assert.equal(test(ev('cscript /x /CMD< a', 'D:\\y.exe')), false, '? is one character');
  assert.equal(test(ev('a \\u0041\\u0042 b', 'D:\\y.exe')), true);
  assert.equal(test(ev('a \\u0041 b', 'D:\\y.exe')), false);
  assert.equal(test(ev('ECHO x WScript', 'C:\\Program Files\\a.exe')), false, 'excluded');
  assert.equal(test(ev('ECHO x WScript', 'C:\\Tools\\a.exe')), false, 'excluded by ?');
  assert.equal(test(ev('ECHO x WScript', 'C:\\Tools\\ab.exe')), true);
  assert.equal(test(ev('&#1;&#2;', 'C:\\Windows\\System32')), true, 'System32 without a backslash after it is not excluded');
  assert.equal(test({ process: { command_line: ['a', 'x).run(y'], executable: null } }), true, 'arrays: any element');
});

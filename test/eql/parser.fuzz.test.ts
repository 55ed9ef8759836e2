/**
 * Robustness: mutated queries (deleted, duplicated and inserted characters and tokens) either parse
 * or fail with an EqlSyntaxError carrying a valid position; nothing else may escape the parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EqlSyntaxError, parseEql, type EqlDialect } from '../../src/eql/index.js';
import { rng } from '../helpers/rng.js';

const SEEDS = [
  'sequence by host.id with maxspan=1m [file where process.pid == 4 and file.extension : ("exe", "scr")] by file.path [process where true] by process.executable',
  'process where startsWith~(process.name, "cmd") or length(process.args) > 3 and not process.name in~ ("a", "b")',
  'sample by host [any where a regex~ """x.*"""] [any where ?b like "*\\\\c*"] | head 5',
  "join by pid [process where name == 'x*'] [file where descendant of [process where a = ?'raw']] until [network where true] | unique a b | sort c",
  'sequence [a where x / 2.0 + -y % 3 >= 1e3] ![b where `odd field`[0].z != null] with runs=2 [c where cidrMatch(ip, "10.0.0.0/8")] until [d where false]',
  'process where arraySearch(list, v, v.a : "s*" and arrayCount(v.b, w, w > 1) == 2) | count x | filter x > 1',
];

const INSERTS = ['(', ')', '[', ']', '"', "'", '`', '?', '!', '~', ':', '|', ',', '.', '=', '==', ' and ', ' not ', ' in ', ' by ', ' where ', '\n', '\\', '/*', '*/', '//', '-', '9999999999999999999999', '"""', '\u{1F600}'];

function mutate(text: string, rand: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(rand() * (s.length + 1));
    const r = rand();
    if (r < 0.35) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 4));
    else if (r < 0.7) s = s.slice(0, at) + INSERTS[Math.floor(rand() * INSERTS.length)]! + s.slice(at);
    else {
      const len = Math.floor(rand() * 12);
      s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
    }
  }
  return s;
}

test('mutated queries parse or raise EqlSyntaxError with a valid position', () => {
  const rand = rng(20261123);
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 1500; i++) {
    const text = mutate(SEEDS[i % SEEDS.length]!, rand);
    for (const dialect of ['elasticsearch', 'endgame'] as EqlDialect[]) {
      try {
        parseEql(text, { dialect });
        parsed++;
      } catch (e) {
        if (!(e instanceof EqlSyntaxError)) assert.fail(`${dialect}: ${String(e)} for ${JSON.stringify(text)}`);
        const lines = text.split(/\r\n|\r|\n/);
        assert.ok(e.line >= 1 && e.line <= lines.length, `line ${e.line} for ${JSON.stringify(text)}`);
        assert.ok(e.column >= 1 && e.column <= lines[e.line - 1]!.length + 1, `column ${e.column} for ${JSON.stringify(text)}`);
        assert.ok(e.format().includes('^'));
        rejected++;
      }
    }
  }
  assert.ok(parsed > 0 && rejected > 0, `parsed ${parsed}, rejected ${rejected}`);
});

/**
 * IR → EQL text (src/eql/format.ts). Round trip: every query of the shared suites, parsed in its
 * dialect, formats to text that parses back to the very same IR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { EqlFormatError, formatExpr, formatQuery, parseEql, parseEqlExpression, type EqlDialect } from '../../src/eql/index.js';
import type { Expr } from '../../src/ir/types.js';
import { sharedOrSkip } from '../helpers/shared.js';

const SUITES: [string, EqlDialect][] = [
  ['endgame/test_queries.toml', 'endgame'],
  ['elasticsearch/test_queries.toml', 'elasticsearch'],
  ['elasticsearch/additional_test_queries.toml', 'elasticsearch'],
  ['elasticsearch/test_missing_events.toml', 'elasticsearch'],
  ['elasticsearch/test_extra.toml', 'elasticsearch'],
];

for (const [file, dialect] of SUITES) {
  test(`round trip parse → format → parse: ${file}`, (t) => {
    const path = sharedOrSkip(t, 'conformance', 'eql', file);
    if (path === null) return;
    const doc = parseToml(readFileSync(path, 'utf8')) as { queries: { query: string }[] };
    let n = 0;
    for (const { query } of doc.queries) {
      const ir = parseEql(query, { dialect });
      const text = formatQuery(ir, dialect);
      assert.deepEqual(parseEql(text, { dialect }), ir, `${query}\n  formatted as\n${text}`);
      n++;
    }
    t.diagnostic(`${file}: ${n}/${doc.queries.length} round trips`);
  });
}

test('round trip: the Elastic detection rules and the folding expressions', (t) => {
  const dir = sharedOrSkip(t, 'reference', 'elastic-detection-rules');
  if (dir === null) return;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.toml'))) {
    const rule = (parseToml(readFileSync(join(dir, f), 'utf8')) as { rule?: { type?: string; query?: string } }).rule;
    if (rule?.type !== 'eql' || rule.query === undefined) continue;
    const ir = parseEql(rule.query);
    assert.deepEqual(parseEql(formatQuery(ir)), ir, f);
  }
  const fold = sharedOrSkip(t, 'conformance', 'eql', 'endgame', 'test_string_functions.toml');
  if (fold === null) return;
  const exprs = [...readFileSync(fold, 'utf8').matchAll(/^\s*expression = (['"])(.*)\1$/gm)].map((m) => m[2]!);
  for (const text of exprs) {
    let ir: Expr;
    try {
      ir = parseEqlExpression(text, { dialect: 'endgame' });
    } catch {
      continue; // the suite's intentional errors
    }
    assert.deepEqual(parseEqlExpression(formatExpr(ir, 'endgame'), { dialect: 'endgame' }), ir, text);
  }
});

test('formatting is readable and minimally parenthesised', () => {
  assert.equal(
    formatQuery(parseEql('sequence by host.id with maxspan=60s [file where a == 1 and (b or c)] by x [process where not d : ("e*", "f")] by y | head 3')),
    'sequence by host.id with maxspan=1m\n  [file where a == 1 and (b or c)] by x\n  [process where not d : ("e*", "f")] by y\n| head 3',
  );
  assert.equal(formatExpr(parseEqlExpression('(a + b) * -c - (d - e)')), '(a + b) * -c - (d - e)');
  assert.equal(formatExpr(parseEqlExpression('`odd name`.x[0] == "q\\"uote\\\\"')), '`odd name`.x[0] == "q\\"uote\\\\"');
  assert.equal(formatExpr(parseEqlExpression('x / 2.0')), 'x / 2.0');
});

test('IR a dialect cannot express raises EqlFormatError', () => {
  assert.throws(() => formatExpr({ kind: 'keyword', patterns: [], caseInsensitive: true }), EqlFormatError);
  assert.throws(() => formatExpr(parseEqlExpression('a == "x"'), 'endgame'), EqlFormatError);
  assert.throws(() => formatExpr(parseEqlExpression('a == "x"', { dialect: 'endgame' })), EqlFormatError);
  assert.throws(() => formatExpr(parseEqlExpression('descendant of [any where true]', { dialect: 'endgame' })), EqlFormatError);
});

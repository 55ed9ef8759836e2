/**
 * Conformance: every query of the shared EQL suites (../shared/conformance/eql) that should parse
 * does, in its dialect; entries the suites mark as verifier failures must be rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { EqlSyntaxError, parseEql, parseEqlExpression, type EqlDialect } from '../../src/eql/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

interface Entry {
  where: string;
  text: string;
  kind: 'query' | 'expression';
  expectError: boolean;
}

/** Queries of a `[[queries]]` suite. */
function queryEntries(doc: Record<string, unknown>): Entry[] {
  const list = (doc.queries ?? []) as Record<string, unknown>[];
  return list.map((q, i) => ({
    where: `queries[${i}]${typeof q.name === 'string' ? ` ${q.name}` : ''}`,
    text: String(q.query),
    kind: 'query',
    expectError: false,
  }));
}

/** Expressions of the folding / optimizer / string-function suites, found anywhere in the tree. */
function expressionEntries(node: unknown, at: string, out: Entry[] = []): Entry[] {
  if (Array.isArray(node)) {
    node.forEach((n, i) => expressionEntries(n, `${at}[${i}]`, out));
  } else if (node !== null && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    const param = obj.param as { type?: string[]; name?: string } | undefined;
    if (param?.name !== undefined && Array.isArray(param.type)) {
      // A template: `$name` stands for one sample literal of each listed type.
      for (const type of param.type) {
        const sample = SAMPLES[type];
        assert.ok(sample !== undefined, `no sample literal for type ${type}`);
        const inner = expressionEntries({ ...obj, param: undefined }, `${at}<${type}>`);
        for (const e of inner) out.push({ ...e, text: e.text.split(`$${param.name}`).join(sample) });
      }
      return out;
    }
    const failure = /\.failures\[\d+\]$/.test(at);
    for (const key of ['expression', 'optimized', 'alternate']) {
      if (typeof obj[key] === 'string') {
        out.push({ where: `${at}.${key}`, text: obj[key] as string, kind: 'expression', expectError: failure && key === 'expression' });
      }
    }
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'object') expressionEntries(v, at === '' ? k : `${at}.${k}`, out);
    }
  }
  return out;
}

/** Sample literals substituted into the folding suite's `$value` templates. */
const SAMPLES: Record<string, string> = { bool: 'true', int: '42', string: '"text"', float: '2.5', null: 'null' };

const SUITES: { file: string; dialect: EqlDialect; kind: 'queries' | 'expressions' }[] = [
  { file: 'endgame/test_queries.toml', dialect: 'endgame', kind: 'queries' },
  { file: 'endgame/test_string_functions.toml', dialect: 'endgame', kind: 'expressions' },
  { file: 'endgame/test_folding.toml', dialect: 'endgame', kind: 'expressions' },
  { file: 'endgame/test_optimizer.toml', dialect: 'endgame', kind: 'expressions' },
  { file: 'elasticsearch/test_queries.toml', dialect: 'elasticsearch', kind: 'queries' },
  { file: 'elasticsearch/additional_test_queries.toml', dialect: 'elasticsearch', kind: 'queries' },
  { file: 'elasticsearch/test_missing_events.toml', dialect: 'elasticsearch', kind: 'queries' },
  { file: 'elasticsearch/test_extra.toml', dialect: 'elasticsearch', kind: 'queries' },
];

for (const suite of SUITES) {
  test(`EQL conformance (parsing): ${suite.file} [${suite.dialect}]`, (t) => {
    const path = sharedOrSkip(t, 'conformance', 'eql', suite.file);
    if (path === null) return;
    const doc = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const entries = suite.kind === 'queries' ? queryEntries(doc) : expressionEntries(doc, '');
    assert.ok(entries.length > 0, 'suite has entries');
    const failures: string[] = [];
    let ok = 0;
    for (const e of entries) {
      const run = (): unknown =>
        e.kind === 'query' ? parseEql(e.text, { dialect: suite.dialect }) : parseEqlExpression(e.text, { dialect: suite.dialect });
      try {
        run();
        if (e.expectError) failures.push(`${e.where}: expected an error, parsed: ${e.text}`);
        else ok++;
      } catch (err) {
        if (!(err instanceof EqlSyntaxError)) throw err;
        if (e.expectError) ok++;
        else failures.push(`${e.where}: ${err.format()}`);
      }
    }
    t.diagnostic(`${suite.file}: ${ok}/${entries.length} as expected`);
    assert.deepEqual(failures, [], `${failures.length} of ${entries.length} entries:\n${failures.join('\n\n')}`);
  });
}

test("every EQL rule in ../shared's Elastic detection rules parses in the Elasticsearch dialect", (t) => {
  const dir = sharedOrSkip(t, 'reference', 'elastic-detection-rules');
  if (dir === null) return;
  let parsed = 0;
  const failures: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.toml'))) {
    const doc = parseToml(readFileSync(join(dir, file), 'utf8')) as { rule?: { type?: string; language?: string; query?: string } };
    const rule = doc.rule;
    if (rule?.query === undefined || (rule.type !== 'eql' && rule.language !== 'eql')) continue;
    try {
      parseEql(rule.query);
      parsed++;
    } catch (err) {
      if (!(err instanceof EqlSyntaxError)) throw err;
      failures.push(`${file}: ${err.format()}`);
    }
  }
  t.diagnostic(`Elastic EQL rules parsed: ${parsed}/${parsed + failures.length}`);
  assert.deepEqual(failures, []);
  assert.ok(parsed >= 1);
});

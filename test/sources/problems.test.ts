import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProblemCounter, formatProblem } from '../../src/sources/problems.js';

test('ProblemCounter counts by kind, keeps the first ones, prints spoor: FILE:WHERE: message unless quiet', () => {
  const lines: string[] = [];
  const c = new ProblemCounter({ write: (l) => lines.push(l), keep: 2 });
  c.sink({ kind: 'malformed-json', file: 'a.ndjson', where: 'line 3', message: 'Unexpected end', skipped: true });
  c.sink({ kind: 'malformed-json', file: 'a.ndjson', where: 'line 9', message: 'x', skipped: true });
  c.sink({ kind: 'unknown-format', file: 'README.md', message: 'not a log', skipped: true });
  assert.deepEqual(c.counts, { 'malformed-json': 2, 'unknown-format': 1 });
  assert.equal(c.total(), 3);
  assert.equal(c.first.length, 2);
  assert.equal(c.summary(), 'malformed-json: 2, unknown-format: 1');
  assert.deepEqual(lines, ['spoor: a.ndjson:line 3: Unexpected end', 'spoor: a.ndjson:line 9: x', 'spoor: README.md: not a log']);
  const quiet = new ProblemCounter({ quiet: true, write: (l) => lines.push(l) });
  quiet.sink({ kind: 'other', file: 'f', message: 'm', skipped: true });
  assert.equal(lines.length, 3);
  assert.equal(quiet.total(), 1);
  assert.equal(formatProblem({ kind: 'other', file: 'f', message: 'kept', skipped: false }), 'spoor: f: kept (warning, data kept)');
});

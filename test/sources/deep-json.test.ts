/**
 * Deep JSON never crashes (issue 10, item 2): a record nested 100k levels deep, in NDJSON or a JSON
 * array, is reported with file:line and skipped by dump (every view and format), query and hunt;
 * the good records before and after are kept; no stack trace. Records up to MAX_JSON_DEPTH stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../src/events/json.js';
import { readInputs, type SourceProblem } from '../../src/sources/index.js';

const nest = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const good = (s: number): string => JSON.stringify({ '@timestamp': `2024-01-01T00:00:0${s}Z`, host: { name: 'h' }, event: { category: ['process'], type: ['start'] }, process: { name: `good${s}.exe` } });

test('jsonDepthExceeds: counts nesting outside strings only', () => {
  assert.equal(jsonDepthExceeds(nest(MAX_JSON_DEPTH)), false);
  assert.equal(jsonDepthExceeds(nest(MAX_JSON_DEPTH + 1)), true);
  assert.equal(jsonDepthExceeds(JSON.stringify({ s: '{'.repeat(500) + '\\"[[[' })), false);
  assert.equal(jsonDepthExceeds('['.repeat(150) + ']'.repeat(150)), true);
});

test('a 100k-deep record is skipped with file:line in dump, query and hunt; neighbours kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-deep-'));
  try {
    const nd = join(dir, 'deep.ndjson');
    writeFileSync(nd, `${good(1)}\n${nest(100_000)}\n${JSON.stringify({ ...JSON.parse(good(2)), x: JSON.parse(nest(50)) })}\n${good(3)}\n`);
    const arr = join(dir, 'deep.json');
    writeFileSync(arr, `[${good(1)},\n${nest(100_000)},\n${good(2)},\n${good(3)}]\n`);
    const runs: [string[], string][] = [];
    // Every view × format on NDJSON; the JSON-array reader with one format per view (the views and
    // formats are downstream of the reader, which is where the record is dropped).
    for (const view of ['raw', 'ecs', 'native']) for (const format of ['ndjson', 'json', 'table']) runs.push([['dump', '--view', view, '-f', format, nd], nd]);
    runs.push([['dump', '--view', 'raw', '-f', 'ndjson', arr], arr], [['dump', '--view', 'ecs', '-f', 'json', arr], arr], [['dump', '--view', 'native', '-f', 'table', arr], arr]);
    for (const file of [nd, arr]) {
      runs.push([['query', 'process where true', file], file]);
      runs.push([['hunt', '-w', '0', '--no-progress', '-f', 'json', file], file]);
    }
    const results = [];
    for (let i = 0; i < runs.length; i += 2) results.push(...(await Promise.all(runs.slice(i, i + 2).map(([args]) => runCli(args, { timeoutMs: 60_000 })))));
    for (const [k, [args, file]] of runs.entries()) {
      const r = results[k]!;
      const label = args.join(' ');
      assert.doesNotMatch(r.stderr, /\n\s+at |RangeError|Maximum call stack/, `${label}: no stack trace`);
      assert.ok(r.code === 0 || r.code === 1, `${label}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      const where = file.endsWith('.ndjson') ? 'line 2' : 'element 2 \\(line 2\\)';
      assert.match(r.stderr, new RegExp(`deep\\.n?d?json:${where}: nested deeper than ${MAX_JSON_DEPTH} levels`), label);
      // The three good records around the deep one are all kept.
      const kept = args[0] === 'dump' ? /3 events from 1 file/ : args[0] === 'query' ? /3 results from 1 file/ : /events\s+3\b/;
      assert.match(r.stderr, kept, `${label}: ${r.stderr.slice(-300)}`);
      if (args[0] === 'dump' && args[2] === 'raw' && args[4] !== 'table') for (const n of [1, 2, 3]) assert.match(r.stdout, new RegExp(`good${n}`), label);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Windows XML: an event nested 100k elements deep is skipped with its line; the next event is kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-deep-xml-'));
  try {
    const f = join(dir, 'deep.xml');
    const ev = (id: number, data = ''): string => `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>${id}</EventID></System><EventData>${data}</EventData></Event>\n`;
    writeFileSync(f, `<Events>\n${ev(1)}${ev(2, '<a>'.repeat(100_000) + 'x' + '</a>'.repeat(100_000))}${ev(3)}</Events>\n`);
    const problems: SourceProblem[] = [];
    const ids: unknown[] = [];
    for await (const batch of readInputs([f], (p) => problems.push(p))) for (const se of batch) ids.push((se.event as { Event: { System: { EventID: unknown } } }).Event.System.EventID);
    assert.deepEqual(ids, [1, 3]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.where, 'line 3');
    assert.match(problems[0]!.message, /nested deeper than 100 elements/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

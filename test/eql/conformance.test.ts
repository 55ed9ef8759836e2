/**
 * EQL conformance: the Endgame (python eql) and Elasticsearch spec suites from ../shared,
 * parsed by src/eql and run by src/engine. Prints pass/total per suite and every failure with
 * expected vs got; asserts the pass counts reached so far as floors (aim: every query).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { parseEql, parseEqlExpression } from '../../src/eql/index.js';
import { compileExpr, runBatch, type EngineOptions, type Match } from '../../src/engine/index.js';
import { parseJsonExact } from '../../src/events/json.js';
import { fromFiletime, parseTimestamp } from '../../src/events/timestamp.js';
import type { Event } from '../../src/events/field.js';
import { sharedOrSkip } from '../helpers/shared.js';

interface Spec {
  name?: string;
  query: string;
  expected_event_ids: number[] | number[][];
  case_sensitive?: boolean;
  case_insensitive?: boolean;
}

interface Outcome {
  pass: number;
  total: number;
  failures: string[];
}

function loadSpecs(path: string): Spec[] {
  const doc = parseToml(readFileSync(path, 'utf8')) as unknown as { queries: Spec[] };
  return doc.queries.map((q) => ({
    ...q,
    expected_event_ids: (q.expected_event_ids as unknown[]).map((x) =>
      Array.isArray(x) ? x.map(Number) : Number(x),
    ) as number[] | number[][],
  }));
}

function endgameEvents(path: string): Event[] {
  return parseJsonExact(readFileSync(path, 'utf8')) as Event[];
}

/** The Elasticsearch view of the same data: @timestamp from FILETIME, event.category / event.sequence aliases. */
function elasticEvents(raw: Event[]): Event[] {
  return raw.map((ev) => ({
    ...ev,
    '@timestamp': ev['timestamp'],
    event: { category: ev['event_type'], sequence: ev['serial_event_id'] },
  }));
}

/** missing-events.data: JSON with `//` comment lines. */
function missingEvents(path: string): Event[] {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('//'))
    .join('\n');
  return (parseJsonExact(text) as Event[]).map((ev) => ({
    ...ev,
    event: { category: ev['event_type'], sequence: ev['sequence'] },
  }));
}

const filetimeOf = (field: string) => (ev: Event) => {
  const v = ev[field];
  return typeof v === 'bigint' || typeof v === 'number' ? fromFiletime(BigInt(v)) : parseTimestamp(v);
};

function ids(matches: Match[], idField: string): number[] {
  const out: number[] = [];
  for (const m of matches) {
    const missing = new Set(m.missingStages ?? []);
    let e = 0;
    const total = m.events.length + missing.size;
    for (let pos = 0; pos < total; pos++) {
      if (missing.has(pos)) out.push(-1);
      else out.push(Number(m.events[e++]![idField]));
    }
  }
  return out;
}

/**
 * Queries the Endgame suite marks `case_sensitive` are for case-sensitive engines: parse them in
 * the Endgame dialect, then clear every case-insensitivity flag and run with Elasticsearch semantics.
 */
function caseSensitive<T>(node: T): T {
  if (Array.isArray(node)) return node.map(caseSensitive) as T;
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'caseInsensitive') out[k] = false;
    else if (k === 'flags' && typeof v === 'string') out[k] = v.replace('i', '');
    else out[k] = caseSensitive(v);
  }
  return out as T;
}

function runSuite(
  specs: Spec[],
  events: Event[],
  dialect: 'elasticsearch' | 'endgame' | 'endgame-case-sensitive',
  opts: EngineOptions,
  idField: string,
): Outcome {
  const o: Outcome = { pass: 0, total: 0, failures: [] };
  for (const spec of specs) {
    o.total++;
    const label = spec.name ?? spec.query.trim().replace(/\s+/g, ' ').slice(0, 100);
    const expected = spec.expected_event_ids;
    const alternatives: number[][] =
      expected.length > 0 && Array.isArray(expected[0]) ? (expected as number[][]) : [expected as number[]];
    let got: number[] | string;
    try {
      if (dialect === 'endgame-case-sensitive') {
        const q = caseSensitive(parseEql(spec.query, { dialect: 'endgame' }));
        got = ids(runBatch(q, events, { ...opts, dialect: 'elasticsearch' }), idField);
      } else {
        const q = parseEql(spec.query, { dialect });
        got = ids(runBatch(q, events, { ...opts, dialect }), idField);
      }
    } catch (err) {
      got = `error: ${(err as Error).message.split('\n')[0]}`;
    }
    if (typeof got !== 'string' && alternatives.some((alt) => JSON.stringify(alt) === JSON.stringify(got))) o.pass++;
    else
      o.failures.push(
        `  ${label}\n    query: ${spec.query.trim().replace(/\s+/g, ' ')}\n    expected ${JSON.stringify(expected)}\n    got      ${typeof got === 'string' ? got : JSON.stringify(got)}`,
      );
  }
  return o;
}

function report(name: string, o: Outcome): void {
  console.log(`# ${name}: ${o.pass}/${o.total} pass`);
  if (o.failures.length > 0) console.log(o.failures.join('\n'));
}

const endgameOpts: EngineOptions = {
  timestamp: filetimeOf('timestamp'),
  tiebreaker: ['serial_event_id'],
  category: ['event_type'],
  lineage: { pid: ['unique_pid'], ppid: ['unique_ppid'] },
};

const elasticOpts: EngineOptions = {
  timestamp: filetimeOf('@timestamp'),
  tiebreaker: ['serial_event_id'],
  category: ['event', 'category'],
};

/** Floors: the pass counts reached; raise them as the engine improves, never lower them. */
const FLOORS = {
  endgame: 230,
  endgameCaseSensitive: 11,
  esQueries: 133,
  esAdditional: 61,
  esMissing: 26,
  stringFunctions: 104,
};

test('endgame test_queries.toml (endgame dialect; case-sensitive-only queries in the elasticsearch dialect)', (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'eql', 'endgame');
  if (!dir) return;
  const specs = loadSpecs(`${dir}/test_queries.toml`);
  const events = endgameEvents(`${dir}/test_data.json`);
  const insensitive = runSuite(
    specs.filter((s) => !s.case_sensitive),
    events,
    'endgame',
    endgameOpts,
    'serial_event_id',
  );
  report('endgame/test_queries.toml [endgame dialect]', insensitive);
  const sensitive = runSuite(
    specs.filter((s) => s.case_sensitive),
    events,
    'endgame-case-sensitive',
    endgameOpts,
    'serial_event_id',
  );
  report('endgame/test_queries.toml case_sensitive [elasticsearch dialect]', sensitive);
  assert.ok(insensitive.pass >= FLOORS.endgame, `endgame suite regressed: ${insensitive.pass} < ${FLOORS.endgame}`);
  assert.ok(sensitive.pass >= FLOORS.endgameCaseSensitive);
});

for (const [file, floor] of [
  ['test_queries.toml', FLOORS.esQueries],
  ['additional_test_queries.toml', FLOORS.esAdditional],
] as const) {
  test(`elasticsearch ${file}`, (t) => {
    const dir = sharedOrSkip(t, 'conformance', 'eql');
    if (!dir) return;
    const specs = loadSpecs(`${dir}/elasticsearch/${file}`);
    const events = elasticEvents(endgameEvents(`${dir}/endgame/test_data.json`));
    const o = runSuite(specs, events, 'elasticsearch', elasticOpts, 'serial_event_id');
    report(`elasticsearch/${file}`, o);
    assert.ok(o.pass >= floor, `${file} regressed: ${o.pass} < ${floor}`);
  });
}

// test_extra.toml runs over its own small data set: see conformance-extra.test.ts.

test('elasticsearch test_missing_events.toml', (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'eql', 'elasticsearch');
  if (!dir) return;
  const specs = loadSpecs(`${dir}/test_missing_events.toml`);
  const events = missingEvents(`${dir}/data/missing-events.data`);
  // Elasticsearch reads a bare number in a date field as epoch milliseconds.
  const timestamp = (ev: Event) => {
    const v = ev['@timestamp'];
    return typeof v === 'string' && /^\d+$/.test(v) ? { ms: Number(v), ns: 0 } : parseTimestamp(v);
  };
  const o = runSuite(specs, events, 'elasticsearch', { timestamp, tiebreaker: ['sequence'], category: ['event', 'category'] }, 'sequence');
  report('elasticsearch/test_missing_events.toml', o);
  assert.ok(o.pass >= FLOORS.esMissing);
});

test('endgame test_string_functions.toml', (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'eql', 'endgame');
  if (!dir) return;
  const doc = parseToml(readFileSync(`${dir}/test_string_functions.toml`, 'utf8')) as Record<string, unknown>;
  const o: Outcome = { pass: 0, total: 0, failures: [] };
  for (const [section, body] of Object.entries(doc)) {
    const b = body as Record<string, unknown>;
    const sensitive = b['case_sensitive'] === true;
    const groups: unknown[] = [];
    for (const key of ['tests', 'fold']) {
      const v = b[key];
      if (Array.isArray(v)) groups.push(...v);
      else if (v && typeof v === 'object' && Array.isArray((v as { tests?: unknown[] }).tests)) groups.push(...(v as { tests: unknown[] }).tests);
    }
    for (const c of groups as { expression: string; expected?: unknown }[]) {
      o.total++;
      const want = c.expected === undefined ? null : typeof c.expected === 'bigint' ? Number(c.expected) : c.expected;
      let got: unknown;
      try {
        const parsed = parseEqlExpression(c.expression, { dialect: 'endgame' });
        const e = sensitive ? caseSensitive(parsed) : parsed;
        got = compileExpr(e, { dialect: sensitive ? 'elasticsearch' : 'endgame' })({});
        if (typeof got === 'bigint') got = Number(got);
      } catch (err) {
        got = `error: ${(err as Error).message.split('\n')[0]}`;
      }
      if (JSON.stringify(got) === JSON.stringify(want)) o.pass++;
      else o.failures.push(`  [${section}] ${c.expression}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  }
  report('endgame/test_string_functions.toml', o);
  assert.ok(o.pass >= FLOORS.stringFunctions);
});

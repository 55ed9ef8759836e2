/**
 * `spoor hunt` orders events of equal time by the EQL tiebreaker, as Elasticsearch does: by default
 * `event.sequence` (where present), events without it after those with it; `tiebreaker: 'none'`
 * (`--tiebreaker none`) keeps input order. Checked in the main thread and in a worker, with a
 * two-stage sequence whose order only the tiebreaker decides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHunt } from '../../src/hunt/run.js';

const RULE = `[metadata]
maturity = "production"
[rule]
name = "A then B"
rule_id = "tb-a-then-b"
type = "eql"
language = "eql"
severity = "low"
risk_score = 21
index = ["logs-endpoint.events.*"]
query = '''
sequence by host.id [process where process.name == "a.exe"] [process where process.name == "b.exe"]
'''
`;

const T = '2026-01-01T00:00:00.000Z';
const ev = (name: string, seq: number | undefined, pid: number, ord: number): string =>
  JSON.stringify({
    '@timestamp': T,
    agent: { type: 'endpoint' },
    event: { module: 'endpoint', category: ['process'], type: ['start'], kind: 'event', ...(seq !== undefined ? { sequence: seq } : {}), id: `e${ord}` },
    host: { id: 'h1', name: 'h1', os: { type: 'windows' } },
    process: { name, pid, executable: `C:\\x\\${name}`, entity_id: `p${pid}` },
  });

async function alerts(file: string, rules: string, workers: number, tiebreaker?: string): Promise<number> {
  const r = await runHunt({ inputs: [file], rulesDirs: [rules], workers, progress: false, ruleFilter: (r) => r.id === 'tb-a-then-b', ...(tiebreaker !== undefined ? { tiebreaker } : {}) });
  assert.deepEqual(r.summary.rulesSkipped, []);
  return r.alerts.filter((a) => a.ruleId === 'tb-a-then-b').length;
}

test('hunt: equal timestamps are ordered by event.sequence; missing tiebreakers last; none keeps input order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-tb-'));
  try {
    const rules = join(dir, 'rule.toml');
    writeFileSync(rules, RULE);
    // B is written first but its event.sequence says it came after A.
    const swapped = join(dir, 'swapped.ndjson');
    writeFileSync(swapped, [ev('b.exe', 2, 20, 1), ev('a.exe', 1, 10, 2)].join('\n') + '\n');
    // A is written first but has no event.sequence: it sorts after B.
    const missing = join(dir, 'missing.ndjson');
    writeFileSync(missing, [ev('a.exe', undefined, 10, 1), ev('b.exe', 5, 20, 2)].join('\n') + '\n');
    for (const workers of [0, 1]) {
      assert.equal(await alerts(swapped, rules, workers), 1, `workers ${workers}: default tiebreaker event.sequence puts A before B`);
      assert.equal(await alerts(swapped, rules, workers, 'event.sequence'), 1);
      assert.equal(await alerts(swapped, rules, workers, 'none'), 0, 'input order: B before A');
      assert.equal(await alerts(missing, rules, workers), 0, 'A without a tiebreaker comes after B');
      assert.equal(await alerts(missing, rules, workers, 'none'), 1, 'input order: A before B');
      assert.equal(await alerts(missing, rules, workers, 'event.id'), 1, 'another field: e1 < e2');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

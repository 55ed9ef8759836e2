/**
 * Elastic's own TOML of "Remote Execution via File Shares" (../shared/reference/elastic-detection-
 * rules/), loaded by the TOML loader and run by the real hunt runner over every file of
 * ../shared/datasets (every row of GROUND_TRUTH.md), against spoor's built-in copy (the extension
 * and MZ-header rules together). Alerts are compared by host, path, first and last time and the
 * records they came from.
 * - `--ignore-index`: the Elastic rule runs on every log source, as the built-in copy does: the
 *   alerts are exactly the same on every row.
 * - by default the rule's `index` (logs-endpoint.events.*) limits it to Elastic Defend data: the
 *   alerts are exactly the built-in copy's alerts on Defend files, and none elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHunt } from '../../src/hunt/run.js';
import type { Alert } from '../../src/alert/types.js';
import { sharedOrSkip } from '../helpers/shared.js';

const ELASTIC_ID = 'ab75c24b-2502-43a0-bf7c-e60e662c811e';
const BUILTIN = new Set(['file-share-remote-exec', 'file-share-remote-exec-mz-header']);

const key = (a: Alert): string =>
  [a.host, a.filePath, a.firstTime, a.lastTime, a.events.map((e) => `${e.file}#${String(e.position)}`).join(',')].join(' | ');

async function alertsOf(datasets: string, toml: string, ignoreIndex: boolean): Promise<{ elastic: string[]; builtin: string[]; defendBuiltin: string[] }> {
  const r = await runHunt({ inputs: [datasets], rulesDirs: [toml], workers: 0, progress: false, ignoreIndex });
  assert.deepEqual(r.summary.rulesSkipped, [], 'the Elastic TOML loads');
  const elastic = r.alerts.filter((a) => a.ruleId === ELASTIC_ID);
  const builtin = r.alerts.filter((a) => BUILTIN.has(a.ruleId));
  assert.ok(elastic.every((a) => a.ruleName === 'Remote Execution via File Shares' && a.severity === 'medium'));
  return {
    elastic: elastic.map(key).sort(),
    builtin: builtin.map(key).sort(),
    defendBuiltin: builtin.filter((a) => a.events.every((e) => e.file.endsWith('.defend.ndjson'))).map(key).sort(),
  };
}

test("Elastic's TOML file-share rule = the built-in copy on every ground-truth row", async (t) => {
  const datasets = sharedOrSkip(t, 'datasets');
  const toml = sharedOrSkip(t, 'reference/elastic-detection-rules/lateral_movement_execution_via_file_shares_sequence.toml');
  if (!datasets || !toml) return;
  const all = await alertsOf(datasets, toml, true);
  // P1 (Sysmon EVTX) and its Winlogbeat copy dedupe to one alert (same host name); D1 Defend is the other.
  assert.equal(all.builtin.length, 2, all.builtin.join('\n'));
  assert.deepEqual(all.elastic, all.builtin);
  const gated = await alertsOf(datasets, toml, false);
  assert.equal(gated.defendBuiltin.length, 1, 'D1 Defend');
  assert.deepEqual(gated.elastic, gated.defendBuiltin, 'index logs-endpoint.events.*: Elastic Defend data only');
});

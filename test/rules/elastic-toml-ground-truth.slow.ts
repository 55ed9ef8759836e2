/**
 * Elastic's own TOML of "Remote Execution via File Shares" (../shared/reference/elastic-detection-
 * rules/), loaded by the TOML loader and run by the real hunt runner over every file of
 * ../shared/datasets (every row of GROUND_TRUTH.md), against spoor's built-in copy (the extension
 * and MZ-header rules together). Alerts are compared by host, path, first and last time and the
 * records they came from.
 * - by default the rule's `index` (logs-endpoint.events.*) means Elastic Defend, and because the
 *   Windows-log normalization provides every field the rule requires (rules/flavour-fields.ts) it
 *   also runs on Sysmon / Winlogbeat / flat Windows logs: the alerts are exactly the built-in
 *   copy's on every row.
 * - `--ignore-index` (every log source): the same.
 * - `--strict-index`: only Elastic Defend data: the built-in copy's alerts on Defend files only.
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

type Mode = 'default' | 'ignore-index' | 'strict-index';

async function alertsOf(datasets: string, toml: string, mode: Mode): Promise<{ elastic: string[]; builtin: string[]; defendBuiltin: string[] }> {
  const r = await runHunt({ inputs: [datasets], rulesDirs: [toml], workers: 0, progress: false, ignoreIndex: mode === 'ignore-index', strictIndex: mode === 'strict-index' });
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
  const byDefault = await alertsOf(datasets, toml, 'default');
  // P1 (Sysmon EVTX) and its Winlogbeat copy dedupe to one alert (same host name); D1 Defend is the other.
  assert.equal(byDefault.builtin.length, 2, byDefault.builtin.join('\n'));
  assert.deepEqual(byDefault.elastic, byDefault.builtin, 'default: equal on every row');
  const all = await alertsOf(datasets, toml, 'ignore-index');
  assert.deepEqual(all.elastic, all.builtin, '--ignore-index: equal on every row');
  const strict = await alertsOf(datasets, toml, 'strict-index');
  assert.equal(strict.defendBuiltin.length, 1, 'D1 Defend');
  assert.deepEqual(strict.elastic, strict.defendBuiltin, '--strict-index: Elastic Defend data only');
});

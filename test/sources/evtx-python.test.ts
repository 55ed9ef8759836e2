/**
 * spoor's EVTX records equal python-evtx's, field by field — on a small, fixed sample of the
 * shared corpus (about 60 one-chunk files, seconds even without a cache), so `npm test`
 * stays fast. The full corpus (500+ files, minutes of python-evtx) runs apart:
 * `npm run test:evtx-reference` (test/reference/evtx-python-all.ts), a step of .ci/run.
 * The comparison itself lives in evtx-python-compare.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { sharedRoot } from '../helpers/shared.js';
import { compareWithPython, comparisonSummary, pythonCorpusOrSkip, pythonOutputs } from './evtx-python-compare.js';

/**
 * Every 8th small (one-chunk, ≤ 70 KB) file by path, plus the small file with a known difference:
 * about 60 files of all kinds (Security, Sysmon, PowerShell, Defender, Exchange, …).
 */
export function sampleFiles(all: string[]): string[] {
  const small = all.filter((f) => statSync(f).size <= 70_000).sort();
  const picked = small.filter((_, i) => i % 8 === 0);
  const known = small.find((f) => basename(f) === 'Microsoft-Windows-HelloForBusiness%4Operational.evtx');
  if (known && !picked.includes(known)) picked.push(known);
  return picked;
}

test('spoor EVTX records equal python-evtx field by field (sample; the full corpus: npm run test:evtx-reference)', { timeout: 120_000 }, async (t) => {
  const corpus = pythonCorpusOrSkip(t);
  if (!corpus) return;
  const { python } = corpus;
  const files = sampleFiles(corpus.files);
  assert.ok(files.length >= 10, `expected a sample of the shared EVTX corpus, found ${files.length} files`);
  const py = await pythonOutputs(python, files);
  const c = compareWithPython(files, py, sharedRoot);
  t.diagnostic(comparisonSummary(c));
  assert.ok(c.compared > 150, `compared only ${c.compared} records`);
  assert.deepEqual(c.failures, []);
});

/**
 * The full python-evtx comparison: every .evtx in ../shared/datasets and the SigmaHQ regression
 * data (500+ files; python-evtx needs ~5 minutes per core without its cache). Not part of
 * `npm test` (which runs a sample, test/sources/evtx-python.test.ts): run it with
 * `npm run test:evtx-reference`; .ci/run runs it as its own step. python-evtx runs in one process
 * per core, its output is cached by file hash (see pythonCacheDir), and progress is printed on
 * stderr at least every 15 seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedRoot } from '../helpers/shared.js';
import { compareWithPython, comparisonSummary, pythonCacheDir, pythonCorpusOrSkip, pythonOutputs } from '../sources/evtx-python-compare.js';

test('spoor EVTX records equal python-evtx field by field (every shared EVTX file)', { timeout: 1_800_000 }, async (t) => {
  const corpus = pythonCorpusOrSkip(t);
  if (!corpus) return;
  const { python, files } = corpus;
  assert.ok(files.length > 400, `expected the shared EVTX corpus, found ${files.length} files`);
  const started = Date.now();
  let last = 0;
  let done = 0;
  const report = (): void => {
    last = Date.now();
    const pct = Math.round((100 * done) / files.length);
    process.stderr.write(`python-evtx reference: ${done}/${files.length} files (${pct}%), ${Math.round((last - started) / 1000)} s\n`);
  };
  process.stderr.write(`python-evtx reference: ${files.length} files, cache ${pythonCacheDir()}\n`);
  // A line at least every 15 s, also while python-evtx works through one big file.
  const heartbeat = setInterval(() => Date.now() - last >= 15_000 && report(), 5_000);
  let py;
  try {
    py = await pythonOutputs(python, files, {
      onProgress: (n) => {
        done = n;
        if (Date.now() - last >= 5_000 || n === files.length) report();
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
  const c = compareWithPython(files, py, sharedRoot);
  const summary = comparisonSummary(c);
  process.stderr.write(`python-evtx reference: ${summary}, ${Math.round((Date.now() - started) / 1000)} s\n`);
  t.diagnostic(summary);
  assert.ok(c.compared > 20000, `compared only ${c.compared} records`);
  assert.deepEqual(c.failures, []);
});

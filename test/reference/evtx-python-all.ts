/**
 * The full python-evtx comparison: every .evtx in ../shared/datasets and the SigmaHQ regression
 * data (500+ files; python-evtx needs ~5 minutes per core without its cache). Not part of
 * `npm test` (which runs a sample, test/sources/evtx-python.test.ts): run it with
 * `npm run test:evtx-reference`; .ci/run runs it as its own step. python-evtx runs in one process
 * per core, its output is cached by file hash (see pythonCacheDir), and progress is printed on
 * stderr every few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedOrSkip, sharedRoot } from '../helpers/shared.js';
import { compareWithPython, corpusFiles, findPython, pythonCacheDir, pythonOutputs } from '../sources/evtx-python-compare.js';

test('spoor EVTX records equal python-evtx field by field (every shared EVTX file)', { timeout: 1_800_000 }, async (t) => {
  const datasets = sharedOrSkip(t, 'datasets');
  const regression = sharedOrSkip(t, 'conformance', 'sigma', 'regression_data');
  if (!datasets || !regression) return;
  const python = findPython();
  if (!python) {
    const reason = 'python-evtx not installed (apt-get install -y python3-evtx)';
    if (process.env.CI) throw new Error(reason);
    t.skip(reason);
    return;
  }
  const files = corpusFiles(datasets, regression);
  assert.ok(files.length > 400, `expected the shared EVTX corpus, found ${files.length} files`);
  const started = Date.now();
  let last = 0;
  process.stderr.write(`python-evtx reference: ${files.length} files, cache ${pythonCacheDir()}\n`);
  const py = await pythonOutputs(python, files, {
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - last < 5000 && done < total) return;
      last = now;
      process.stderr.write(`python-evtx reference: ${done}/${total} files (${Math.round((100 * done) / total)}%), ${Math.round((now - started) / 1000)} s\n`);
    },
  });
  const c = compareWithPython(files, py, sharedRoot);
  const summary = `${c.files} files, ${c.compared} records compared, ${c.pythonErrors} python-evtx record errors, ${c.extra} records only spoor recovers`;
  process.stderr.write(`python-evtx reference: ${summary}, ${Math.round((Date.now() - started) / 1000)} s\n`);
  t.diagnostic(summary);
  assert.ok(c.compared > 20000, `compared only ${c.compared} records`);
  assert.deepEqual(c.failures, []);
});

/**
 * The prefilter with every SigmaHQ Windows rule (../shared) is sound: every alert of the hunt
 * without it is raised with it, on the generated fleet in every JSON format and on ../shared's
 * EVTX datasets written as evtx_dump JSON lines, each also rewritten as other writers write it
 * (every non-ASCII and `<>&` character and every slash escaped, as Python and PHP do; every string
 * value upper-cased). Slow: thousands of rules, hunted twice per input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { runHunt } from '../../src/hunt/run.js';
import { writeNdjson } from '../../src/demo/generate.js';
import { DEMO_FORMATS } from '../../src/demo/formats.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));

function upper(v: unknown): unknown {
  if (typeof v === 'string') return v.toUpperCase();
  if (Array.isArray(v)) return v.map(upper);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, upper(x)]));
  return v;
}

/** The line as other writers write it. */
function rewrites(line: string): string[] {
  const escaped = line.replace(/[^\x20-\x7e]|[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\//g, '\\/');
  return [escaped, json(upper(JSON.parse(line)))];
}

async function sameAlerts(file: string, sigmaDir: string, what: string): Promise<number> {
  const on = await runHunt({ inputs: [file], workers: 0, sigmaDirs: [sigmaDir] });
  const off = await runHunt({ inputs: [file], workers: 0, sigmaDirs: [sigmaDir], prefilter: false });
  const ids = (r: typeof on): string[] => r.alerts.map((a) => `${a.ruleId} ${a.host} ${a.firstTime} ${a.filePath ?? ''}`).sort();
  const a = ids(on);
  const b = ids(off);
  const have = new Set(a);
  const missing = b.filter((x) => !have.has(x));
  assert.deepEqual(missing.slice(0, 3), [], `${what}: ${missing.length} alerts of the unfiltered hunt missing`);
  assert.deepEqual(a, b, `${what}: the same alerts`);
  assert.equal(on.summary.events, off.summary.events, `${what}: every line counted`);
  assert.ok(b.length > 0, `${what}: not vacuous`);
  return on.summary.prefiltered ?? 0;
}

test('all SigmaHQ Windows rules: the same alerts with and without the prefilter, in every JSON format', async (t) => {
  const sigmaDir = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  if (sigmaDir === null) return;
  const dir = tempDir('spoor-sigma-formats-');
  for (const format of DEMO_FORMATS) {
    const file = join(dir, `${format}.ndjson`);
    await writeNdjson({ events: 1_500, hosts: 8, seed: 5, format }, file);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
    writeFileSync(file, [...lines, ...lines.flatMap(rewrites)].join('\n') + '\n');
    const skipped = await sameAlerts(file, sigmaDir, format);
    assert.ok(skipped > 0, `${format}: some lines are skipped (${skipped})`);
  }
});

test("all SigmaHQ Windows rules over ../shared's EVTX datasets as evtx_dump JSON: the same alerts with and without the prefilter", async (t) => {
  const sigmaDir = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  const datasets = sharedOrSkip(t, 'datasets');
  if (sigmaDir === null || datasets === null) return;
  const dir = tempDir('spoor-sigma-evtx-json-');
  const lines: string[] = [];
  for (const sub of readdirSync(datasets, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const f of readdirSync(join(datasets, sub.name)).filter((x) => x.endsWith('.evtx')).sort()) {
      for await (const batch of readEvtxFile(join(datasets, sub.name, f), () => {})) for (const e of batch) lines.push(json(e.event));
    }
  }
  assert.ok(lines.length > 1000, `${lines.length} records`);
  const file = join(dir, 'datasets.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');
  await sameAlerts(file, sigmaDir, 'datasets');
  const rewritten = join(dir, 'datasets-rewritten.ndjson');
  writeFileSync(rewritten, lines.flatMap(rewrites).join('\n') + '\n');
  await sameAlerts(rewritten, sigmaDir, 'datasets, rewritten');
});

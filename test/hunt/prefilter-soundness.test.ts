/**
 * The prefilter may only skip lines that cannot matter: every line it rejects is parsed here,
 * normalized as the hunt does, and run through every stage of every rule and the writer-context
 * test. Lines come from the generated fleet, from ../shared's ECS datasets (Defend, Winlogbeat,
 * Winlogbeat 6), and from the same documents rewritten the ways other writers write JSON: spaces
 * after colons, dotted keys, numbers as strings or floats, non-ASCII escaped, keys reordered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/temp.js';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ruleLineFilters } from '../../src/hunt/prefilter.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { writeNdjson } from '../../src/demo/generate.js';
import { runHunt } from '../../src/hunt/run.js';
import { matcher, stageQueries, wronglySkipped } from '../helpers/prefilter-check.js';
import { sharedOrSkip } from '../helpers/shared.js';

function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = v;
  return out;
}

/** Each document as other writers would write it. */
function rewrites(line: string): string[] {
  const doc = JSON.parse(line) as Record<string, unknown>;
  const spaced = JSON.stringify(doc, null, 1).replace(/\n */g, ' ');
  const dotted = JSON.stringify(flatten(doc));
  const numbersAsText = JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' ? String(v) : v));
  const floats = line.replace(/"pid":(\d+)/g, '"pid":$1.0');
  const asciiOnly = line.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(doc).reverse()));
  // Without the fields normalization derives (names, extensions, OS type): only the text they
  // are derived from, or other conditions, can keep the line.
  const underived = JSON.parse(line) as Record<string, Record<string, unknown> | undefined>;
  for (const [o, k] of [['process', 'name'], ['file', 'name'], ['file', 'extension']] as const) delete underived[o]?.[k];
  delete (underived['host']?.['os'] as Record<string, unknown> | undefined)?.['type'];
  // A second "category" key after the event's own.
  const twoCategories = `${line.slice(0, -1)},"rule":{"category":"other"}}`;
  const out = [spaced, dotted, numbersAsText, floats, asciiOnly, reordered, JSON.stringify(underived), twoCategories];
  // Winlogbeat without Elastic's ingest pipeline: the ECS fields are built from winlog.* only.
  if (doc['winlog'] !== undefined) {
    const bare = JSON.parse(line) as Record<string, unknown>;
    delete bare['process'];
    delete bare['file'];
    const event = bare['event'] as Record<string, unknown> | undefined;
    if (event) for (const k of ['type', 'action', 'code']) delete event[k];
    out.push(JSON.stringify(bare));
  }
  return out;
}

async function checkAll(lines: string[]): Promise<{ main: number; overlap: number }> {
  const pack = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: true });
  const filters = ruleLineFilters(pack.rules, 0);
  assert.ok(filters);
  const main = wronglySkipped(filters.main(), lines, stageQueries(pack.rules, false).map(matcher), true);
  assert.deepEqual(main.bad.slice(0, 3), [], `${main.bad.length} lines skipped by the main filter would match`);
  const overlap = wronglySkipped(filters.overlap(), lines, stageQueries(pack.rules, true).map(matcher), false);
  assert.deepEqual(overlap.bad.slice(0, 3), [], `${overlap.bad.length} lines skipped by the overlap filter would match`);
  return { main: main.skipped, overlap: overlap.skipped };
}

test('the prefilter skips no line of the generated fleet that a rule or the writer context takes, in any JSON spelling', async () => {
  const dir = tempDir('spoor-soundness-');
  const file = join(dir, 'fleet.ndjson');
  await writeNdjson({ events: 6_000, hosts: 12, seed: 11 }, file);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const all = [...lines, ...lines.flatMap(rewrites)];
  const { main, overlap } = await checkAll(all);
  // Not vacuous: most lines are skipped (the fleet is mostly network, registry, library events).
  assert.ok(main > all.length / 2, `main filter skipped ${main} of ${all.length}`);
  assert.ok(overlap > main, `overlap filter skipped ${overlap}`);
});

test('the prefilter skips no line of the ECS datasets in ../shared that a rule takes', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'ecs-derived');
  if (!dir) return;
  const lines: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ndjson'))) {
    lines.push(...readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.trim().length > 0));
  }
  assert.ok(lines.length > 50, `${lines.length} lines`);
  const all = [...lines, ...lines.flatMap(rewrites)];
  const { main } = await checkAll(all);
  assert.ok(main > 0, 'some lines skipped');
});

test('hunts give the same alerts with and without the prefilter (deferred lines included) in every JSON spelling', async () => {
  const dir = tempDir('spoor-soundness-');
  const file = join(dir, 'fleet.ndjson');
  await writeNdjson({ events: 8_000, hosts: 10, seed: 3 }, file);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const variants = lines.map(rewrites);
  let alerts = 0;
  for (let v = 0; v < variants[0]!.length; v++) {
    const path = join(dir, `variant-${v}.ndjson`);
    writeFileSync(path, variants.map((r) => r[v] ?? lines[0]!).join('\n') + '\n');
    const on = await runHunt({ inputs: [path], workers: 0 });
    const off = await runHunt({ inputs: [path], workers: 0, prefilter: false });
    assert.deepEqual(on.alerts.map((a) => a.id), off.alerts.map((a) => a.id), `variant ${v}`);
    alerts += on.alerts.length;
  }
  assert.ok(alerts > 0, 'the variants hold attacks');
});

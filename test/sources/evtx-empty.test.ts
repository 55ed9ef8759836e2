/**
 * Empty or header-only EVTX (issue 10, item 7) is reported as skipped input with the reason,
 * never "no problems": a 0-byte .evtx, and a file cut right after a header declaring 43 chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputs, type SourceProblem } from '../../src/sources/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

async function readAll(paths: string[]): Promise<{ events: number; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  let events = 0;
  for await (const batch of readInputs(paths, (p) => problems.push(p))) events += batch.length;
  return { events, problems };
}

test('a 0-byte .evtx is skipped input with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-evtx-empty-'));
  try {
    const f = join(dir, 'empty.evtx');
    writeFileSync(f, '');
    const r = await readAll([f]);
    assert.equal(r.events, 0);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.skipped, true);
    assert.match(r.problems[0]!.message, /empty file \(0 bytes\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an EVTX cut after its header (declaring 43 chunks) is skipped input with the reason', async (t) => {
  const sample = sharedOrSkip(t, 'datasets/evtx-attack-samples/Lateral Movement/LM_renamed_psexecsvc_5145.evtx');
  if (!sample) return;
  const dir = mkdtempSync(join(tmpdir(), 'spoor-evtx-header-'));
  try {
    const head = Buffer.from(readFileSync(sample).subarray(0, 4096));
    head.writeUInt16LE(43, 42); // chunk count
    const f = join(dir, 'cut.evtx');
    writeFileSync(f, head);
    const r = await readAll([f]);
    assert.equal(r.events, 0);
    const skipped = r.problems.filter((p) => p.skipped);
    assert.equal(skipped.length, 1, JSON.stringify(r.problems));
    assert.match(skipped[0]!.message, /declares 43 chunk\(s\) but the file holds none/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

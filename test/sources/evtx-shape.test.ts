/**
 * Output shape = evtx_dump's JSON: every SigmaHQ regression .evtx has the evtx_dump-style .json
 * of its records beside it. spoor's records must equal them exactly (keys, number/string/bool
 * typing, 64-bit integers, nulls), after two documented normalisations:
 *   - SystemTime: spoor prints all 7 digits of the FILETIME tick, evtx_dump truncates to 6;
 *   - those .json files trim trailing blanks of strings; the records keep them (docs/evtx.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { sharedOrSkip, sharedRoot } from '../helpers/shared.js';
import { parseEvtxChunk, readEvtxHeader } from '../../src/sources/evtx/index.js';
import { parseJsonExact } from '../../src/events/json.js';
import { listFiles } from '../../src/sources/list-files.js';

/** Produced by another tool (9-digit times, `Explorer.exe` where the record says `Explorer.EXE`). */
const NOT_EVTX_DUMP = new Set(['ad691d92-15f2-4181-9aa4-723c74f9ddc3.json']);

const SEVEN_DIGITS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\dZ$/;

function normalise(v: unknown): unknown {
  if (typeof v === 'string') {
    const m = SEVEN_DIGITS.exec(v);
    return m ? `${m[1]}Z` : v.trimEnd();
  }
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalise(x);
    return o;
  }
  return v;
}

test('records equal the evtx_dump JSON of the SigmaHQ regression data', (t) => {
  const root = sharedOrSkip(t, 'conformance', 'sigma', 'regression_data');
  if (!root) return;
  let equal = 0;
  const failures: string[] = [];
  for (const file of listFiles(root, '.evtx')) {
    const jsonPath = file.replace(/\.evtx$/, '.json');
    if (!existsSync(jsonPath) || NOT_EVTX_DUMP.has(jsonPath.split('/').pop()!)) continue;
    // One pretty-printed object per record, back to back (each opens with `{` at a line start).
    const list = readFileSync(jsonPath, 'utf8').split(/\n(?=\{)/).filter((x) => x.trim() !== '')
      .map((x) => parseJsonExact(x)) as { Event?: { System?: { EventRecordID?: number } } }[];
    const buf = readFileSync(file);
    // Keyed by System.EventRecordID: these files were re-exported, so record headers count from 1.
    const byId = new Map<unknown, unknown>();
    const { chunkCount } = readEvtxHeader(buf, file);
    for (let i = 0; i < chunkCount; i++) {
      for (const e of parseEvtxChunk(buf, file, i, () => {})) {
        const system = (e.event['Event'] as { System?: { EventRecordID?: unknown } } | undefined)?.System;
        byId.set(system?.EventRecordID, e.event);
      }
    }
    for (const x of list) {
      const id = x.Event?.System?.EventRecordID;
      const ours = id === undefined ? undefined : byId.get(id);
      if (ours !== undefined && isDeepStrictEqual(normalise(ours), normalise(x))) equal++;
      else failures.push(`${relative(sharedRoot, file)} record ${id}`);
    }
  }
  t.diagnostic(`${equal} records equal to evtx_dump's JSON`);
  assert.deepEqual(failures, []);
  assert.ok(equal > 150, `only ${equal} records compared`);
});

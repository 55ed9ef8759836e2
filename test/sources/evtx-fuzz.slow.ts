/**
 * Fuzzing the EVTX reader with damaged copies of real files (bounded to ~15 s).
 *
 * Each trial damages one chunk (byte flips or a random overwrite), the file header, or cuts
 * the file short. The reader must never throw, must finish quickly, must return exactly the
 * original records for every chunk it did not damage, and must not change a damaged chunk's
 * records without reporting a problem for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { sharedOrSkip } from '../helpers/shared.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, parseEvtxChunk, readEvtxHeader } from '../../src/sources/evtx/index.js';
import type { SourceProblem } from '../../src/sources/types.js';
import { rng } from '../helpers/rng.js';

const BUDGET_MS = Number(process.env.SPOOR_FUZZ_MS ?? 12_000);
const PER_FILE_MS = 5_000;

interface Parsed {
  perChunk: unknown[][];
  problems: SourceProblem[][];
}

function parseAll(buf: Buffer): Parsed {
  const info = readEvtxHeader(buf, 'fuzz.evtx');
  const perChunk: unknown[][] = [];
  const problems: SourceProblem[][] = [];
  for (let i = 0; i < info.chunkCount; i++) {
    const probs: SourceProblem[] = [];
    perChunk.push(parseEvtxChunk(buf, 'fuzz.evtx', i, (p) => probs.push(p)).map((e) => [e.position, e.event]));
    problems.push(probs);
  }
  return { perChunk, problems };
}

test('damaged EVTX files: no throw, no hang, undamaged chunks intact', async (t) => {
  const files = [
    sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'security.evtx'),
    sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'sysmon.evtx'),
    sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx'),
    sharedOrSkip(t, 'datasets', 'evtx-edge-cases', 'system.evtx'),
  ];
  if (files.some((f) => f === null)) return;
  const originals = files.map((f) => {
    const buf = readFileSync(f!);
    return { name: f!, buf, base: parseAll(buf) };
  });
  const seed = Number(process.env.SPOOR_FUZZ_SEED ?? Date.now() % 1_000_000);
  const rand = rng(seed);
  const pick = (n: number): number => Math.floor(rand() * n);
  const start = Date.now();
  let trials = 0;
  while (Date.now() - start < BUDGET_MS) {
    const o = originals[trials % originals.length]!;
    const buf = Buffer.from(o.buf);
    const chunks = o.base.perChunk.length;
    const live = o.base.perChunk.map((c, i) => (c.length > 0 ? i : -1)).filter((i) => i >= 0);
    const kind = pick(4);
    let damaged = -1; // chunk index damaged; -2 = header; -3 = truncation
    let cut = buf.length;
    const chunkStart = (i: number): number => FILE_HEADER_SIZE + i * CHUNK_SIZE;
    if (kind === 0 || kind === 1) {
      damaged = live[pick(live.length)]!;
      const base = chunkStart(damaged);
      if (kind === 0) {
        for (let n = 1 + pick(16); n > 0; n--) buf[base + pick(CHUNK_SIZE)] ^= 1 << pick(8);
      } else {
        const len = 1 + pick(600);
        const at = base + pick(CHUNK_SIZE - len);
        for (let i = 0; i < len; i++) buf[at + i] = pick(256);
      }
    } else if (kind === 2) {
      damaged = -2;
      for (let n = 1 + pick(8); n > 0; n--) buf[pick(128)] ^= 1 << pick(8);
    } else {
      damaged = -3;
      cut = pick(buf.length);
    }
    const input = damaged === -3 ? buf.subarray(0, cut) : buf;
    const t0 = Date.now();
    let got: Parsed;
    try {
      got = parseAll(input);
    } catch (e) {
      assert.fail(`seed ${seed} trial ${trials} (${o.name}, kind ${kind}): threw ${String(e)}`);
    }
    const took = Date.now() - t0;
    assert.ok(took < PER_FILE_MS, `seed ${seed} trial ${trials}: took ${took} ms`);
    for (let i = 0; i < chunks; i++) {
      const intact = damaged === -3 ? chunkStart(i + 1) <= cut : i !== damaged;
      if (!intact) continue;
      assert.ok(
        isDeepStrictEqual(got.perChunk[i], o.base.perChunk[i]),
        `seed ${seed} trial ${trials} (${o.name}, kind ${kind}, damaged ${damaged}): undamaged chunk ${i} changed`,
      );
    }
    if (damaged >= 0 && !isDeepStrictEqual(got.perChunk[damaged], o.base.perChunk[damaged])) {
      const flagsTouched = !buf.subarray(chunkStart(damaged) + 120, chunkStart(damaged) + 124).equals(o.buf.subarray(chunkStart(damaged) + 120, chunkStart(damaged) + 124));
      assert.ok(
        flagsTouched || got.problems[damaged]!.length > 0,
        `seed ${seed} trial ${trials} (${o.name}): chunk ${damaged} records changed silently`,
      );
    }
    trials++;
  }
  t.diagnostic(`seed ${seed}: ${trials} damaged files parsed in ${Date.now() - start} ms`);
  assert.ok(trials >= 8, `only ${trials} trials ran`);
});

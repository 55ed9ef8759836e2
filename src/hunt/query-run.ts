/**
 * `spoor query` on hunt's pipeline: the inputs (all files together — a query joins events across
 * files and hosts) are cut into time slices (slices.ts) run on worker threads, each reading its
 * files through hunt's ordered streams with the query's line prefilter and reading on past its
 * cut for the query's window (sequence maxspan). A match belongs to the slice that owns its
 * first event; the slices' matches are merged back in the order one thread would have printed
 * them (by the time each was emitted, then slice, then order within the slice).
 *
 * Only queries whose results do not depend on the whole stream run this way: an event query
 * without pipes, or a sequence with maxspan and no pipes, `until`, missing-event stage or
 * lineage; and only without --limit. Everything else (head/tail/sort/count/unique pipes, sample,
 * join, unbounded sequences) runs on one thread, as before (cli/query.ts). When the slices' own
 * events interleave in time (files not in time order), the parallel result is thrown away and
 * the query runs on one thread: `runQueryParallel` returns null.
 */
import { Worker } from 'node:worker_threads';
import type { Query } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { compareInstants, type Instant } from '../events/timestamp.js';
import type { PathStep } from '../ir/types.js';
import type { InputFile } from '../sources/index.js';
import type { SourceProblem } from '../sources/types.js';
import { activeClock } from '../normalize/index.js';
import type { Clock, LearnedOffset } from '../normalize/index.js';
import type { TimeZoneSpec } from '../events/timestamp.js';
import { ruleWindowNs } from './load-rules.js';
import { fileSpans, sliceable, sliceHost, slicesInOrder } from './slices.js';
import type { WorkUnit } from './plan.js';
import type { OwnSpan } from './unit.js';
import { queryRule } from './query-stream.js';
export { queryRule };

export interface QuerySetup {
  query: Query;
  dialect: 'elasticsearch' | 'endgame';
  view: 'ecs' | 'native' | 'raw';
  categoryField: PathStep[];
  tiebreaker?: PathStep[];
  maxSamplesPerKey?: number;
  /** Skip lines the query cannot match (hunt/prefilter.ts); only for the ECS view. */
  prefilter: boolean;
  overlapNs: number;
  clock: { given: TimeZoneSpec | null; learned: Record<string, LearnedOffset> };
}

/** A match as a worker returns it: its events (in the query's view) and their times. */
export interface QueryMatch {
  events: Event[];
  times: (Instant | null)[];
  keys?: unknown[];
  count?: number;
  missingStages?: number[];
  /** The time of the event on which it was emitted (null: at the end of the slice). */
  emit: Instant | null;
  seq: number;
}

export type QueryToWorker = { type: 'unit'; unit: WorkUnit } | { type: 'exit' };
export type QueryFromWorker =
  | { type: 'ready' }
  | { type: 'done'; unitId: number; matches: QueryMatch[]; events: number; prefiltered: number; problems: SourceProblem[]; missing: string[]; own?: OwnSpan }
  | { type: 'failed'; unitId: number; message: string };

/** Why a query cannot run on the parallel pipeline (null: it can). */
export function whyNotParallel(query: Query): string | null {
  const window = ruleWindowNs(queryRule(query));
  if (window === null) return 'pipes, sample/join, lineage or a sequence without maxspan need the whole stream in order';
  if (query.kind === 'sequence' && (query.until !== undefined || query.stages.some((s) => s.missing === true))) return 'until and missing-event stages are emitted at the end of their window';
  return null;
}

export interface ParallelQueryResult {
  matches: QueryMatch[];
  events: number;
  prefiltered: number;
  /** Fields the query names that no event read had. */
  missing: string[];
  slices: number;
}

/** Slices to cut the input into: a few per worker, none smaller than this. */
const MIN_SLICE_BYTES = 4 * 1024 * 1024;

/**
 * Run the query over `files` on `workers` threads. Returns null when the files cannot be sliced
 * (formats other than NDJSON/EVTX, no timestamps) or the slices interleave in time: the caller
 * then runs the query on one thread. Problems are passed on only for a result that stands.
 */
export async function runQueryParallel(files: InputFile[], setup: Omit<QuerySetup, 'clock' | 'overlapNs'>, workers: number, onProblem: (p: SourceProblem) => void): Promise<ParallelQueryResult | null> {
  if (files.length === 0 || !files.every(sliceable)) return null;
  const overlapNs = ruleWindowNs(queryRule(setup.query)) ?? 0;
  const spans = await fileSpans(files);
  if (!spans) return null;
  const total = files.reduce((a, f) => a + f.size, 0);
  const k = Math.max(2, Math.min(4 * workers, Math.ceil(total / MIN_SLICE_BYTES)));
  const slices = await sliceHost(spans, k, overlapNs);
  if (slices.length < 2) return null;
  const units: WorkUnit[] = slices.map((sl, index) => ({
    id: index,
    parts: sl.parts,
    bytes: sl.bytes,
    slice: { ...(sl.boundary ? { boundary: sl.boundary } : {}), ...(sl.later ? { later: sl.later } : {}), host: 0, index },
  }));
  const clock = activeClock() as Clock;
  const full: QuerySetup = { ...setup, overlapNs, clock: { given: clock.given, learned: clock.learnedOffsets() } };
  const done = await runPool(units, Math.min(workers, units.length), full);
  if (!slicesInOrder(units.map((u) => done.get(u.id)?.own))) return null;
  const all: { m: QueryMatch; unit: number }[] = [];
  let events = 0;
  let prefiltered = 0;
  let missing: Set<string> | null = null;
  for (const u of units) {
    const d = done.get(u.id)!;
    for (const p of d.problems) onProblem(p);
    events += d.events;
    prefiltered += d.prefiltered;
    for (const m of d.matches) all.push({ m, unit: u.id });
    // A field is missing when no slice saw it.
    missing = missing === null ? new Set(d.missing) : new Set(d.missing.filter((f) => missing!.has(f)));
  }
  // One thread emits each match when its last needed event arrives: the same order here.
  all.sort((a, b) => {
    if (a.m.emit === null || b.m.emit === null) return (a.m.emit === null ? 1 : 0) - (b.m.emit === null ? 1 : 0) || a.unit - b.unit || a.m.seq - b.m.seq;
    return compareInstants(a.m.emit, b.m.emit) || a.unit - b.unit || a.m.seq - b.m.seq;
  });
  return { matches: all.map((x) => x.m), events, prefiltered, missing: [...(missing ?? [])], slices: units.length };
}

type Done = Extract<QueryFromWorker, { type: 'done' }>;

function runPool(units: WorkUnit[], n: number, setup: QuerySetup): Promise<Map<number, Done>> {
  return new Promise((resolve, reject) => {
    const queue = [...units];
    const out = new Map<number, Done>();
    const pool: Worker[] = [];
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      for (const w of pool) w.postMessage({ type: 'exit' } satisfies QueryToWorker);
      if (err) reject(err);
      else resolve(out);
    };
    const next = (w: Worker): void => {
      const unit = queue.shift();
      if (unit) w.postMessage({ type: 'unit', unit } satisfies QueryToWorker);
    };
    const url = new URL('./query-worker.js', import.meta.url);
    for (let i = 0; i < n; i++) {
      const w = new Worker(url, { workerData: setup });
      pool.push(w);
      w.on('message', (m: QueryFromWorker) => {
        if (m.type === 'ready') return next(w);
        if (m.type === 'failed') return finish(new Error(`query worker failed: ${m.message}`));
        out.set(m.unitId, m);
        if (out.size === units.length) finish();
        else next(w);
      });
      w.on('error', (e) => finish(e));
    }
  });
}

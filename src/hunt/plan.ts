/**
 * Splitting a hunt into units of work for the worker threads.
 *
 * Sequences join events of one host, possibly from different files (Sysmon.evtx and
 * Security.evtx of the same machine). So files that share a host go into one unit, where their
 * events are merged in time order. A large file on its own is split into parts (byte ranges of
 * NDJSON, chunk ranges of EVTX) processed in parallel; each part reads on past its end for the
 * longest sequence window, so a sequence that straddles the split is still found, by the part in
 * which it starts.
 *
 * A host whose history spans several files is cut into time slices (slices.ts) processed in
 * parallel the same way: each slice owns the events between its cuts in every file and reads on
 * past them for the longest rule window.
 *
 * Every input is read once, whatever the rules (ruleReach): a sequence without `maxspan` runs on
 * split parts like any other, its part's overlap reading on for as long as it holds a partial
 * (no time limit); hosts are then not cut into time slices (a slice's overlap would read every
 * later file of the host). A rule that needs a host's whole stream in one detector (a pipe,
 * lineage, `sample`, `join`) keeps files whole and hosts uncut.
 */
import { open, stat } from 'node:fs/promises';
import type { InputFile } from '../sources/index.js';
import { cuttable, diskPath, readInput } from '../sources/index.js';
import { eventHost } from '../normalize/index.js';
import { diffNs, type Instant } from '../events/timestamp.js';
import type { ProblemSink } from '../sources/types.js';
import { chunkSlots, CHUNK_SIZE } from '../sources/evtx/index.js';
import { fileSpans, lineTime, sliceable, sliceHost } from './slices.js';
import type { Rule } from '../ir/types.js';
import { ruleWindowNs } from './load-rules.js';
import { hasLineage } from './detector.js';

export interface WorkPart {
  file: InputFile;
  /** NDJSON: byte offsets; EVTX: chunk indexes. Absent: the whole file. */
  range?: { start: number; end: number; unit: 'bytes' | 'chunks' };
}

export interface WorkUnit {
  id: number;
  parts: WorkPart[];
  /**
   * A time slice of a host (slices.ts): its planned boundary (absent for the last slice), which
   * host (an index per sliced host) and its place among that host's slices.
   */
  slice?: { boundary?: Instant; host: number; index: number; later?: Instant };
  /** Bytes of input this unit covers (for progress). */
  bytes: number;
}

export interface PlanOptions {
  workers: number;
  /** Files bigger than this are split into parts when they have a unit of their own. */
  splitBytes?: number;
  /** The longest bounded rule window: every part but the last reads about this much time past its end. */
  overlapNs?: number;
  /**
   * Some sequence has no `maxspan` (RuleReach.open): split parts read their overlap for as long as
   * pending state needs it, without a time limit; hosts are not cut into time slices.
   */
  open?: boolean;
  /** Some rule needs a host's whole stream in one detector (RuleReach.whole): no file is split, no host sliced. */
  whole?: boolean;
  /**
   * The rules' line filter skips the overlap lines pending state cannot use (prefilter.ts; the
   * default). false: an overlap parses every line it reads, and a file whose split would parse
   * most of it twice stays whole (overlapCostsMore, which also keeps whole a file whose bounded
   * window is a quarter of its span or more, filtered or not).
   */
  overlapFiltered?: boolean;
  /**
   * Hosts with more bytes than this (over several files) are cut into time slices; default: the
   * input's bytes over twice the workers, at least 4 MiB. Only with more than one worker (or when given).
   */
  sliceBytes?: number;
}

/** How far back the rules' state reaches, for cutting the input (see planWork). */
export interface RuleReach {
  /** The longest bounded window (sequence maxspan, correlation timespan), ns; 0 for single-event rules only. */
  windowNs: number;
  /** Some plain sequence (no pipe, no lineage) has no maxspan: its state reaches any time later. */
  open: boolean;
  /**
   * Some rule needs its host's whole stream in one detector: a pipe (`head`, `tail`, `count`,
   * `unique`… see the whole stream), lineage (`descendant of`: process trees of the whole
   * history), `sample`, `join`, a correlation without a timespan.
   */
  whole: boolean;
}

export function ruleReach(rules: readonly Rule[]): RuleReach {
  const r: RuleReach = { windowNs: 0, open: false, whole: false };
  for (const rule of rules) {
    const w = ruleWindowNs(rule);
    if (w !== null) r.windowNs = Math.max(r.windowNs, w);
    else if (openSequence(rule)) r.open = true;
    else r.whole = true;
  }
  return r;
}

/** A sequence without maxspan, pipes or lineage: exact on split parts with an overlap without time limit. */
function openSequence(rule: Rule): boolean {
  const q = rule.query;
  if (q.kind !== 'sequence' || q.pipes.length > 0) return false;
  if (q.stages.some((s) => hasLineage(s.query.where)) || (q.until && hasLineage(q.until.query.where))) return false;
  return q.maxspanNs === undefined || q.maxspanNs <= 0;
}

/** The overlap a split part reads past its end: the longest window, or no time limit with open sequences. */
export function partOverlapNs(reach: RuleReach): number {
  return reach.open ? Infinity : reach.windowNs;
}

/**
 * What reading one byte of overlap costs, relative to one byte of a part's own lines: the
 * overlap's line filter keeps only lines that can continue a pending sequence, so most of it is
 * scanned, not parsed (measured on generated Defend data: about one half).
 */
const OVERLAP_COST = 0.5;

/**
 * Sniffing reads one small block per file, a few files at a time: all files at once, each with a
 * 1 MiB block and its parsed events, held hundreds of megabytes for a directory of 200 files.
 */
const SNIFF_CONCURRENCY = 8;
const SNIFF_BLOCK_BYTES = 256 * 1024;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Which hosts a file's first events name: read one batch, then stop. */
async function sniffHosts(file: InputFile, onProblem: ProblemSink): Promise<Set<string>> {
  const hosts = new Set<string>();
  const quiet: ProblemSink = () => {}; // the real read reports problems; sniffing must not double them
  void onProblem;
  try {
    for await (const batch of readInput(file, quiet, undefined, { blockBytes: SNIFF_BLOCK_BYTES })) {
      for (const se of batch.slice(0, 2000)) {
        const h = eventHost(se.event);
        if (h) hosts.add(h);
      }
      if (batch.length > 0) break;
    }
  } catch {
    /* unreadable: reported when the file is really read */
  }
  return hosts;
}

export async function planWork(files: InputFile[], opts: PlanOptions, onProblem: ProblemSink): Promise<WorkUnit[]> {
  // Union-find over files sharing a host.
  const parent = files.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  const hostSets = await mapLimit(files, SNIFF_CONCURRENCY, (f) => sniffHosts(f, onProblem));
  hostSets.forEach((hosts, i) => {
    for (const h of hosts) {
      const j = owner.get(h);
      if (j === undefined) owner.set(h, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, InputFile[]>();
  files.forEach((f, i) => {
    const g = find(i);
    const l = groups.get(g);
    if (l) l.push(f);
    else groups.set(g, [f]);
  });

  const splitBytes = opts.splitBytes ?? 64 * 1024 * 1024;
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  const sliceBytes = opts.sliceBytes ?? Math.max(4 * 1024 * 1024, Math.ceil(totalBytes / (2 * Math.max(1, opts.workers))));
  // Each input is read once: rules that need whole streams keep files whole and hosts uncut; a
  // sequence without maxspan runs on split parts (their overlap has no time limit) but not on
  // slices, whose overlaps would each read the rest of the host's files.
  const maySlice = (opts.sliceBytes !== undefined || opts.workers > 1) && !opts.whole && !opts.open;
  const maySplit = opts.workers > 1 && !opts.whole;
  const overlapNs = opts.open ? Infinity : opts.overlapNs;
  const units: WorkUnit[] = [];
  let id = 0;
  let slicedHosts = 0;
  for (const group of groups.values()) {
    const f = group[0]!;
    const splittable = group.length === 1 && cuttable(f);
    if (splittable && f.size > splitBytes && maySplit && !(await overlapCostsMore(f, overlapNs, opts.overlapFiltered))) {
      const size = (await stat(diskPath(f))).size;
      // One part per worker: each split costs an overlap read of the longest rule window.
      const parts = opts.workers;
      if (f.format === 'ndjson') {
        for (const [start, end] of await byteSplits(f.path, size, parts, overlapNs)) {
          units.push({ id: id++, parts: [{ file: f, range: { start, end, unit: 'bytes' } }], bytes: end - start });
        }
      } else {
        const chunks = Math.max(1, chunkSlots(size));
        const step = Math.ceil(chunks / parts);
        for (let s = 0; s < chunks; s += step) {
          const end = Math.min(chunks, s + step);
          units.push({ id: id++, parts: [{ file: f, range: { start: s, end, unit: 'chunks' } }], bytes: (end - s) * CHUNK_SIZE });
        }
      }
      continue;
    }
    const groupBytes = group.reduce((a, g) => a + g.size, 0);
    if (group.length > 1 && maySlice && groupBytes > sliceBytes && group.every(sliceable)) {
      // Several files of one host: time slices instead of one unit holding the host's whole history.
      const spans = await fileSpans(group);
      const k = Math.min(4 * Math.max(1, opts.workers), Math.ceil(groupBytes / sliceBytes));
      const slices = spans && k > 1 ? await sliceHost(spans, k, opts.overlapNs ?? 0) : [];
      if (slices.length > 1) {
        const host = slicedHosts++;
        slices.forEach((sl, index) => units.push({ id: id++, parts: sl.parts, bytes: sl.bytes, slice: { ...(sl.boundary ? { boundary: sl.boundary } : {}), ...(sl.later ? { later: sl.later } : {}), host, index } }));
        continue;
      }
    }
    units.push({ id: id++, parts: group.map((file) => ({ file })), bytes: groupBytes });
  }
  // Largest first, so the last unit to finish is a small one.
  units.sort((a, b) => b.bytes - a.bytes);
  return units;
}

/**
 * Whether splitting a file would cost more than it saves. The first part's overlap reads on for
 * the longest window past the split:
 * - without a line filter it parses every line it reads, so a window of at least half the file's
 *   time span — always a sequence without maxspan — parses most of the file twice (Elastic's EQL
 *   pack: maxspans up to 12 h and open sequences, over a 1 GB file of 17 minutes);
 * - with one, the overlap's lines are still read, decoded and searched, and each worker warms up
 *   on its own: a bounded window of a quarter of the span or more (the built-in pack's 300 s over
 *   the same 17 minutes: 30%) took +60% CPU for no gain in wall time on two cores, where a 60 s
 *   window (6%) gave 1.1–1.35x (BENCHMARKS.md, 2026-12-03 09:50 UTC). A sequence without maxspan
 *   still splits: its filtered overlap stops once nothing is pending.
 * Such a file is one unit: read once, at the cost of one thread's wall time for it. A first and
 * last line of the same time (or the last earlier) count as a span every window covers. Unknown
 * span: split as before.
 */
async function overlapCostsMore(f: InputFile, overlapNs: number | undefined, filtered: boolean | undefined): Promise<boolean> {
  if (!overlapNs) return false;
  const unfiltered = filtered === false;
  if (!Number.isFinite(overlapNs)) return unfiltered;
  const spans = await fileSpans([f]);
  if (!spans || spans.length === 0) return false;
  return overlapNs >= diffNs(spans[0]!.first, spans[0]!.last) / (unfiltered ? 2 : 4);
}

/**
 * Byte ranges of an NDJSON file for `parts` workers. Every part but the last also reads an
 * overlap, so when the file's time span is known (first and last lines), those parts are made
 * smaller by the overlap's estimated cost and all parts finish together: with k parts of S bytes
 * and an overlap of O bytes, S = (size − OVERLAP_COST·O) / k, the last part taking the rest.
 * `overlapNs` Infinity (open sequences): the overlap is taken as reaching the end of the file.
 */
export async function byteSplits(path: string, size: number, parts: number, overlapNs?: number): Promise<[number, number][]> {
  let first = Math.ceil(size / parts);
  const span = overlapNs ? await timeSpanNs(path, size) : null;
  if (span !== null && span > 0 && overlapNs) {
    const overlapBytes = Math.min(size, (size * overlapNs) / span);
    first = Math.max(Math.ceil(size / (2 * parts)), Math.ceil((size - OVERLAP_COST * overlapBytes) / parts));
  }
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < parts - 1 && start + first < size; i++) {
    out.push([start, start + first]);
    start += first;
  }
  out.push([start, size]);
  return out;
}

/** Time between a file's first and last complete lines (ns), or null when either has no time. */
async function timeSpanNs(path: string, size: number): Promise<number | null> {
  const window = 64 * 1024;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.allocUnsafe(Math.min(window, size));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.allocUnsafe(Math.min(window, size));
    await fh.read(tail, 0, tail.length, size - tail.length);
    const headText = head.toString('utf8');
    const firstLine = headText.slice(0, headText.indexOf('\n') >>> 0);
    const tailLines = tail.toString('utf8').trimEnd().split('\n');
    const lastLine = tailLines.length > 1 ? tailLines[tailLines.length - 1]! : null;
    const a = lineTime(firstLine);
    const b = lastLine === null ? null : lineTime(lastLine);
    if (!a || !b) return null;
    return diffNs(a, b);
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

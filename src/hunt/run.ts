/**
 * `spoor hunt`: every enabled rule over every input, in parallel on all cores.
 *
 * Main thread: discover inputs, plan units (files sharing a host together, big files split),
 * hand units to worker threads as they free up, gather alerts and counters, dedupe and order.
 * Rules are loaded once here and their IR sent to the workers, which compile it once each.
 * Workers: read, normalize, detect (see worker.ts); nothing but alerts and counts crosses back.
 */
import { tuneV8ForEventStreams } from './v8-tuning.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { packRules } from '../sigma/detach.js';
import { deserialize, serialize } from 'node:v8';
import type { Alert } from '../alert/types.js';
import type { ProblemKind, SourceProblem } from '../sources/types.js';
import { discoverInputs, readsLines } from '../sources/index.js';
import { dedupeAndOrder } from '../alert/order.js';
import { filterAlerts, loadExceptions } from '../rules/index.js';
import type { HuntOptions, HuntResult, HuntSummary } from './types.js';
import { loadHuntRules, type LoadedRules, type RuleSpec } from './load-rules.js';
import { partOverlapNs, planWork, ruleReach, type WorkUnit } from './plan.js';
import { CompiledRuleSet, Detector } from './detector.js';
import type { PathStep, Rule } from '../ir/types.js';
import { parseFieldPath } from '../events/field.js';
import { runUnitWith, type OwnSpan } from './unit.js';
import { slicesInOrder } from './slices.js';
import { ruleLineFilters, type PartFilters } from './prefilter.js';
import type { FromWorker } from './protocol.js';
import type { StreamStats } from './ordered-stream.js';
import { Progress, unpackStatus } from './progress.js';
import { learnClock } from './clock-scan.js';
import { Clock, activeClock, mergeClockReports, useClock, type ClockAssumption } from '../normalize/index.js';
import { emptyTelemetry, mergeTelemetry, needsOf, type TelemetryCounts } from './telemetry.js';
import { buildBlindSpots } from './blind-spots.js';
import { loadFeeds } from '../intel/index.js';
import { applyIntel } from '../alert/intel.js';

/**
 * Inputs under this many bytes run in the main thread by default (`--workers` not given). Below
 * plan.ts's split size no single file is split, so workers could only run whole files or time
 * slices side by side, each thread compiling the rules and warming up on its own: on 2 cores every
 * such input measured ran slower in wall time with workers — 277 EVTX files (20 MB) 1.0 s in one
 * thread vs 1.7 s with two workers (built-in pack), 3.0 vs 5.5 s with 2,407 SigmaHQ rules; 3,000
 * NDJSON files (60 MB) 2.1 vs 3.2 s (BENCHMARKS.md "Many small files"). It was 8 MB.
 */
const SMALL_INPUT_BYTES = 64 * 1024 * 1024;

export interface HuntHooks {
  /** Each problem as it happens (the CLI prints them to stderr). */
  onProblem?: (p: SourceProblem) => void;
}

/** The hunt's tiebreaker path: `event.sequence` by default, none for `none` or an empty name. */
export function huntTiebreaker(name: string | undefined): PathStep[] | undefined {
  const n = name ?? 'event.sequence';
  return n === '' || n === 'none' ? undefined : parseFieldPath(n);
}

/** Which rules a hunt with these options runs (for `loadHuntRules`, e.g. to check them before reading input). */
export function huntRuleSpec(opts: HuntOptions): RuleSpec {
  return {
    rulesDirs: opts.rulesDirs ?? [],
    sigmaDirs: opts.sigmaDirs ?? [],
    excludeRules: opts.excludeRules ?? [],
    exceptionsFile: opts.exceptionsFile,
    hunting: opts.hunting ?? false,
    buildingBlocks: opts.buildingBlocks ?? false,
    ignoreIndex: opts.ignoreIndex ?? false,
    strictIndex: opts.strictIndex ?? false,
  };
}

/**
 * Run the hunt. `preloaded`: the rules already loaded from `huntRuleSpec(opts)` by the caller (the CLI
 * checks them before any input is read); loaded here otherwise.
 */
export async function runHunt(opts: HuntOptions, hooks: HuntHooks = {}, preloaded?: LoadedRules): Promise<HuntResult> {
  tuneV8ForEventStreams();
  const loaded = preloaded ?? (await loadHuntRules(huntRuleSpec(opts)));
  // The run's time (and events/s) starts after the rules are loaded: loading is reported apart.
  const started = process.hrtime.bigint();
  if (opts.ruleFilter) loaded.rules = loaded.rules.filter(opts.ruleFilter);
  // Skipped input and warnings (data kept, e.g. a CRC mismatch) are counted apart.
  const skippedCounts: Partial<Record<ProblemKind, number>> = {};
  const warningCounts: Partial<Record<ProblemKind, number>> = {};
  const problems: SourceProblem[] = [];
  const onProblem = (p: SourceProblem): void => {
    const counts = p.skipped ? skippedCounts : warningCounts;
    counts[p.kind] = (counts[p.kind] ?? 0) + 1;
    if (problems.length < 1000) problems.push(p);
    hooks.onProblem?.(p);
  };
  const unpacking = unpackStatus(opts.progress === true && process.stderr.isTTY === true);
  let files;
  try {
    const sink = unpacking.onUnpack
      ? (p: SourceProblem): void => {
          unpacking.clear();
          onProblem(p);
        }
      : onProblem;
    files = await discoverInputs(opts.inputs, sink, unpacking.onUnpack ? { onUnpack: unpacking.onUnpack } : {});
  } finally {
    unpacking.end();
  }
  // Feeds load before the run: a bad feed line is reported like a bad log line, and counted.
  const intel = opts.intel && opts.intel.length > 0
    ? await loadFeeds(opts.intel, (p) => onProblem({ kind: 'other', file: p.file, ...(p.where ? { where: p.where } : {}), message: `intel feed: ${p.message}`, skipped: true }))
    : null;
  const cores = availableParallelism();
  // Starting threads costs ~0.3 s (and a compile and warm-up of the rules each): small inputs run
  // in the main thread unless told otherwise.
  const inputBytes = files.reduce((a, f) => a + f.size, 0);
  const defaultWorkers = inputBytes < SMALL_INPUT_BYTES ? 0 : cores;
  // Under tsx (sources run as .ts) worker threads cannot load the worker module: stay in one thread.
  const workers = import.meta.url.endsWith('.ts') ? 0 : Math.max(0, Math.min(opts.workers ?? defaultWorkers, 64));
  // One clock for zone-less times: the zone given, else offsets learned per host before any event is timed.
  const clock = new Clock(opts.timeZone ?? null);
  if (!opts.timeZone) await learnClock(files, clock);
  // Every unit runs every rule; how far their state reaches decides how the input is cut (plan.ts).
  const reach = ruleReach(loaded.rules);
  const overlapNs = partOverlapNs(reach);
  const prefilter = opts.prefilter ?? true;
  const contextEvents = opts.contextEvents ?? 0;
  // Line filters that skip parsing what no rule can use (prefilter.ts); also how split parts' overlaps read (plan.ts).
  const lineFilters = prefilter ? (ruleLineFilters(loaded.rules, contextEvents) ?? undefined) : undefined;
  const outerPlan = activeClock();
  useClock(clock); // slice boundaries read event times
  let units: WorkUnit[];
  try {
    units = await planWork(
      files,
      { workers: Math.max(1, workers), overlapNs: reach.windowNs, open: reach.open, whole: reach.whole, overlapFiltered: lineFilters !== undefined, ...(opts.sliceBytes !== undefined ? { sliceBytes: opts.sliceBytes } : {}) },
      onProblem,
    );
  } finally {
    useClock(outerPlan);
  }
  const clockReports: ClockAssumption[] = [];
  const tiebreaker = huntTiebreaker(opts.tiebreaker);
  const progress = new Progress(opts.progress === true && process.stderr.isTTY === true, units);

  const alerts = new AlertStore();
  let slicesRerun = 0;
  const totals: StreamStats = { events: 0, prefiltered: 0, noTimestamp: 0, outOfOrder: 0, overlapRead: 0 };
  const ruleProblems = new Map<string, string>();
  const telemetry = emptyTelemetry();
  const addStats = (s: StreamStats): void => {
    totals.events += s.events;
    totals.prefiltered += s.prefiltered;
    totals.noTimestamp += s.noTimestamp;
    totals.outOfOrder += s.outOfOrder;
    totals.overlapRead += s.overlapRead;
  };

  // Compiled once, on the first unit run in this thread.
  let rs: { compiled: CompiledRuleSet; filters: PartFilters | undefined } | null = null;
  const ruleSet = (): { compiled: CompiledRuleSet; filters: PartFilters | undefined } =>
    (rs ??= { compiled: new CompiledRuleSet(loaded.rules), filters: lineFilters });
  /** Run units on the workers (or in this thread); `count`: add their events and telemetry to the totals. */
  const execute = async (todo: WorkUnit[], count: boolean, onAlerts: (a: Alert[] | Uint8Array, unit?: WorkUnit) => void, onOwn: (unit: WorkUnit, own: OwnSpan | undefined) => void): Promise<void> => {
    if (todo.length === 0) return;
    // One unit (a pack hunt over one file that cannot be split: plan.ts) runs here, not in a worker:
    // a worker would start a second isolate (its modules compiled again, ~0.3 CPU-s with Elastic's
    // EQL pack), get the rules as a copy and post every alert back; this thread has the rules
    // already. Its alerts are kept packed as a worker's would be (AlertStore).
    const here = workers === 0 || todo.length === 1;
    // As a worker would run it: its alerts cloned (packed), a clock of its own from what was learned.
    const asWorker = workers > 0;
    if (here) {
      const outer = activeClock();
      const unitClock = asWorker ? new Clock(clock.given, clock.learnedOffsets()) : clock;
      useClock(unitClock);
      try {
        for (const unit of todo) {
          const { compiled, filters } = ruleSet();
          let ran: Awaited<ReturnType<typeof runUnitWith>>;
          try {
            ran = await runUnitWith(unit, () => new Detector(compiled, { contextEvents, tiebreaker }), {
              overlapNs: unit.slice ? reach.windowNs : overlapNs,
              filters,
              onProblem,
              onAlerts: (a) => onAlerts(asWorker ? serialize(a) : a, unit),
              onProgress: (p) => progress.unitEvents(unit.id, p.events),
            });
          } catch (e) {
            if (!asWorker) throw e;
            // As runInWorkers reports a worker's failed unit.
            const file = unit.parts.map((p) => p.file.path).join(', ');
            onProblem({ kind: 'other', file, message: `internal error, unit skipped: ${(e as Error).stack ?? String(e)}`, skipped: true });
            onOwn(unit, undefined);
            progress.unitDone(unit.id, unit.bytes);
            continue;
          }
          const { stats: s, detector, own } = ran;
          for (const p of detector.problems) ruleProblems.set(p.ruleId, p.message);
          if (count) {
            mergeTelemetry(telemetry, detector.telemetry.counts());
            addStats(s);
          }
          onOwn(unit, own);
          progress.unitDone(unit.id, unit.bytes);
        }
      } finally {
        clockReports.push(...unitClock.takeReport());
        useClock(outer);
      }
      return;
    }
    const clockSetup = { given: clock.given, learned: clock.learnedOffsets() };
    const byId = new Map(todo.map((u) => [u.id, u]));
    // Workers build line filters only when some input is read by lines (readsLines).
    const workerFilters = lineFilters !== undefined && files.some(readsLines);
    await runInWorkers(todo, Math.min(workers, todo.length), { rules: loaded.rules, contextEvents, tiebreaker, prefilter: workerFilters, clock: clockSetup }, {
      onAlerts: (a, unitId) => onAlerts(a, unitId === undefined ? undefined : byId.get(unitId)),
      onProblem,
      onDone: (unit, s, rp, cr, t, own) => {
        if (count) {
          if (t) mergeTelemetry(telemetry, t);
          addStats(s);
        }
        clockReports.push(...cr);
        for (const p of rp) ruleProblems.set(p.ruleId, p.message);
        onOwn(unit, own);
        progress.unitDone(unit.id, unit.bytes);
      },
      onProgress: (id, events) => progress.unitEvents(id, events),
    });
  };

  // Alerts of time slices wait until their host's slices are known not to interleave.
  const sliceAlerts = new Map<number, AlertStore>();
  const owns = new Map<number, OwnSpan | undefined>();
  await execute(
    units,
    true,
    (a, unit) => {
      if (unit?.slice) {
        let l = sliceAlerts.get(unit.id);
        if (!l) sliceAlerts.set(unit.id, (l = new AlertStore()));
        l.add(a);
      } else alerts.add(a);
    },
    (unit, own) => void owns.set(unit.id, own),
  );
  // A slice owns the events between its cuts; a match is complete only if every event it needs
  // lies at or after those cuts, which holds when no slice owns an event later than one owned
  // by a later slice (files in time order, give or take the cuts). Hosts whose files are not
  // (the slices' own times interleave) run again as one unit, and their slices' alerts go.
  const rerun: WorkUnit[] = [];
  const byHost = new Map<number, WorkUnit[]>();
  for (const u of units) if (u.slice) byHost.set(u.slice.host, [...(byHost.get(u.slice.host) ?? []), u]);
  let nextId = units.reduce((m, u) => Math.max(m, u.id), 0) + 1;
  for (const slices of byHost.values()) {
    slices.sort((x, y) => x.slice!.index - y.slice!.index);
    if (slicesInOrder(slices.map((u) => owns.get(u.id)))) {
      for (const u of slices) {
        const l = sliceAlerts.get(u.id);
        if (l) alerts.addAll(l);
      }
      continue;
    }
    const files = new Map<string, WorkUnit['parts'][number]['file']>();
    for (const u of slices) for (const p of u.parts) files.set(p.file.path, p.file);
    const parts = [...files.values()].map((file) => ({ file }));
    rerun.push({ id: nextId++, parts, bytes: [...files.values()].reduce((n, f) => n + f.size, 0) });
  }
  slicesRerun = rerun.length;
  sliceAlerts.clear();
  await execute(rerun, false, (a) => alerts.add(a), () => {});
  progress.stop();

  // Accounts are known only once an alert names its writer: those exceptions apply here.
  let ordered = dedupeAndOrder(alerts.take());
  let excepted = 0;
  if (opts.exceptionsFile) {
    const r = filterAlerts(ordered, loadExceptions(opts.exceptionsFile));
    ordered = r.kept;
    excepted = r.excepted.length;
  }
  let alertsMatched = 0;
  if (intel) for (const a of ordered) if (applyIntel(a, intel.index)) alertsMatched++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const alertsByRule: Record<string, number> = {};
  for (const a of ordered) alertsByRule[a.ruleId] = (alertsByRule[a.ruleId] ?? 0) + 1;
  const rulesSkipped = [...loaded.skipped];
  for (const [id, reason] of ruleProblems) rulesSkipped.push({ id, source: 'engine', reason });
  const summary: HuntSummary = {
    files: files.length,
    events: totals.events,
    seconds,
    eventsPerSecond: seconds > 0 ? totals.events / seconds : 0,
    ...(loaded.loadSeconds !== undefined ? { ruleLoadSeconds: loaded.loadSeconds } : {}),
    workUnits: units.length,
    ...(slicesRerun > 0 ? { hostsRerunWhole: slicesRerun } : {}),
    rulesLoaded: loaded.rules.length - ruleProblems.size,
    rulesSkipped,
    alertsByRule,
    skipped: skippedCounts,
    warnings: warningCounts,
    problems: problems.slice(0, 100),
    prefiltered: totals.prefiltered,
    noTimestamp: totals.noTimestamp,
    outOfOrder: totals.outOfOrder,
    overlapRead: totals.overlapRead,
    alertsExcepted: excepted,
    blindSpots: buildBlindSpots(needsOf(loaded.rules), telemetry, totals.prefiltered),
  };
  const timeZones = mergeClockReports(clockReports);
  if (timeZones.length > 0) summary.timeZones = timeZones;
  if (intel) summary.intel = { feeds: intel.feeds, hashes: intel.index.size, alertsMatched };
  return { alerts: ordered, summary };
}

/**
 * The alerts of a run as they come in. Those from workers stay the v8.serialize bytes they crossed
 * as until `take`, which runs once every worker has exited: with Elastic's whole EQL pack a 1 GB
 * hunt gathers ~15k alerts, each with its events, which as objects took ~100 MB of the main
 * thread's heap while the workers still held their own (issue 11; BENCHMARKS.md).
 */
class AlertStore {
  private objects: Alert[] = [];
  private packed: Uint8Array[] = [];

  add(a: Alert[] | Uint8Array): void {
    if (a instanceof Uint8Array) this.packed.push(a);
    else for (const x of a) this.objects.push(x);
  }

  addAll(other: AlertStore): void {
    for (const x of other.objects) this.objects.push(x);
    for (const b of other.packed) this.packed.push(b);
  }

  /** Every alert added, unpacked (once). */
  take(): Alert[] {
    const out = this.objects;
    for (const b of this.packed) for (const x of deserialize(b) as Alert[]) out.push(x);
    this.objects = [];
    this.packed = [];
    return out;
  }
}

interface PoolHooks {
  onAlerts: (a: Uint8Array, unitId?: number) => void;
  onProblem: (p: SourceProblem) => void;
  onDone: (unit: WorkUnit, s: StreamStats, ruleProblems: { ruleId: string; message: string }[], clock: ClockAssumption[], telemetry?: TelemetryCounts, own?: OwnSpan) => void;
  onProgress: (unitId: number, events: number) => void;
}

/** Resource limits for hunt workers (experiment knob: SPOOR_HUNT_YOUNG_MB, young generation in MB). */
function workerLimits(): { resourceLimits?: { maxYoungGenerationSizeMb: number } } {
  const mb = Number(process.env.SPOOR_HUNT_YOUNG_MB ?? '0');
  return mb > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: mb } } : {};
}

/** Worker script next to this module (compiled .js; .ts when running under tsx). */
function workerUrl(): URL {
  const self = import.meta.url;
  return new URL(self.endsWith('.ts') ? './worker.ts' : './worker.js', self);
}

/** What every worker is started with (worker.ts reads it as workerData, packed: PackedWorkerSetup). */
interface WorkerSetup {
  rules: Rule[];
  contextEvents: number;
  tiebreaker: PathStep[] | undefined;
  prefilter: boolean;
  clock: { given: Clock['given']; learned: ReturnType<Clock['learnedOffsets']> };
}

/** WorkerSetup as sent: the rules packed by sigma/detach.ts packRules (worker.ts unpacks them). */
export type PackedWorkerSetup = Omit<WorkerSetup, 'rules'> & { rules: Uint8Array };

/**
 * Run units on `n` worker threads, each handed the next unit as it frees up. A worker left without
 * work exits at once (an idle worker keeps the heap of its last unit: a worker done with its part
 * of a 1 GB pack hunt held ~200 MB until the other finished), and the promise settles once every
 * worker has exited, so the main thread's own peak (unpacking, ordering alerts) comes after theirs.
 */
function runInWorkers(units: WorkUnit[], n: number, setup: WorkerSetup, hooks: PoolHooks): Promise<void> {
  return new Promise((resolve, reject) => {
    const queue = [...units];
    const byId = new Map(units.map((u) => [u.id, u]));
    let remaining = units.length;
    let failed: Error | null = null;
    const pool: Worker[] = [];
    const told = new Set<Worker>();
    let alive = n;
    let finished = false;
    const settle = (): void => {
      if (!finished || alive > 0) return;
      if (failed) reject(failed);
      else resolve();
    };
    const release = (w: Worker): void => {
      if (told.has(w)) return;
      told.add(w);
      w.postMessage({ type: 'exit' });
    };
    const finish = (): void => {
      finished = true;
      for (const w of pool) release(w);
      settle();
    };
    const next = (w: Worker): void => {
      const unit = queue.shift();
      if (unit) w.postMessage({ type: 'unit', unit });
      else release(w);
    };
    // The rules' IR serialized once for all workers (a structured clone per worker cost ~0.15
    // CPU-s each in the main thread with SigmaHQ's 2,407 rules), into shared memory: the workers
    // read the one copy, and keep Sigma rules' conditions as bytes until they need them
    // (sigma/detach.ts: ~40 MB less heap per worker with SigmaHQ's rules).
    const workerData: PackedWorkerSetup = { ...setup, rules: packRules(setup.rules) };
    for (let i = 0; i < n; i++) {
      const w = new Worker(workerUrl(), { workerData, ...workerLimits() });
      pool.push(w);
      w.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            next(w);
            break;
          case 'alerts':
            hooks.onAlerts(m.alerts, m.unitId);
            break;
          case 'problems':
            for (const p of m.problems) hooks.onProblem(p);
            break;
          case 'progress':
            hooks.onProgress(m.unitId, m.events);
            break;
          case 'done':
          case 'failed': {
            const unit = byId.get(m.unitId)!;
            if (m.type === 'failed') {
              const file = unit.parts.map((p) => p.file.path).join(', ');
              hooks.onProblem({ kind: 'other', file, message: `internal error, unit skipped: ${m.message}`, skipped: true });
              hooks.onDone(unit, { events: 0, prefiltered: 0, noTimestamp: 0, outOfOrder: 0, overlapRead: 0 }, [], []);
            } else hooks.onDone(unit, m.stats, m.ruleProblems, m.clock, m.telemetry, m.own);
            remaining--;
            if (remaining === 0) finish();
            else next(w);
            break;
          }
        }
      });
      w.on('error', (e) => {
        failed = e;
        finish();
      });
      w.on('exit', () => {
        alive--;
        // A worker gone before its units were done (it crashed without an 'error'): nothing more will come.
        if (!finished && remaining > 0 && alive === 0) failed ??= new Error('hunt workers exited before their work was done');
        if (alive === 0) finished = true;
        settle();
      });
    }
  });
}

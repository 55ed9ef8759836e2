/**
 * A `spoor query` worker thread (query-run.ts): compiles the query once, then runs the time
 * slices it is sent, each through hunt's reading pipeline (ordered streams, prefilter, overlap
 * past the slice's cut) and its own runner. Only the matches whose first event the slice owns
 * go back, with their events' times and when each was emitted (to merge slices in order).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SourceProblem } from '../sources/types.js';
import { parseDeferred } from '../sources/ndjson.js';
import { compileQuery, type Match } from '../engine/index.js';
import type { Event } from '../events/field.js';
import type { Instant } from '../events/timestamp.js';
import { Clock, toEcs, toNative, useClock } from '../normalize/index.js';
import { mergeInTimeOrder, absoluteLines, sliceSound, type OwnSpan } from './unit.js';
import type { SliceState } from './ordered-stream.js';
import { FieldWatch, JoinGate, QueryFeed, queryRule } from './query-stream.js';
import { ruleLineFilters } from './prefilter.js';
import type { QueryMatch, QuerySetup, QueryFromWorker, QueryToWorker } from './query-run.js';
import type { WorkUnit } from './plan.js';

const port = parentPort!;
const setup = workerData as QuerySetup;
useClock(new Clock(setup.clock.given, setup.clock.learned));
const filters = setup.prefilter
  ? (ruleLineFilters([queryRule(setup.query)], 0, { writerContext: false }) ?? undefined)
  : undefined;
const send = (m: QueryFromWorker): void => port.postMessage(m);

port.on('message', (msg: QueryToWorker) => {
  if (msg.type === 'exit') {
    port.close();
    return;
  }
  void run(msg.unit).catch((e: unknown) => send({ type: 'failed', unitId: msg.unit.id, message: (e as Error).stack ?? String(e) }));
});
send({ type: 'ready' });

async function run(unit: WorkUnit): Promise<void> {
  let boundary: Instant | null = unit.slice?.boundary ?? null;
  for (let attempt = 0; ; attempt++) {
    const slice: SliceState = { boundary, ownMax: null, ownMin: null, stops: unit.slice?.later ? [unit.slice.later] : [] };
    const r = await runOnce(unit, slice);
    const sound = slice.ownMax === null || sliceSound(slice, setup.overlapNs);
    if (!sound && attempt === 0 && !(unit.slice?.later && !sliceSound({ ...slice, stops: [unit.slice.later] }, setup.overlapNs))) {
      boundary = slice.ownMax;
      continue;
    }
    const own: OwnSpan | undefined = slice.ownMin && slice.ownMax ? { min: slice.ownMin, max: slice.ownMax, ...(sound ? {} : { unsound: true as const }) } : undefined;
    for (const p of unit.parts) if (p.range?.unit === 'bytes') await absoluteLines(p.file.path, p.range.start, p.range.end, [], r.problems, unit.parts.length === 1);
    send({ type: 'done', unitId: unit.id, matches: r.matches, events: r.events, prefiltered: r.prefiltered, problems: r.problems, missing: r.fields.missing(), ...(own ? { own } : {}) });
    return;
  }
}

async function runOnce(unit: WorkUnit, slice: SliceState): Promise<{ matches: QueryMatch[]; events: number; prefiltered: number; problems: SourceProblem[]; fields: FieldWatch }> {
  const times = new WeakMap<Event, Instant>();
  const overlapEvents = new WeakSet<Event>();
  const runner = compileQuery(setup.query, {
    dialect: setup.dialect,
    timestamp: (ev) => times.get(ev) ?? null,
    category: setup.categoryField,
    ...(setup.tiebreaker ? { tiebreaker: setup.tiebreaker } : {}),
    ...(setup.maxSamplesPerKey !== undefined ? { maxSamplesPerKey: setup.maxSamplesPerKey } : {}),
  });
  const matches: QueryMatch[] = [];
  const fields = new FieldWatch(setup.query);
  const keep = (ms: Match[], emit: Instant | null): void => {
    for (const m of ms) {
      const first = m.events[0];
      if (first === undefined || overlapEvents.has(first)) continue; // the next slice owns it
      matches.push({
        events: m.events,
        times: m.events.map((e) => times.get(e) ?? null),
        ...(m.keys !== undefined ? { keys: m.keys } : {}),
        ...(m.count !== undefined ? { count: m.count } : {}),
        ...(m.missingStages !== undefined ? { missingStages: m.missingStages } : {}),
        emit,
        seq: matches.length,
      });
    }
  };
  const problems: SourceProblem[] = [];
  const onProblem = (p: SourceProblem): void => void problems.push(p);
  const toView = (raw: Event): Event => (setup.view === 'ecs' ? toEcs(raw) : setup.view === 'native' ? toNative(raw) : raw);
  let gated = 0;
  // As on one thread (cli/query.ts): tiebreaker order, deferred lines through the join gate.
  const feed = new QueryFeed<boolean>({
    runner,
    gate: setup.prefilter ? JoinGate.of(queryRule(setup.query)) : null,
    tiebreaker: setup.tiebreaker,
    onProblem,
    view: toView,
    accept: (ev, time, overlap) => {
      times.set(ev, time);
      if (overlap) overlapEvents.add(ev);
      else fields.see(ev);
    },
    results: (ms, ev) => keep(ms, times.get(ev) ?? null),
    unparsed: (se, overlap) => {
      if (!overlap) gated++; // counted as prefiltered, as hunt counts them (overlap lines are the next slice's)
      if (!overlap && fields.pending && parseDeferred(se, onProblem)) fields.see(toView(se.event));
    },
  });
  const stats = await mergeInTimeOrder(unit.parts, onProblem, setup.overlapNs, filters, undefined, {
    feed: (it) => feed.add(it.se, it.time, it.overlap),
    flush: () => {},
  }, slice);
  feed.flush();
  keep(runner.end(), null);
  return { matches, events: stats.events, prefiltered: stats.prefiltered + gated, problems, fields };
}

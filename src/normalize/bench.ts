/**
 * Micro-benchmark of normalization cost per event (run: `node --import tsx src/normalize/bench.ts`,
 * or `node dist/src/normalize/bench.js` after a build). Reads the ground-truth events from
 * ../shared and times JSON.parse, flavour detection and each view on fresh copies.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Event } from '../events/field.js';
import { eventHost, eventTime, toEcs, toNative } from './index.js';

const shared = resolve(process.env.SPOOR_SHARED ?? '../shared');

function evtxDumpSample(
  file = 'rules/windows/process_creation/proc_creation_win_findstr_recon_everyone/47e4bab7-c626-47dc-967b-255608c9a920.json',
): string[] {
  const p = resolve(shared, 'conformance/sigma/regression_data', file);
  const text = readFileSync(p, 'utf8');
  const first = text.slice(0, text.indexOf('\n}\n') + 2);
  return [JSON.stringify(JSON.parse(first))];
}

function ndjsonLines(name: string): string[] {
  return readFileSync(resolve(shared, 'datasets/ecs-derived', name), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

const BATCH = 1000;
const ROUNDS = 25;

/**
 * Cost per event of `work` on fresh events, parsed in batches that are dropped after use (as in a
 * hunt). Reports the median and the best batch: the machine is shared, so the mean mostly
 * measures other processes.
 */
function time(label: string, lines: string[], work: (ev: Event) => void): void {
  const perEvent: number[] = [];
  for (let r = -3; r < ROUNDS; r++) {
    const evs: Event[] = [];
    for (let i = 0; i < BATCH; i++) for (const l of lines) evs.push(JSON.parse(l) as Event);
    const t0 = process.hrtime.bigint();
    for (const e of evs) work(e);
    if (r < 0) continue; // warm-up rounds
    perEvent.push(Number(process.hrtime.bigint() - t0) / evs.length / 1000);
  }
  perEvent.sort((a, b) => a - b);
  const median = perEvent[perEvent.length >> 1]!;
  console.log(`${label.padEnd(42)} median ${median.toFixed(2)} µs/event, best ${perEvent[0]!.toFixed(2)}`);
}

const samples: [string, string[]][] = [
  ['evtx_dump Sysmon 1', evtxDumpSample()],
  ['evtx_dump Sysmon 11', evtxDumpSample('rules/windows/file/file_event/file_event_win_anydesk_artefact/0b9ad457-2554-44c1-82c2-d56a99c42377.json')],
  ['Winlogbeat 7+ (ECS, completed in place)', ndjsonLines('POS_psexesvc_remote_copy.winlogbeat.ndjson')],
  ['Elastic Defend', ndjsonLines('POS_psexesvc_remote_copy.defend.ndjson')],
];

for (const [name, lines] of samples) {
  console.log(`# ${name} (${lines[0]!.length} bytes)`);
  time('toEcs', lines, (e) => void toEcs(e));
  time('toNative', lines, (e) => void toNative(e));
  time('toEcs + toNative + eventTime + eventHost', lines, (e) => {
    toEcs(e);
    toNative(e);
    eventTime(e);
    eventHost(e);
  });
  time('cached toEcs (second call)', lines, (e) => {
    toEcs(e);
    toEcs(e);
  });
}

// JSON.parse itself, for scale (same batching).
for (const [name, lines] of samples) {
  const perEvent: number[] = [];
  for (let r = -3; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) for (const l of lines) JSON.parse(l);
    if (r >= 0) perEvent.push(Number(process.hrtime.bigint() - t0) / (BATCH * lines.length) / 1000);
  }
  perEvent.sort((a, b) => a - b);
  console.log(`JSON.parse ${name}`.padEnd(42), `median ${perEvent[perEvent.length >> 1]!.toFixed(2)} µs/event, best ${perEvent[0]!.toFixed(2)}`);
}

// The two ways to cache a view on an event: a WeakMap, or a non-enumerable symbol property.
const lines = samples[0]![1];
const cache = new WeakMap<object, object>();
const SYM = Symbol('views');
time('cache: WeakMap set + 2 gets', lines, (e) => {
  cache.set(e, { a: 1 });
  cache.get(e);
  cache.get(e);
});
time('cache: symbol defineProperty + 2 reads', lines, (e) => {
  Object.defineProperty(e, SYM, { value: { a: 1 }, enumerable: false });
  void (e as Record<symbol, unknown>)[SYM];
  void (e as Record<symbol, unknown>)[SYM];
});

/**
 * One measured run for bench/eql-pack.ts, in a fresh process (clean peak memory). Prints JSON.
 *   floor FILE                  read + parse only, one thread: NDJSON lines → JSON.parse; EVTX records
 *   hunt WORKERS RULES.json FILE  spoor hunt with the rule files listed in RULES.json (+ built-in pack;
 *                               '' for the built-in pack alone; SPOOR_BENCH_EXCLUDE=id,id leaves rules out)
 * cpuSeconds is the whole process's user+system time (worker threads included). A hunt also
 * reports its rule load apart (loadCpuSeconds, loadSeconds: reading, parsing and converting the
 * rule files, before any input is read) and huntCpuSeconds / huntSeconds after it, as `spoor hunt`
 * reports its events/s without the load (HuntSummary.loadSeconds).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { huntRuleSpec, runHunt } from '../src/hunt/run.js';
import type { HuntOptions } from '../src/hunt/types.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { readEvtxFile } from '../src/sources/evtx/index.js';

const [mode, ...rest] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const done = (o: Record<string, unknown>): void => {
  const cu = process.cpuUsage(c0);
  console.log(JSON.stringify({ ...o, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (cu.user + cu.system) / 1e6, maxRssKb: process.resourceUsage().maxRSS }));
};

if (mode === 'floor') {
  const file = rest[0]!;
  let events = 0;
  if (file.endsWith('.evtx')) {
    for await (const batch of readEvtxFile(file, () => {})) events += batch.length;
  } else {
    const fd = openSync(file, 'r');
    const buf = Buffer.allocUnsafe(8 << 20);
    let carry = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      const text = carry + buf.toString('utf8', 0, n);
      let start = 0;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
        if (i > start) {
          JSON.parse(text.slice(start, i));
          events++;
        }
        start = i + 1;
      }
      carry = text.slice(start);
    }
    if (carry.trim()) {
      JSON.parse(carry);
      events++;
    }
    closeSync(fd);
  }
  done({ events });
} else if (mode === 'hunt') {
  const [workers, rulesJson, ...inputs] = rest;
  const rulesDirs = rulesJson ? (JSON.parse(readFileSync(rulesJson, 'utf8')) as string[]) : [];
  const excludeRules = (process.env.SPOOR_BENCH_EXCLUDE ?? '').split(',').filter((x) => x !== '');
  const opts: HuntOptions = { inputs, rulesDirs, excludeRules, workers: Number(workers), progress: false, contextEvents: 0, buildingBlocks: true };
  const loaded = await loadHuntRules(huntRuleSpec(opts));
  const lu = process.cpuUsage(c0);
  const loadCpuSeconds = (lu.user + lu.system) / 1e6;
  const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = await runHunt(opts, {}, loaded);
  const top = Object.entries(r.summary.alertsByRule).sort((a, b) => b[1] - a[1]).slice(0, 5);
  const cu = process.cpuUsage(c0);
  const cpuSeconds = (cu.user + cu.system) / 1e6;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  done({ events: r.summary.events, alerts: r.alerts.length, rulesSkipped: r.summary.rulesSkipped.length, units: r.summary.workUnits, overlapRead: r.summary.overlapRead, top, loadCpuSeconds, loadSeconds, huntCpuSeconds: cpuSeconds - loadCpuSeconds, huntSeconds: seconds - loadSeconds });
} else {
  console.error('usage: eql-pack-child floor FILE | hunt WORKERS RULES.json FILE');
  process.exit(2);
}

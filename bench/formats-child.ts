/**
 * One measurement of bench/formats.ts in a fresh process; prints its figures as JSON.
 *   floor FILE           read the file in 1 MiB blocks, split lines, JSON.parse each (one thread)
 *   hunt FILE [SIGMADIR] [WORKERS] [warm]
 *                        the rules loaded once (timed), then `spoor hunt` over the file; with
 *                        `warm`, the file is hunted once untimed before the timed hunt (the JIT
 *                        and the heap already warm: what the per-line cost tends to on long inputs)
 * cpuS is the process's CPU time (all threads); for hunts, `loadCpuS` is the CPU time of loading
 * the rules alone, measured just before in the same process, so a hunt's rate can exclude it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { runHunt } from '../src/hunt/run.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';

const [mode, file, sigmaDir, workers, warm] = process.argv.slice(2);
const cpu = (c: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1e6;
};

if (mode === 'floor') {
  const c0 = process.cpuUsage();
  const fd = openSync(file!, 'r');
  let buf = Buffer.allocUnsafe(1 << 20);
  let have = 0;
  let events = 0;
  for (;;) {
    if (have === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
    const n = readSync(fd, buf, have, buf.length - have, null);
    const limit = have + n;
    let i = 0;
    for (let nl = buf.indexOf(10, i); nl >= 0 && nl < limit; nl = buf.indexOf(10, i)) {
      if (nl > i) {
        JSON.parse(buf.toString('utf8', i, nl));
        events++;
      }
      i = nl + 1;
    }
    if (n === 0) {
      if (limit > i) {
        JSON.parse(buf.toString('utf8', i, limit));
        events++;
      }
      break;
    }
    buf.copy(buf, 0, i, limit);
    have = limit - i;
  }
  closeSync(fd);
  console.log(JSON.stringify({ events, cpuS: cpu(c0) }));
} else {
  const sigmaDirs = sigmaDir ? [sigmaDir] : [];
  const c0 = process.cpuUsage();
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs, excludeRules: [], hunting: false });
  const loadCpuS = cpu(c0);
  const options = { inputs: [file!], sigmaDirs, workers: Number(workers ?? 1), progress: false, contextEvents: 0 };
  if (warm === 'warm') await runHunt(options);
  const c1 = process.cpuUsage();
  const r = await runHunt(options);
  console.log(
    JSON.stringify({
      rules: loaded.rules.length,
      events: r.summary.events,
      prefiltered: r.summary.prefiltered ?? 0,
      cpuS: cpu(c1),
      loadCpuS,
      alerts: r.alerts.length,
      maxRssKb: process.resourceUsage().maxRSS,
    }),
  );
}

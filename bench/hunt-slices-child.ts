/** One hunt in a fresh process (bench/hunt-slices.ts): wall, CPU (all threads) and alert ids. */
import { runHunt } from '../src/hunt/run.js';

const [mode, workers, ...inputs] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const r = await runHunt({ inputs, workers: Number(workers), progress: false, ...(mode === 'whole' ? { sliceBytes: Number.MAX_SAFE_INTEGER } : {}) });
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const ru = process.resourceUsage();
console.log(
  JSON.stringify({
    events: r.summary.events,
    wall,
    cpu: (ru.userCPUTime + ru.systemCPUTime) / 1e6,
    units: r.summary.workUnits,
    rerun: r.summary.hostsRerunWhole ?? 0,
    alertIds: r.alerts.map((a) => a.id).sort().join(','),
    alerts: r.alerts.length,
  }),
);

/** One Sigma hunt in a fresh process (bench/sigma.ts): prints its figures as JSON. */
import { runHunt } from '../src/hunt/run.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';

const [workers, sigmaDir, ...inputs] = process.argv.slice(2);
const sigmaDirs = sigmaDir ? [sigmaDir] : [];
const t0 = process.hrtime.bigint();
const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs, excludeRules: [], hunting: false });
const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const c0 = process.cpuUsage(); // the hunt's CPU time (all threads), its own rule load included
const r = await runHunt({ inputs, sigmaDirs, workers: Number(workers), progress: false, contextEvents: 0 });
console.log(
  JSON.stringify({
    rules: loaded.rules.length,
    loadSeconds,
    events: r.summary.events,
    seconds: r.summary.seconds,
    cpuS: cpuSince(c0),
    alerts: r.alerts.length,
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);

function cpuSince(c: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1e6;
}

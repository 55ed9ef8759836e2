/** One Sigma hunt in a fresh process (bench/sigma.ts): prints its figures as JSON. */
import { huntRuleSpec, runHunt } from '../src/hunt/run.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';

const [workers, sigmaDir, ...inputs] = process.argv.slice(2);
const sigmaDirs = sigmaDir ? [sigmaDir] : [];
const c0 = process.cpuUsage(); // the hunt's CPU time (all threads), its rule load included
const t0 = process.hrtime.bigint();
// Loaded once and handed to the hunt, as `spoor hunt` does (cli/hunt.ts): a second load held
// alongside would count a second copy of the rules in the peak RSS.
const opts = { inputs, sigmaDirs, workers: Number(workers), progress: false, contextEvents: 0 };
const loaded = await loadHuntRules(huntRuleSpec(opts));
const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const rules = loaded.rules.length;
const r = await runHunt(opts, {}, loaded);
console.log(
  JSON.stringify({
    rules,
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

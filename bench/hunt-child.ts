/** Runs one hunt in a fresh process and prints its figures (used by bench/hunt.ts for clean peak memory). */
import { runHunt } from '../src/hunt/run.js';

const [workers, ...inputs] = process.argv.slice(2);
const r = await runHunt({ inputs, workers: Number(workers), progress: false, contextEvents: 0 });
console.log(
  JSON.stringify({
    events: r.summary.events,
    seconds: r.summary.seconds,
    alerts: r.alerts.length,
    alertsByRule: r.summary.alertsByRule,
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);

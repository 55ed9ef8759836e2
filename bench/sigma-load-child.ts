/**
 * Rule load + compile as `spoor hunt --sigma` does it, in a fresh process (bench/sigma-match.ts):
 * loadHuntRules (Sigma YAML → IR, through the load cache unless SPOOR_NO_RULE_CACHE=1), then the
 * per-thread CompiledRuleSet (multi-rule matcher; single-event Sigma rules compile on first use).
 * Prints CPU seconds of each step as JSON.
 */
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { CompiledRuleSet } from '../src/hunt/detector.js';

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const t0 = cpu();
const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [process.argv[2]!], excludeRules: [], hunting: false });
const t1 = cpu();
const set = new CompiledRuleSet(loaded.rules);
const t2 = cpu();
console.log(JSON.stringify({ rules: loaded.rules.length, selectable: set.native?.rules.length ?? 0, loadCpuS: t1 - t0, compileCpuS: t2 - t1, totalCpuS: t2 - t0, maxRssKb: process.resourceUsage().maxRSS }));

/**
 * Loading every rule a hunt runs: the built-in pack (plus `--rules` dirs) and Sigma dirs,
 * with exceptions applied. Runs in the main thread (to report problems once) and in each worker.
 */
import type { Rule } from '../ir/types.js';
import { loadRulePack, loadExceptions } from '../rules/index.js';
import { loadSigmaPaths } from '../sigma/index.js';

export interface RuleSpec {
  rulesDirs: string[];
  sigmaDirs: string[];
  excludeRules: string[];
  exceptionsFile?: string;
  hunting: boolean;
}

export interface LoadedRules {
  rules: Rule[];
  skipped: { id?: string; source: string; reason: string }[];
}

export async function loadHuntRules(spec: RuleSpec): Promise<LoadedRules> {
  const skipped: LoadedRules['skipped'] = [];
  const exceptions = spec.exceptionsFile ? loadExceptions(spec.exceptionsFile) : undefined;
  const pack = loadRulePack(spec.rulesDirs, {
    hunting: spec.hunting,
    excludeRules: spec.excludeRules,
    exceptions,
  });
  const rules: Rule[] = [...pack.rules];
  for (const reason of exceptions?.problems ?? []) skipped.push({ source: spec.exceptionsFile!, reason });
  for (const p of pack.problems) skipped.push({ id: p.id, source: p.source, reason: p.reason });
  const excluded = new Set(spec.excludeRules);
  if (spec.sigmaDirs.length > 0) {
    // One load for all paths, so a correlation may reference a rule in another directory.
    const r = await loadSigmaPaths(spec.sigmaDirs);
    for (const rule of r.rules) if (!excluded.has(rule.id)) rules.push(rule);
    for (const p of r.problems) skipped.push({ id: p.id, source: p.source, reason: p.reason });
  }
  return { rules, skipped };
}

/** The longest window any sequence/correlation keeps state for (how far split parts overlap). */
export function longestWindowNs(rules: Rule[]): number {
  let max = 0;
  for (const r of rules) {
    const q = r.query;
    if (q.kind === 'sequence') max = Math.max(max, q.maxspanNs ?? 3600e9);
    else if (q.kind === 'correlation') max = Math.max(max, q.timespanNs);
    else if (q.kind === 'sample' || q.kind === 'join') max = Math.max(max, 3600e9);
  }
  return max;
}

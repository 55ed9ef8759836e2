/**
 * Loading every rule a hunt runs: the built-in pack (plus `--rules` dirs) and Sigma dirs,
 * with exceptions applied. Runs in the main thread (to report problems once) and in each worker.
 */
import type { Rule } from '../ir/types.js';
import { loadRulePack, loadExceptions } from '../rules/index.js';
import { loadSigmaPaths } from '../sigma/index.js';
import { hasLineage } from './detector.js';

export interface RuleSpec {
  rulesDirs: string[];
  sigmaDirs: string[];
  excludeRules: string[];
  exceptionsFile?: string;
  hunting: boolean;
  /** Also run Elastic building-block rules (hidden by default). */
  buildingBlocks?: boolean;
  /** Apply Elastic rules to every event flavour, whatever their `index` says. */
  ignoreIndex?: boolean;
  /** Apply Elastic rules only to the flavours their `index` names (no Windows-log extension). */
  strictIndex?: boolean;
}

export interface LoadedRules {
  rules: Rule[];
  /** `notRunnable`: a valid rule of a type spoor does not run (Elastic KQL, ES|QL, ML…): listed, not an error. */
  skipped: { id?: string; source: string; reason: string; notRunnable?: true }[];
  /** Seconds taken to load (read, parse, convert) the rules; not part of a hunt's events/s. */
  loadSeconds?: number;
}

export async function loadHuntRules(spec: RuleSpec): Promise<LoadedRules> {
  const started = process.hrtime.bigint();
  const skipped: LoadedRules['skipped'] = [];
  const excluded = new Set(spec.excludeRules);
  const sigmaRules: Rule[] = [];
  if (spec.sigmaDirs.length > 0) {
    // One load for all paths, so a correlation may reference a rule in another directory.
    const r = await loadSigmaPaths(spec.sigmaDirs, { cache: true });
    sigmaRules.push(...r.rules);
    for (const p of r.problems) skipped.push({ id: p.id, source: p.source, reason: p.reason });
  }
  const sigmaIds = new Set(sigmaRules.map((r) => r.id));
  // The rule pack reports exclusions that name none of its rules; Sigma ids are not its business.
  // It also reports the exceptions file's problems.
  const exceptions = spec.exceptionsFile ? loadExceptions(spec.exceptionsFile) : undefined;
  const pack = loadRulePack(spec.rulesDirs, {
    hunting: spec.hunting,
    buildingBlocks: spec.buildingBlocks === true,
    ignoreIndex: spec.ignoreIndex === true,
    strictIndex: spec.strictIndex === true,
    // Elastic TOML rules: their load kept in the load cache, as Sigma's (rules/load-cache.ts).
    cache: true,
    excludeRules: spec.excludeRules.filter((id) => !sigmaIds.has(id)),
    exceptions,
  });
  const rules: Rule[] = [...pack.rules, ...sigmaRules.filter((r) => !excluded.has(r.id))];
  for (const p of pack.problems)
    skipped.push({ id: p.id, source: p.source, reason: p.reason, ...(p.severity === 'unsupported' && /\.toml$/i.test(p.source) ? { notRunnable: true as const } : {}) });
  if (exceptions) {
    const known = new Set([...pack.rules.map((r) => r.id), ...sigmaIds]);
    for (const id of Object.keys(exceptions.rules)) {
      if (!known.has(id) && !excluded.has(id)) skipped.push({ id, source: spec.exceptionsFile!, reason: `exceptions name rule '${id}', which no loaded rule has (typo?)` });
    }
  }
  return { rules, skipped, loadSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
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

/**
 * How far back in time a rule's state reaches, for cutting a host's events into time slices
 * (hunt/slices.ts): 0 for a single-event rule without pipes or lineage, the maxspan of a
 * sequence, the timespan of a correlation. null: unbounded — a sequence without maxspan,
 * `sample` and `join`, any pipe (head, tail, count, unique… see the whole stream), lineage tests
 * (process trees of the whole history). Unbounded rules are never run on a slice: they run over
 * each host's whole history in a unit of their own (see plan.ts).
 */
export function ruleWindowNs(rule: Rule): number | null {
  const q = rule.query;
  switch (q.kind) {
    case 'event':
      return q.pipes.length === 0 && !hasLineage(q.query.where) ? 0 : null;
    case 'sequence':
      if (q.maxspanNs === undefined || q.maxspanNs <= 0 || q.pipes.length > 0) return null;
      if (q.stages.some((s) => hasLineage(s.query.where)) || (q.until && hasLineage(q.until.query.where))) return null;
      return q.maxspanNs;
    case 'correlation':
      return q.timespanNs > 0 ? q.timespanNs : null;
    default:
      return null;
  }
}

/** Rules split by whether their window is bounded (see ruleWindowNs). */
export function splitByWindow(rules: Rule[]): { bounded: Rule[]; unbounded: Rule[]; windowNs: number } {
  const bounded: Rule[] = [];
  const unbounded: Rule[] = [];
  let windowNs = 0;
  for (const r of rules) {
    const w = ruleWindowNs(r);
    if (w === null) unbounded.push(r);
    else {
      bounded.push(r);
      windowNs = Math.max(windowNs, w);
    }
  }
  return { bounded, unbounded, windowNs };
}

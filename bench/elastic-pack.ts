/**
 * The rule set of the Elastic-pack benchmarks (bench/eql-pack.ts, bench/eql-detect.ts): every
 * non-deprecated EQL rule of ../shared's detection-rules tree (rules and building blocks) tagged
 * for Windows, for several OSes, or for none — and their sources as JSON for the child processes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Rule } from '../src/ir/types.js';
import { loadRulePack } from '../src/rules/index.js';

/** The chosen rules and their sources as JSON (`sources`); exits 2 (naming `bench`) without the tree. */
export function elasticPack(shared: string, bench: string): { chosen: Rule[]; loaded: number; sources: string } {
  const repo = join(shared, 'reference/elastic-detection-rules/repo');
  if (!existsSync(repo)) {
    console.error(`${bench} needs ${repo}`);
    process.exit(2);
  }
  const pack = loadRulePack([join(repo, 'rules'), join(repo, 'rules_building_block')], { builtin: false, buildingBlocks: true });
  const chosen = pack.rules.filter((r) => {
    if (r.meta?.deprecated === true) return false;
    const os = (r.tags ?? []).filter((t) => t.startsWith('OS: ')).map((t) => t.slice(4).toLowerCase());
    return os.length === 0 || os.includes('windows') || os.length > 1;
  });
  return { chosen, loaded: pack.rules.length, sources: JSON.stringify(chosen.map((r) => r.source)) };
}

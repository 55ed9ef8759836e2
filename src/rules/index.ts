/**
 * The rule pack: built-in `rules/*.yml` plus user `--rules` directories (YAML EQL rules and plain
 * `.eql` files), exclusion lists, and the user's exceptions file. See docs/rules.md.
 */
import type { Rule, RuleProblem } from '../ir/types.js';
import { parseEql } from '../eql/index.js';
import { loadRulePackWith, type LoadRulePackOptions, type RulePack } from './pack.js';
import type { Exceptions } from './exceptions.js';

export { loadElasticToml, flavoursForIndexes } from './elastic-toml.js';
export { builtinRulesDir, gateOf, EXCLUDE_RULE_SOURCE, type LoadRulePackOptions, type RulePack, type EqlParser } from './pack.js';
export {
  loadExceptions,
  EXCEPTION_KEYS,
  applyExceptions,
  alertExceptionReason,
  filterAlerts,
  exceptionsFor,
  emptyExceptions,
  type Exceptions,
  type ExceptionSet,
} from './exceptions.js';
export { loadList, exclusionExpr, type ExclusionList } from './lists.js';

/**
 * Load the built-in pack (unless `builtin: false`) and every rule under `dirs`. Hunting rules only
 * with `hunting`; `excludeRules` ids are left out; `exceptions` add their signer/path/host
 * conditions to the rules. Rules that cannot be loaded are in `problems`, never dropped silently.
 */
export function loadRulePack(
  dirs: string[],
  opts: { hunting?: boolean; excludeRules?: string[]; exceptions?: Exceptions } & Pick<LoadRulePackOptions, 'builtin' | 'buildingBlocks' | 'ignoreIndex' | 'strictIndex' | 'cache'> = {},
): RulePack {
  return loadRulePackWith((text, dialect) => parseEql(text, { dialect }), dirs, opts);
}

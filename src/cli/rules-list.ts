/**
 * `spoor rules list [--sigma DIR] [--rules DIR]`: every rule a hunt with the same options would
 * load (built-in pack included, hunting rules too), with id, title, level, status, logsource, tags.
 */
import type { Command } from 'commander';
import { loadHuntRules } from '../hunt/load-rules.js';
import type { Rule } from '../ir/types.js';
import { parseFilters, ruleFilter, ruleStatus, LEVELS, STATUSES } from '../output/filters.js';
import { cutWords } from '../output/cut.js';
import { sanitize } from '../output/text.js';
import { collect, EXIT, missingPath, toJson, usageErrorsExit2, writeOut } from './common.js';
import { renderTable } from './table.js';

interface RulesListOptions {
  format: string;
  rules?: string[];
  sigma?: string[];
  minLevel?: string;
  status?: string[];
  ruleTag?: string[];
}

export interface RuleListRow {
  id: string;
  title: string;
  level: string;
  status: string;
  /** Sigma: product/category/service; EQL: `eql:` and the ECS categories it gates on. */
  logsource: string;
  tags: string[];
  language: Rule['language'];
  /** Hunting-level pack rule: runs only with `hunt --hunting`. */
  hunting?: boolean;
  source: string;
}

export function registerRulesList(rules: Command): void {
  const cmd = rules
    .command('list')
    .description('List every rule a hunt loads (built-in pack, --rules, --sigma): id, title, level, status, logsource, tags')
    .option('-f, --format <format>', 'table | json', 'table')
    .option('--rules <dir>', 'also load EQL rules from DIR (repeatable)', collect)
    .option('--sigma <dir>', 'also load the Sigma rules in DIR (repeatable)', collect)
    .option('--min-level <level>', `only rules at this level or above: ${LEVELS.join(' | ')}`)
    .option('--status <status>', `only rules with this status: ${STATUSES.join(' | ')} (pack rules count as stable)`, collect)
    .option('--rule-tag <tag>', 'only rules with this tag or a sub-tag, e.g. attack.t1021 (repeatable)', collect)
    .addHelpText(
      'after',
      `
The table goes to stdout, one line per rule, sorted by level (highest first) then title; rules that
could not be loaded are counted on stderr (see \`spoor rules check\` for the reasons).
In a file or pipe no cell is cut. --format json writes {"rules": [...], "skipped": [...]}.
Exit codes: 0 listed, 2 bad arguments or a --rules/--sigma path that does not exist.

Examples:
  spoor rules list
  spoor rules list --sigma ./sigma/rules/windows --min-level high --format json
  spoor rules list --sigma ./sigma/rules/windows --rule-tag attack.t1021.002`,
    )
    .action(async (o: RulesListOptions) => {
      process.exitCode = await rulesList(o);
    });
  usageErrorsExit2(cmd);
}

export function logsourceOf(r: Rule): string {
  const ls = r.meta?.logsource;
  if (ls && typeof ls === 'object') {
    const l = ls as Record<string, unknown>;
    return ['product', 'category', 'service'].map((k) => l[k]).filter((v) => typeof v === 'string' && v).join('/');
  }
  if (r.meta?.correlation) return 'correlation';
  const cats = r.gate?.categories;
  return cats && cats.length > 0 ? `${r.language}: ${cats.join(',')}` : r.language;
}

export function listRow(r: Rule): RuleListRow {
  const row: RuleListRow = {
    id: r.id,
    title: r.name,
    level: r.severity,
    status: ruleStatus(r),
    logsource: logsourceOf(r),
    tags: [...(r.tags ?? []), ...(r.mitre ?? []).filter((m) => !(r.tags ?? []).some((t) => t.toLowerCase() === `attack.${m.toLowerCase()}`))],
    language: r.language,
    source: r.source,
  };
  if (r.meta?.hunting === true) row.hunting = true;
  return row;
}

async function rulesList(o: RulesListOptions): Promise<number> {
  if (o.format !== 'table' && o.format !== 'json') {
    process.stderr.write(`spoor: unknown --format '${o.format}' (table, json)\n`);
    return EXIT.ERROR;
  }
  for (const [flag, dirs] of [['--rules', o.rules ?? []], ['--sigma', o.sigma ?? []]] as const) {
    for (const d of dirs) {
      const why = missingPath(d, 'any');
      if (why) {
        process.stderr.write(`spoor: ${flag} ${d}: ${why}\n`);
        return EXIT.ERROR;
      }
    }
  }
  const { filters, error } = parseFilters(o);
  if (error) {
    process.stderr.write(`spoor: ${error}\n`);
    return EXIT.ERROR;
  }
  const loaded = await loadHuntRules({ rulesDirs: o.rules ?? [], sigmaDirs: o.sigma ?? [], excludeRules: [], hunting: true });
  const keep = ruleFilter(filters) ?? (() => true);
  const rows = loaded.rules
    .filter(keep)
    .map(listRow)
    .sort((a, b) => LEVELS.indexOf(b.level as (typeof LEVELS)[number]) - LEVELS.indexOf(a.level as (typeof LEVELS)[number]) || a.title.localeCompare(b.title));
  if (o.format === 'json') {
    await writeOut(toJson({ rules: rows, skipped: loaded.skipped }, 2) + '\n');
  } else {
    const tty = process.stdout.isTTY === true;
    const cut = (s: string, n: number): string => (tty ? cutWords(s, n) : s);
    const table = [['LEVEL', 'STATUS', 'ID', 'TITLE', 'LOGSOURCE', 'TAGS']];
    for (const r of rows) table.push([r.level, r.status + (r.hunting ? ' (hunting)' : ''), r.id, cut(r.title, 60), r.logsource, cut(r.tags.join(' '), 60)].map(sanitize));
    await writeOut(rows.length > 0 ? renderTable(table) + '\n' : 'No rules.\n');
  }
  process.stderr.write(`${rows.length} rule${rows.length === 1 ? '' : 's'} listed${loaded.skipped.length > 0 ? `; ${loaded.skipped.length} could not be loaded (spoor rules check DIR says why)` : ''}\n`);
  return EXIT.OK;
}

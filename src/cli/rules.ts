/**
 * `spoor rules check PATH...`: load Sigma rules (and spoor's own EQL rule files — YAML and `.eql` —
 * and exceptions files found beside them)
 * and say, per rule, whether spoor runs it (loaded), cannot (unsupported: a valid rule using a
 * feature spoor lacks) or rejects it (error: the rule itself is invalid), with the reason. Every
 * loaded rule is also compiled by the engine.
 */
import type { Command } from 'commander';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlData } from '../rules/yaml-problem.js';
import { compileQuery } from '../engine/index.js';
import { loadSigmaPaths, type SigmaDocumentInfo, type SigmaOptions } from '../sigma/index.js';
import { EXCEPTION_KEYS, loadExceptions, loadRulePack } from '../rules/index.js';
import { listFiles } from '../sources/list-files.js';
import type { Rule } from '../ir/types.js';
import { EXIT, toJson, writeOut } from './common.js';
import { renderTable } from './table.js';
import { registerRulesList } from './rules-list.js';

interface RulesCheckOptions {
  format: string;
  placeholders?: string;
  problemsOnly: boolean;
}

export interface RuleCheckRow {
  status: SigmaDocumentInfo['status'];
  kind: SigmaDocumentInfo['kind'] | 'exceptions';
  id?: string;
  title?: string;
  source: string;
  reason?: string;
  warnings?: string[];
}

export interface RuleCheckSummary {
  documents: number;
  loaded: number;
  embedded: number;
  filters: number;
  unsupported: number;
  errors: number;
  warnings: number;
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('Work with rule files');
  registerRulesList(rules);
  rules
    .command('check')
    .description('Load Sigma, spoor EQL and Elastic detection-rules TOML rules and exceptions files and report, per rule, loaded / unsupported / error with the reason')
    .argument('<paths...>', 'rule or exceptions files, or directories (recursive *.yml, *.yaml, *.eql; Elastic detection-rules *.toml)')
    .option('-f, --format <format>', 'table | json | ndjson', 'table')
    .option('--placeholders <file>', 'YAML map of placeholder name → list of values, for the |expand modifier')
    .option('--problems-only', 'list only rules that are unsupported, invalid or have warnings', false)
    .addHelpText(
      'after',
      `
Statuses: loaded (runs), embedded (runs inside a correlation rule), applied (a filter), unsupported
(valid Sigma using a feature spoor lacks), error (invalid rule). Warnings flag rules that load but
may not behave as expected (e.g. a logsource with no known Windows channel: no EventID gate).
Exit codes: 0 every rule loaded, 1 some unsupported (none invalid), 2 some invalid or unreadable.`,
    )
    .action(async (paths: string[], opts: RulesCheckOptions) => {
      process.exitCode = await rulesCheck(paths, opts);
    });
}

function loadPlaceholders(file: string): Record<string, string[]> {
  const data: unknown = parseYamlData(readFileSync(file, 'utf8'), file);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`${file}: expected a map of name → values`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    out[k] = (Array.isArray(v) ? v : [v]).map(String);
  }
  return out;
}

/** Check the rules and print the report; returns the exit code. */
export async function rulesCheck(paths: string[], opts: RulesCheckOptions): Promise<number> {
  const format = opts.format;
  if (!['table', 'json', 'ndjson'].includes(format)) {
    process.stderr.write(`spoor: unknown format '${format}' (table, json or ndjson)\n`);
    return EXIT.ERROR;
  }
  const sigmaOpts: SigmaOptions = {};
  if (opts.placeholders) {
    try {
      sigmaOpts.placeholders = loadPlaceholders(opts.placeholders);
    } catch (e) {
      process.stderr.write(`spoor: placeholders: ${(e as Error).message}\n`);
      return EXIT.ERROR;
    }
  }
  const result = await loadSigmaPaths(paths, { ...sigmaOpts, skipNonSigma: true });
  // The pack's lists/ hold exclusion lists, neither rules nor exceptions.
  const other = (result.otherFiles ?? []).filter((f) => !f.split(/[\\/]/).includes('lists'));
  const { exceptionFiles, ruleFiles } = splitExceptionFiles(other);
  const rows = [
    ...checkRows(result.documents ?? [], result.rules),
    ...eqlRows([...ruleFiles, ...eqlFilesIn(paths), ...tomlFilesUnder(paths)]),
    ...exceptionRows(exceptionFiles),
  ];
  const summary = summarize(rows);
  const shown = opts.problemsOnly ? rows.filter((r) => r.status === 'unsupported' || r.status === 'error' || r.warnings) : rows;

  if (format === 'json') {
    await writeOut(toJson({ rules: shown, summary }, 2) + '\n');
  } else if (format === 'ndjson') {
    await writeOut(shown.map((r) => toJson(r) + '\n').join('') + toJson({ summary }) + '\n');
  } else {
    const table: string[][] = [['STATUS', 'ID', 'TITLE', 'SOURCE', 'REASON']];
    for (const r of shown) {
      const reason = [r.reason, ...(r.warnings ?? []).map((w) => `warning: ${w}`)].filter(Boolean).join('; ');
      table.push([r.status, r.id ?? '', truncate(r.title ?? '', 60), r.source, reason]);
    }
    await writeOut(
      (shown.length > 0 ? renderTable(table) + '\n' : '') +
        `${summary.documents} documents: ${summary.loaded} loaded, ${summary.embedded} in correlations, ` +
        `${summary.filters} filters, ${summary.unsupported} unsupported, ${summary.errors} errors, ${summary.warnings} with warnings\n`,
    );
  }
  if (summary.errors > 0) return EXIT.ERROR;
  if (summary.unsupported > 0) return 1;
  return EXIT.OK;
}

/** Document outcomes, with every loaded rule also compiled by the engine (a failure is an error). */
export function checkRows(documents: SigmaDocumentInfo[], rules: Rule[]): RuleCheckRow[] {
  const compileErrors = new Map<string, string>();
  for (const rule of rules) {
    try {
      compileQuery(rule.query);
    } catch (e) {
      compileErrors.set(`${rule.source}\u0000${rule.id}`, `engine: ${(e as Error).message}`);
    }
  }
  return documents.map((d) => {
    const row: RuleCheckRow = { status: d.status, kind: d.kind, source: d.source };
    if (d.id !== undefined) row.id = d.id;
    if (d.title !== undefined) row.title = d.title;
    if (d.reason !== undefined) row.reason = d.reason;
    if (d.warnings) row.warnings = d.warnings;
    const err = d.id !== undefined ? compileErrors.get(`${d.source}\u0000${d.id}`) : undefined;
    if (err && d.status === 'loaded') {
      row.status = 'error';
      row.reason = err;
    }
    return row;
  });
}

/**
 * Files that are not Sigma go to spoor's EQL rule-pack loader (same checks as `spoor hunt
 * --rules`), except the pack's `lists/` (exclusion lists, not rules).
 */
export function eqlRows(files: string[]): RuleCheckRow[] {
  const ruleFiles = files.filter((f) => !f.split(/[\\/]/).includes('lists'));
  if (ruleFiles.length === 0) return [];
  const pack = loadRulePack(ruleFiles, { builtin: false, hunting: true, buildingBlocks: true });
  const rows: RuleCheckRow[] = [];
  for (const rule of pack.rules) {
    const row: RuleCheckRow = { status: 'loaded', kind: 'rule', id: rule.id, title: rule.name, source: rule.source };
    try {
      compileQuery(rule.query);
    } catch (e) {
      row.status = 'error';
      row.reason = `engine: ${(e as Error).message}`;
    }
    rows.push(row);
  }
  for (const p of pack.problems) {
    const row: RuleCheckRow = { status: p.severity, kind: 'rule', source: p.source, reason: p.reason };
    if (p.id !== undefined) row.id = p.id;
    rows.push(row);
  }
  return rows;
}

/** Plain `.eql` rule files named or below the directories named (Sigma's walk reads only YAML). */
export function eqlFilesIn(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      continue; // the Sigma loader reports paths that do not exist
    }
    if (st.isDirectory()) out.push(...listFiles(p, '.eql'));
    else if (/\.eql$/i.test(p)) out.push(p);
  }
  return out;
}

/**
 * YAML files that are not Sigma: exceptions files (a mapping of exception keys, no rule `query`
 * or `id`) apart from EQL rule files.
 */
export function splitExceptionFiles(files: string[]): { exceptionFiles: string[]; ruleFiles: string[] } {
  const exceptionFiles: string[] = [];
  const ruleFiles: string[] = [];
  for (const f of files) (looksLikeExceptions(f) ? exceptionFiles : ruleFiles).push(f);
  return { exceptionFiles, ruleFiles };
}

function looksLikeExceptions(file: string): boolean {
  let doc: unknown;
  try {
    doc = parseYamlData(readFileSync(file, 'utf8'), file);
  } catch {
    return false;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const keys = Object.keys(doc);
  return !keys.some((k) => ['id', 'query', 'name', 'language'].includes(k)) && keys.some((k) => EXCEPTION_KEYS.includes(k));
}

/** One row per exceptions file: loaded, or an error per problem (file:line:col, key, reason). */
export function exceptionRows(files: string[]): RuleCheckRow[] {
  const rows: RuleCheckRow[] = [];
  for (const file of files) {
    const ex = loadExceptions(file);
    if (ex.problems.length === 0) rows.push({ status: 'loaded', kind: 'exceptions', title: 'exceptions file', source: file });
    for (const reason of ex.problems) rows.push({ status: 'error', kind: 'exceptions', source: file, reason });
  }
  return rows;
}

/** Elastic detection-rules files (`*.toml`) under the paths, for the rule-pack loader. */
function tomlFilesUnder(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isFile()) {
      if (/\.toml$/i.test(p)) out.push(p);
      return;
    }
    if (!st.isDirectory()) return;
    for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) walk(join(p, name));
  };
  for (const p of paths) walk(p);
  return out;
}

export function summarize(rows: RuleCheckRow[]): RuleCheckSummary {
  const count = (s: RuleCheckRow['status']): number => rows.filter((r) => r.status === s).length;
  return {
    documents: rows.length,
    loaded: count('loaded'),
    embedded: count('embedded'),
    filters: count('applied'),
    unsupported: count('unsupported'),
    errors: count('error'),
    warnings: rows.filter((r) => r.warnings).length,
  };
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

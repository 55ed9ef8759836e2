/**
 * `spoor convert --to TARGET`: spoor's rules (the built-in EQL pack, the shipped Sigma rules,
 * or --rules / --sigma) as queries for another SIEM: Elasticsearch EQL, Lucene, ES|QL, Splunk SPL,
 * Sentinel KQL, Defender XDR advanced hunting KQL, Elastic detection-rule TOML, Kibana import
 * NDJSON. What a target cannot express
 * is listed per rule with the reason, never emitted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { convertRules, TARGET_DESCRIPTIONS, TARGET_NAMES, type TargetName } from '../convert/index.js';
import { builtinRulesDir } from '../rules/pack.js';
import { loadRulePack } from '../rules/index.js';
import { loadSigmaPaths } from '../sigma/index.js';
import type { Rule, RuleProblem } from '../ir/types.js';
import { collect, EXIT, missingPath, toJson, writeOut } from './common.js';

interface ConvertCliOptions {
  to: string;
  rules?: string[];
  sigma?: string[];
  builtin: boolean;
  out?: string;
  json: boolean;
  rule?: string[];
}

const EXTENSION: Readonly<Record<TargetName, string>> = { eql: 'eql', lucene: 'lucene', esql: 'esql', splunk: 'spl', kql: 'kql', defender: 'kql', 'elastic-toml': 'toml', 'kibana-ndjson': 'ndjson', sigma: 'yml' };

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('Convert rules (EQL pack, Sigma) to EQL, Lucene, ES|QL, Splunk SPL, Sentinel KQL, Defender XDR KQL, Elastic detection-rule TOML or Kibana NDJSON')
    .requiredOption('-t, --to <target>', `target: ${TARGET_NAMES.join(' | ')}`)
    .option('--rules <dir>', 'EQL rule directory to convert besides the built-in pack (repeatable)', collect)
    .option('--sigma <path>', 'Sigma rule file or directory (repeatable; default: the shipped rules/sigma)', collect)
    .option('--no-builtin', 'leave out the built-in EQL pack and shipped Sigma rules')
    .option('--rule <id>', 'only this rule id (repeatable)', collect)
    .option('-o, --out <dir>', 'write one file per rule into DIR (kibana-ndjson: DIR/rules.ndjson)')
    .option('--json', 'print {queries, problems} as JSON', false)
    .addHelpText(
      'after',
      `
Targets:
${TARGET_NAMES.map((t) => `  ${t.padEnd(14)} ${TARGET_DESCRIPTIONS[t]}`).join('\n')}

Field names: Sigma rules (Windows native names) map to ECS / winlog.event_data.* for Elastic
targets and stay native for Splunk and Sentinel; Defender renames them to its tables' columns
(src/convert/targets/defender-schema.ts). EQL rules (ECS) stay ECS for Elastic targets.
The mapping tables are src/convert/fields.ts; docs/convert.md explains each target.

Output: each query on stdout after a "# rule-id  name" line (or --json, or --out DIR); rules a
target cannot express on stderr with the reason. Exit codes: 0 every rule converted, 1 some rules
not expressible in the target, 2 bad arguments or rules that could not be loaded.

Examples:
  spoor convert --to eql
  spoor convert --to kibana-ndjson -o export/       # then import export/rules.ndjson in Kibana
  spoor convert --to kql --sigma sigma/rules/windows/process_creation --no-builtin
`,
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .action(async (o: ConvertCliOptions) => {
      process.exitCode = await runConvert(o);
    });
}

function fail(message: string): number {
  process.stderr.write(`spoor convert: ${message}\n`);
  return EXIT.ERROR;
}

async function runConvert(o: ConvertCliOptions): Promise<number> {
  if (!(TARGET_NAMES as readonly string[]).includes(o.to)) return fail(`unknown --to '${o.to}' (${TARGET_NAMES.join(', ')})`);
  const target = o.to as TargetName;
  for (const p of [...(o.rules ?? []), ...(o.sigma ?? [])]) {
    const why = missingPath(p, 'any');
    if (why) return fail(`${p}: ${why}`);
  }
  const rules: Rule[] = [];
  const loadProblems: RuleProblem[] = [];
  if (o.builtin || (o.rules ?? []).length > 0) {
    const pack = loadRulePack(o.rules ?? [], { builtin: o.builtin, hunting: true });
    rules.push(...pack.rules);
    loadProblems.push(...pack.problems);
  }
  const sigmaPaths = [...(o.builtin ? [join(builtinRulesDir(), 'sigma')] : []), ...(o.sigma ?? [])];
  if (sigmaPaths.length > 0) {
    const s = await loadSigmaPaths(sigmaPaths);
    rules.push(...s.rules);
    loadProblems.push(...s.problems);
  }
  for (const p of loadProblems) process.stderr.write(`spoor convert: cannot load ${p.id ?? p.source} (${p.source}): ${p.reason}\n`);
  const wanted = o.rule && o.rule.length > 0 ? new Set(o.rule) : null;
  const selected = wanted ? rules.filter((r) => wanted.has(r.id)) : rules;
  if (wanted) for (const id of wanted) if (!rules.some((r) => r.id === id)) return fail(`no rule with id '${id}'`);
  const result = convertRules(selected, target);
  for (const p of result.problems) process.stderr.write(`spoor convert: ${p.id ?? '?'} (${p.source}): not converted: ${p.reason}\n`);

  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    if (target === 'kibana-ndjson') writeFileSync(join(o.out, 'rules.ndjson'), result.queries.map((q) => q.text + '\n').join(''));
    else for (const q of result.queries) writeFileSync(join(o.out, `${q.ruleId.replace(/[^A-Za-z0-9_.-]/g, '_')}.${EXTENSION[target]}`), q.text.endsWith('\n') ? q.text : q.text + '\n');
  } else if (o.json) {
    await writeOut(toJson(result, 2) + '\n');
  } else if (target === 'kibana-ndjson') {
    await writeOut(result.queries.map((q) => q.text + '\n').join(''));
  } else {
    await writeOut(result.queries.map((q) => `# ${q.ruleId}  ${q.name}\n${q.text.replace(/\n+$/, '')}\n`).join('\n'));
  }
  process.stderr.write(`spoor convert: ${result.queries.length} rule(s) converted to ${target}, ${result.problems.length} not expressible${loadProblems.length ? `, ${loadProblems.length} could not be loaded` : ''}\n`);
  if (loadProblems.length > 0) return EXIT.ERROR;
  return result.problems.length > 0 ? EXIT.ALERTS : EXIT.OK;
}

/** `spoor hunt PATH...`: run every enabled rule over logs; alerts to stdout, summary to stderr. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runHunt } from '../hunt/run.js';
import { formatAlerts, formatSummary, renderHtmlReport } from '../output/index.js';
import { writeOut, collect, problemPrinter, EXIT } from './common.js';

export function registerHunt(program: Command): void {
  program
    .command('hunt')
    .description('Run the rule pack (and Sigma rules) over logs: EVTX, NDJSON/JSON, XML, Elasticsearch exports, .gz, directories, - for stdin')
    .argument('<paths...>', 'files, directories (recursive) or - for stdin')
    .option('-f, --format <format>', 'alert output: table | json | ndjson | csv', 'table')
    .option('--rules <dir>', 'also load EQL rules (.yml/.eql) from DIR (repeatable)', collect, [])
    .option('--sigma <dir>', 'also run the Sigma rules in DIR (repeatable)', collect, [])
    .option('--exclude-rule <id>', 'leave out a rule by id (repeatable)', collect, [])
    .option('--exceptions <file>', 'YAML exceptions: trusted signers, paths, hosts, accounts')
    .option('--hunting', 'also run hunting-level rules (noisier, off by default)', false)
    .option('--report <file>', 'write a self-contained HTML report to FILE')
    .option('-w, --workers <n>', 'worker threads (default: one per core; inputs under 8 MB run in the main thread; 0 = main thread only)')
    .option('--no-progress', 'no progress bar')
    .option('-q, --quiet', 'do not print each skipped record, only the summary counts', false)
    .addHelpText(
      'after',
      `
Exit codes: 0 no alert, 1 alerts raised, 2 errors (bad arguments, unreadable input, unloadable rules).
Skipped records (malformed lines, corrupt chunks) are reported and counted but do not change the exit code.

Examples:
  spoor hunt ./logs/                         every file below ./logs, formats sniffed
  spoor hunt Sysmon.evtx Security.evtx --report report.html
  spoor hunt export.ndjson.gz -f ndjson > alerts.ndjson
  spoor hunt ./logs --sigma ./sigma/rules/windows --exceptions tuning.yml`,
    )
    .action(async (paths: string[], o: HuntCliOptions) => {
      const format = o.format;
      if (!['table', 'json', 'ndjson', 'csv'].includes(format)) {
        process.stderr.write(`spoor: unknown --format '${format}' (table, json, ndjson or csv)\n`);
        process.exitCode = EXIT.ERROR;
        return;
      }
      const workers = o.workers === undefined ? undefined : Number(o.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) {
        process.stderr.write(`spoor: --workers takes a whole number ≥ 0\n`);
        process.exitCode = EXIT.ERROR;
        return;
      }
      const result = await runHunt(
        {
          inputs: paths,
          rulesDirs: o.rules,
          sigmaDirs: o.sigma,
          excludeRules: o.excludeRule,
          exceptionsFile: o.exceptions,
          hunting: o.hunting,
          workers,
          progress: o.progress,
        },
        { onProblem: o.quiet ? undefined : problemPrinter() },
      );
      await writeOut(formatAlerts(result.alerts, format as 'table'));
      process.stderr.write(formatSummary(result.summary) + '\n');
      if (o.report) {
        writeFileSync(o.report, renderHtmlReport(result));
        process.stderr.write(`report: ${o.report}\n`);
      }
      const unreadable = result.summary.skipped['unreadable-file'] ?? 0;
      const ruleErrors = result.summary.rulesSkipped.length;
      process.exitCode = unreadable > 0 || (ruleErrors > 0 && o.sigma.length === 0) ? EXIT.ERROR : result.alerts.length > 0 ? EXIT.ALERTS : EXIT.OK;
    });
}

interface HuntCliOptions {
  format: string;
  rules: string[];
  sigma: string[];
  excludeRule: string[];
  exceptions?: string;
  hunting: boolean;
  report?: string;
  workers?: string;
  progress: boolean;
  quiet: boolean;
}

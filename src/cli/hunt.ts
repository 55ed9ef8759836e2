/** `spoor hunt PATH...`: run every enabled rule over logs; alerts to stdout, summary to stderr. */
import { writeFileSync } from 'node:fs';
import { sep } from 'node:path';
import type { Command } from 'commander';
import type { Alert } from '../alert/types.js';
import { didYouMean } from '../eql/index.js';
import { huntRuleSpec, runHunt } from '../hunt/run.js';
import { loadHuntRules, type LoadedRules } from '../hunt/load-rules.js';
import type { HuntOptions, HuntSummary } from '../hunt/types.js';
import { EXCLUDE_RULE_SOURCE } from '../rules/index.js';
import { reviewShares } from '../shares/index.js';
import { ALERT_FORMATS, formatAlerts, formatSummary, renderHtmlReport, type AlertFormat } from '../output/index.js';
import { addHuntOutputOptions, narrowResult, planHuntOutput, renderAlerts, statsJson, statsText, type HuntOutputFlags } from './hunt-output.js';
import { addTimeZoneOptions, timeZoneOf, TIMEZONE_HELP, type TimeZoneCliOptions } from './timezone.js';
import { writeOut, collect, problemPrinter, EXIT, outcomeExit, HeldProblems, hintIfStdinIsTerminal, usageErrorsExit2, missingPath, unwritablePath, useColor } from './common.js';

export function registerHunt(program: Command): void {
  const cmd = program
    .command('hunt')
    .description('Run the rule pack (and Sigma rules) over logs: EVTX, NDJSON/JSON, XML, Elasticsearch exports, JSON behind syslog headers (rsyslog/syslog-ng files), .gz, .zip, directories, - for stdin')
    .argument('<paths...>', 'files, directories (recursive) or - for stdin')
    .option('-f, --format <format>', 'alert output: table | json | ndjson | csv | timeline (Hayabusa-style CSV) | jsonl-timesketch', 'table')
    .option('--rules <dir>', 'also load EQL rules (.yml/.eql, Elastic detection-rules .toml) from DIR (repeatable)', collect)
    .option('--sigma <dir>', 'also run the Sigma rules in DIR, e.g. SigmaHQ rules/windows (repeatable)', collect)
    .option('--exclude-rule <id>', 'leave out a rule by id (repeatable)', collect)
    .option('--exceptions <file>', 'YAML exceptions: trusted signers, paths, hosts, accounts')
    .option('--hunting', 'also run hunting-level rules (noisier, off by default)')
    .option('--building-blocks', 'also run Elastic building-block rules (from --rules TOML; hidden by default)')
    .option('--ignore-index', "apply Elastic rules to every log source, not only those their 'index' patterns name")
    .option('--tiebreaker <field>', 'orders events of equal time, as EQL does; events without it come after (default event.sequence, where present; none for input order)')
    .option('--strict-index', 'apply Elastic Defend rules to Defend data only (default: also to Windows logs that provide every field the rule requires)')
    .option('--intel <path>', 'hash feeds (MalwareBazaar CSV, hash list, MISP JSON, STIX 2.1; file or directory, repeatable): matching alerts are enriched and raised', collect)
    .option('--report <file>', 'write a self-contained HTML report to FILE')
    .option('--summary-json <file>', 'also write the run summary as JSON to FILE (counts, rates, alerts per rule, everything skipped and why)')
    .option('-w, --workers <n>', 'worker threads (default: one per core; inputs under 64 MB run in the main thread; 0 = main thread only)')
    .option('--no-progress', 'no progress bar')
    .option('--no-prefilter', 'parse every NDJSON line, even those no rule can match')
    .option('-q, --quiet', 'do not print each skipped record, only the summary counts');
  addHuntOutputOptions(cmd);
  addTimeZoneOptions(cmd)
    .addHelpText(
      'after',
      `${TIMEZONE_HELP}

Output: alerts on stdout (--format), problems and the summary on stderr, so \`> alerts.csv\` keeps
only alerts. A progress bar shows on stderr when it is a terminal (--no-progress to hide it).

Exit codes (alerts are never hidden behind an error):
  0  no alert, no error
  1  alerts, no error
  2  errors and no alert
  3  alerts and errors
Errors: an input that cannot be read, no readable log file at all, a rule that could not be loaded,
a bad exceptions entry, a report or summary that could not be written. Bad arguments (including an
--exclude-rule id that names no rule) exit 2 before any input is read. Single Sigma rules spoor
cannot run (unsupported feature or invalid rule) are listed under "rules skipped" but are not
errors: check them with \`spoor rules check DIR\`. Skipped records (malformed lines, corrupt
chunks) are reported and counted but do not change the exit code.

Examples:
  spoor hunt ./logs/                         every file below ./logs, formats sniffed
  spoor hunt Sysmon.evtx Security.evtx --report report.html
  spoor hunt export.ndjson.gz -f ndjson > alerts.ndjson
  spoor hunt ./logs --sigma ./sigma/rules/windows --exceptions tuning.yml
  spoor hunt ./logs --sigma ./sigma/rules/windows --min-level high --group-by rule
  spoor hunt ./logs --sigma ./sigma/rules/windows --host ws-7 --start 2026-03-02 -f timeline > timeline.csv
(filters, details, grouping, timeline/Timesketch formats: docs/cli.md "Output for people")`,
    )
    .action(async (paths: string[], o: HuntCliOptions) => {
      process.exitCode = await hunt(paths, o);
    });
  usageErrorsExit2(cmd);
}

async function hunt(paths: string[], o: HuntCliOptions): Promise<number> {
  const argError = checkArguments(o);
  if (argError) {
    process.stderr.write(`spoor: ${argError}\n`);
    return EXIT.ERROR;
  }
  const tz = timeZoneOf(o);
  if (tz.error) {
    process.stderr.write(`spoor: ${tz.error}\n`);
    return EXIT.ERROR;
  }
  const out = planHuntOutput(o);
  if (out.error) {
    process.stderr.write(`spoor: ${out.error}\n`);
    return EXIT.ERROR;
  }
  const format = o.format as AlertFormat;
  const options = { ...huntOptions(paths, o), timeZone: tz.zone };
  // Rules before input: a typo'd --exclude-rule fails now, not after a long hunt.
  const loaded = await loadHuntRules(huntRuleSpec(options));
  const exclusionError = unknownExclusions(loaded);
  if (exclusionError) {
    process.stderr.write(exclusionError);
    return EXIT.ERROR;
  }
  // Exceptions-file problems in full now (a YAML error has a caret line); the rest of the file applies.
  for (const s of loaded.skipped) if (o.exceptions !== undefined && s.source === o.exceptions) process.stderr.write(`spoor: ${s.reason}\n`);
  hintIfStdinIsTerminal(paths);
  const barShown = o.progress && process.stderr.isTTY === true;
  const held = barShown && !o.quiet ? new HeldProblems() : undefined;
  if (barShown) restoreCursorOnInterrupt();
  const result = narrowResult(
    await runHunt({ ...options, ruleFilter: out.plan.ruleFilter }, { onProblem: o.quiet ? undefined : (held?.sink ?? problemPrinter()) }, loaded),
    out.plan,
  );
  held?.flush();
  const nothingRead = result.summary.files === 0;
  if (!nothingRead) {
    // Fit a terminal; in a file or pipe no width limit beyond each column's own maximum (docs/cli.md).
    const width = process.stdout.isTTY === true ? process.stdout.columns || 160 : Number.POSITIVE_INFINITY;
    // The table shows a Sigma rule's title instead of its UUID (output/table.ts) and groups do too.
    const shown = result.alerts;
    await writeOut(renderAlerts(shown, format, out.plan, { color: useColor(process.stdout), width }));
  }
  const summary = {
    ...result.summary,
    alertsByRule: namedRuleCounts(result.summary.alertsByRule, result.alerts),
    // One line per skipped rule in the summary (a YAML error's excerpt and caret were printed above).
    rulesSkipped: result.summary.rulesSkipped.map((r) => ({ ...r, reason: r.reason.split('\n')[0]! })),
  };
  process.stderr.write(withCounters(formatSummary(summary, { color: useColor(process.stderr) }), result.summary));
  process.stderr.write(statsText(result.alerts, result.alertsFilteredOut, useColor(process.stderr)));
  let reportFailed = false;
  if (o.report) {
    try {
      // The report's "Share writes" view: the share-write review (spoor shares) of the same inputs,
      // a second read of them (stdin cannot be read twice: no view then). Problems were reported above.
      const shares = paths.includes('-') ? undefined : (await reviewShares(paths, {}, () => {})).rows;
      writeFileSync(o.report, renderHtmlReport(result, shares ? { shares } : {}));
      process.stderr.write(`report: ${o.report}\n`);
    } catch (e) {
      process.stderr.write(`spoor: cannot write the report ${o.report}: ${(e as Error).message}\n`);
      reportFailed = true;
    }
  }
  if (o.summaryJson) {
    try {
      const ruleNames = Object.fromEntries(result.alerts.map((a) => [a.ruleId, a.ruleName]));
      writeFileSync(o.summaryJson, JSON.stringify({ ...result.summary, alerts: result.alerts.length, ruleNames, ...statsJson(result.alerts, result.alertsFilteredOut) }, null, 2) + '\n');
    } catch (e) {
      process.stderr.write(`spoor: cannot write the summary ${o.summaryJson}: ${(e as Error).message}\n`);
      reportFailed = true;
    }
  }
  if (nothingRead) process.stderr.write(`spoor: nothing hunted: no readable log file in ${paths.join(', ')}\n`);
  const unreadable = result.summary.skipped['unreadable-file'] ?? 0;
  const ruleErrors = result.summary.rulesSkipped.filter((r) => !fromSigma(r, o.sigma ?? []) && !r.notRunnable).length;
  // reportFailed: the HTML report or the JSON summary could not be written. Alerts stay visible
  // in the exit code whatever else failed (3 = alerts and errors).
  return outcomeExit(result.alerts.length > 0, nothingRead || reportFailed || unreadable > 0 || ruleErrors > 0);
}

/** The error lines for `--exclude-rule` ids that name no loaded rule (with the closest id), or undefined. */
function unknownExclusions(loaded: LoadedRules): string | undefined {
  const unknown = loaded.skipped.filter((s) => s.source === EXCLUDE_RULE_SOURCE && s.id !== undefined);
  if (unknown.length === 0) return undefined;
  const ids = loaded.rules.map((r) => r.id);
  return unknown.map((s) => `spoor: --exclude-rule ${s.id}: no rule has this id${didYouMean(s.id!, ids)} (nothing hunted)\n`).join('');
}

/** What the command line asks `runHunt` for. */
function huntOptions(paths: string[], o: HuntCliOptions): HuntOptions {
  return {
    inputs: paths,
    rulesDirs: o.rules ?? [],
    sigmaDirs: o.sigma ?? [],
    excludeRules: o.excludeRule ?? [],
    exceptionsFile: o.exceptions,
    hunting: o.hunting === true,
    buildingBlocks: o.buildingBlocks === true,
    intel: o.intel ?? [],
    ignoreIndex: o.ignoreIndex === true,
    strictIndex: o.strictIndex === true,
    ...(o.tiebreaker !== undefined ? { tiebreaker: o.tiebreaker } : {}),
    workers: o.workers === undefined ? undefined : Number(o.workers),
    progress: o.progress,
    // Surrounding events are only shown by the report; holding them costs memory and GC time.
    contextEvents: o.report ? 12 : 0,
    prefilter: o.prefilter !== false,
  };
}

/** The progress bar hides the cursor; Ctrl-C must not leave the user's terminal without one. */
function restoreCursorOnInterrupt(): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write('\x1b[?25h\nspoor: interrupted\n');
      process.exit(code);
    });
  }
}

/** Everything that can be checked before a possibly long hunt. */
function checkArguments(o: HuntCliOptions): string | undefined {
  if (!(ALERT_FORMATS as readonly string[]).includes(o.format)) return `unknown --format '${o.format}' (${ALERT_FORMATS.join(', ')})`;
  if (o.workers !== undefined && !/^\d+$/.test(o.workers)) return `--workers takes a whole number ≥ 0, not '${o.workers}'`;
  for (const [flag, dirs] of [['--rules', o.rules ?? []], ['--sigma', o.sigma ?? []]] as const) {
    for (const d of dirs) {
      const why = missingPath(d, 'any');
      if (why) return `${flag} ${d}: ${why}`;
    }
  }
  for (const p of o.intel ?? []) {
    const why = missingPath(p, 'any');
    if (why) return `--intel ${p}: ${why}`;
  }
  if (o.exceptions !== undefined) {
    const why = missingPath(o.exceptions, 'file');
    if (why) return `--exceptions ${o.exceptions}: ${why}`;
  }
  for (const [flag, file] of [['--report', o.report], ['--summary-json', o.summaryJson]] as const) {
    if (file === undefined) continue;
    const why = unwritablePath(file);
    if (why) return `${flag} ${file}: ${why}`;
  }
  return undefined;
}

/** A single Sigma rule spoor cannot run (unsupported or invalid) is expected in a big rule set: listed, not fatal. */
function fromSigma(r: HuntSummary['rulesSkipped'][number], sigmaDirs: string[]): boolean {
  if (r.source === 'engine') return sigmaDirs.length > 0;
  return sigmaDirs.some((d) => r.source === d || r.source.startsWith(d.endsWith(sep) ? d : d + sep)) && !/cannot read/.test(r.reason);
}

/**
 * Adds the counters the summary printer leaves out (alerts removed by --exceptions, events without a
 * time, events behind the time order) before its "skipped input" line, unless it already shows them.
 */
export function withCounters(text: string, s: HuntSummary): string {
  const extra: string[] = [];
  const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  if ((s.alertsExcepted ?? 0) > 0 && !/excepted/i.test(text)) {
    extra.push(`  excepted         ${plural(s.alertsExcepted!, 'alert', 'alerts')} removed by the exceptions file`);
  }
  if ((s.prefiltered ?? 0) > 0) {
    extra.push(`  not parsed       ${plural(s.prefiltered!, 'event', 'events')} no rule can match (--no-prefilter to parse all)`);
  }
  if ((s.noTimestamp ?? 0) > 0 && !/no timestamp|without (a )?time/i.test(text)) {
    extra.push(`  no timestamp     ${plural(s.noTimestamp!, 'event', 'events')} (processed at the time of the event before)`);
  }
  if ((s.outOfOrder ?? 0) > 0 && !/out of order/i.test(text)) {
    extra.push(`  out of order     ${plural(s.outOfOrder!, 'event', 'events')} behind the time order (processed, not dropped)`);
  }
  if (extra.length === 0) return text;
  const at = text.indexOf('\n  skipped input');
  return at < 0 ? text + extra.join('\n') + '\n' : text.slice(0, at + 1) + extra.join('\n') + '\n' + text.slice(at + 1);
}

/** Per-rule counts keyed `id  name` (Sigma ids are UUIDs: the name says what fired). */
export function namedRuleCounts(byRule: Record<string, number>, alerts: Alert[]): Record<string, number> {
  const names = new Map<string, string>();
  for (const a of alerts) if (a.ruleName && a.ruleName !== a.ruleId) names.set(a.ruleId, a.ruleName);
  const idWidth = Math.max(0, ...Object.keys(byRule).map((id) => id.length));
  const out: Record<string, number> = {};
  for (const [id, n] of Object.entries(byRule)) {
    const name = names.get(id);
    out[name ? `${id.padEnd(idWidth)}  ${name}` : id] = n;
  }
  return out;
}

interface HuntCliOptions extends TimeZoneCliOptions, HuntOutputFlags {
  format: string;
  rules?: string[];
  sigma?: string[];
  excludeRule?: string[];
  exceptions?: string;
  hunting?: boolean;
  buildingBlocks?: boolean;
  ignoreIndex?: boolean;
  strictIndex?: boolean;
  tiebreaker?: string;
  report?: string;
  summaryJson?: string;
  workers?: string;
  progress: boolean;
  prefilter?: boolean;
  quiet?: boolean;
  intel?: string[];
}

/**
 * `spoor shares PATH...`: the share-write review table — which account and source address wrote
 * which executable files to which hosts' shares, first/last seen, how often, and whether the file
 * was started on that host afterwards. Table on a terminal, CSV or JSON for a spreadsheet or jq.
 */
import type { Command } from 'commander';
import { reviewShares, type ShareReview, type ShareWriteRow } from '../shares/index.js';
import { ProblemCounter } from '../sources/index.js';
import type { SourceProblem } from '../sources/types.js';
import { csvCell } from '../output/csv.js';
import { sanitize } from '../output/text.js';
import { EXIT, hintIfStdinIsTerminal, toJson, writeOut } from './common.js';
import { renderTable } from './table.js';

const FORMATS = ['table', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface SharesCliOptions {
  format: string;
  allFiles: boolean;
  executed: boolean;
  quiet: boolean;
}

export const SHARE_COLUMNS = [
  'host', 'share', 'share_inferred', 'path', 'account', 'source_ip', 'first_seen', 'last_seen', 'writes', 'events',
  'executed', 'last_executed', 'sources', 'writer_evidence',
] as const;

export function registerShares(program: Command): void {
  program
    .command('shares')
    .description('Review share writes: who wrote which executables to which hosts\' shares (ADMIN$, C$, …), from where, and whether they ran')
    .argument('<paths...>', 'files, directories (recursive), zip archives or - for stdin: Security, Sysmon, Elastic Defend logs')
    .option('-f, --format <format>', 'table | csv | json', 'table')
    .option('--all-files', 'every written file, not only executables (exe, dll, scr, ps1, bat, …)', false)
    .option('--executed', 'only files that were started on that host after the write', false)
    .option('-q, --quiet', 'do not print a line per skipped record, only the counts', false)
    .addHelpText(
      'after',
      `
Evidence: Security 5145 with write access (names share, account and source address), file events
written by the System process (PID 4: Sysmon 11, Elastic Defend), attributed to a writer from a
5145 of that path or a 5140 / network logon (4624 type 3) shortly before; process starts (Sysmon 1,
4688, Defend) tell whether the written path ran afterwards. A share not named by any 5145 is
inferred from the path (C:\\Windows → ADMIN$, X:\\ → X$) and marked. Writes of one file less than
5 s apart count as one.

Output on stdout; problems and a one-line count on stderr.
Exit codes: 0 done (with or without rows), 2 wrong arguments or no input readable.

Examples:
  spoor shares logs/
  spoor shares Security.evtx Sysmon.evtx --executed
  spoor shares export.ndjson --format csv > share-writes.csv
`,
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .action(async (paths: string[], o: SharesCliOptions) => {
      process.exitCode = await runShares(paths, o);
    });
}

async function runShares(paths: string[], o: SharesCliOptions): Promise<number> {
  if (!(FORMATS as readonly string[]).includes(o.format)) {
    process.stderr.write(`spoor shares: unknown --format '${o.format}' (${FORMATS.join(', ')})\n`);
    return EXIT.ERROR;
  }
  hintIfStdinIsTerminal(paths);
  const counter = new ProblemCounter({ quiet: o.quiet });
  let fatal = 0;
  const explicit = new Set(paths);
  const onProblem = (p: SourceProblem): void => {
    counter.sink(p);
    if (p.kind === 'unreadable-file' || (p.kind === 'unknown-format' && explicit.has(p.file))) fatal++;
  };
  const review = await reviewShares(paths, { allFiles: o.allFiles }, onProblem);
  if (o.executed) review.rows = review.rows.filter((r) => r.executed);
  await writeOut(formatShareReview(review, o.format as Format));
  process.stderr.write(statsLine(review) + (counter.summary() ? `; ${counter.summary()}` : '') + '\n');
  return fatal > 0 || review.stats.files === 0 ? EXIT.ERROR : EXIT.OK;
}

function cells(r: ShareWriteRow): (string | number | boolean | undefined)[] {
  return [
    r.host, r.share, r.shareInferred, r.path, r.account, r.sourceIp, r.firstSeen, r.lastSeen, r.writes, r.events,
    r.executed, r.lastExecuted, r.sources.join(';'), r.writerEvidence,
  ];
}

export function formatShareReview(review: ShareReview, format: Format): string {
  if (format === 'json') return toJson(review, 2) + '\n';
  if (format === 'csv') return [SHARE_COLUMNS.join(','), ...review.rows.map((r) => cells(r).map(csvCell).join(','))].join('\r\n') + '\r\n';
  if (review.rows.length === 0) return 'no share writes of executable files found\n';
  const head = ['HOST', 'SHARE', 'PATH', 'ACCOUNT', 'SOURCE', 'FIRST SEEN', 'LAST SEEN', 'WRITES', 'EXECUTED'];
  const body = review.rows.map((r) => [
    r.host, r.shareInferred ? `${r.share}?` : r.share, r.path, r.account ?? '-', r.sourceIp ?? '-', r.firstSeen, r.lastSeen,
    String(r.writes), r.executed ? `yes ${r.lastExecuted ?? ''}`.trim() : 'no',
  ].map(sanitize));
  return renderTable([head, ...body]) + '\n' + (review.rows.some((r) => r.shareInferred) ? '(? = share inferred from the path: no 5145 named it)\n' : '');
}

function statsLine(r: ShareReview): string {
  const s = r.stats;
  let line = `spoor shares: ${r.rows.length} row(s) from ${s.events} events in ${s.files} file(s): ${s.share5145} Security 5145, ${s.share5140} 5140, ${s.pid4FileEvents} file events by PID 4, ${s.processStarts} process starts`;
  if (s.share5145 === 0) line += ' (no 5145: "Audit Detailed File Share" looks off; writers come from 5140/4624 only)';
  return line;
}

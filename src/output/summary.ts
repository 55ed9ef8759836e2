/** The end-of-run summary: what was read, how fast, what fired, and everything that was skipped. */
import type { HuntSummary } from '../hunt/types.js';
import { formatCount, palette, sanitize } from './text.js';

export interface SummaryOptions {
  color?: boolean;
  /** How many individual problems to list (all are counted). Default 10. */
  maxProblems?: number;
}

export function formatSummary(s: HuntSummary, opts: SummaryOptions = {}): string {
  const p = palette(opts.color === true);
  const out: string[] = [];
  const rate = Number.isFinite(s.eventsPerSecond) ? formatCount(s.eventsPerSecond) : '–';
  out.push(p.bold('Summary'));
  out.push(`  files read       ${formatCount(s.files)}`);
  out.push(`  events           ${formatCount(s.events)} in ${s.seconds.toFixed(2)} s (${rate} events/s)`);
  out.push(`  rules loaded     ${formatCount(s.rulesLoaded)}${s.ruleLoadSeconds !== undefined ? ` in ${s.ruleLoadSeconds.toFixed(2)} s (not in the events/s above)` : ''}`);

  const rules = Object.entries(s.alertsByRule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const totalAlerts = rules.reduce((n, [, c]) => n + c, 0);
  out.push(`  alerts           ${totalAlerts === 0 ? p.green('0') : p.bold(formatCount(totalAlerts))}`);
  const ruleWidth = Math.max(0, ...rules.map(([r]) => sanitize(r).length));
  for (const [rule, count] of rules) out.push(`    ${sanitize(rule).padEnd(ruleWidth)}  ${formatCount(count).padStart(6)}`);

  const skipped = Object.entries(s.skipped).filter(([, n]) => (n ?? 0) > 0) as [string, number][];
  if (skipped.length === 0) out.push(`  skipped input    ${p.green('none')}`);
  else {
    out.push(`  skipped input    ${p.yellow(formatCount(skipped.reduce((n, [, c]) => n + c, 0)))}`);
    for (const [kind, n] of skipped.sort((a, b) => b[1] - a[1])) out.push(`    ${kind.padEnd(16)}  ${formatCount(n).padStart(6)}`);
  }
  const warned = Object.entries(s.warnings ?? {}).filter(([, n]) => (n ?? 0) > 0) as [string, number][];
  if (warned.length > 0) {
    out.push(`  warnings         ${p.yellow(formatCount(warned.reduce((n, [, c]) => n + c, 0)))} ${p.dim('(data kept)')}`);
    for (const [kind, n] of warned.sort((a, b) => b[1] - a[1])) out.push(`    ${kind.padEnd(16)}  ${formatCount(n).padStart(6)}`);
  }
  if (s.rulesSkipped.length === 0) out.push(`  rules skipped    ${p.green('none')}`);
  else {
    out.push(`  rules skipped    ${p.yellow(formatCount(s.rulesSkipped.length))}`);
    for (const r of s.rulesSkipped) out.push(`    ${sanitize(r.id ?? r.source)}: ${sanitize(r.reason)}${r.id ? p.dim(` (${sanitize(r.source)})`) : ''}`);
  }
  if (s.timeZones && s.timeZones.length > 0) {
    out.push(`  time zones       ${p.dim('(times written without a zone, per host)')}`);
    for (const line of formatTimeZones(s.timeZones)) out.push(`    ${line}`);
  }
  if (s.intel) {
    const n = s.intel.alertsMatched;
    out.push(`  intel            ${formatCount(s.intel.hashes)} hashes from ${formatCount(s.intel.feeds.length)} feed file(s); ${n === 0 ? 'no alert matched' : p.red(`${formatCount(n)} alert(s) matched (severity raised)`)}`);
  }
  out.push(...blindSpotLines(s, p));
  const max = opts.maxProblems ?? 10;
  if (s.problems.length > 0 && max > 0) {
    out.push(`  problems (first ${Math.min(max, s.problems.length)})`);
    for (const pr of s.problems.slice(0, max)) {
      out.push(`    ${pr.kind}: ${sanitize(pr.file)}${pr.where ? ` ${sanitize(pr.where)}` : ''}: ${sanitize(pr.message)}${pr.skipped ? '' : p.dim(' (kept)')}`);
    }
  }
  return out.join('\n') + '\n';
}

/** One line per host and assumption: how its zone-less times were read (also used by dump/query). */
export function formatTimeZones(zones: NonNullable<HuntSummary['timeZones']>): string[] {
  return zones.map((z) => {
    const n = `${formatCount(z.events)} event${z.events === 1 ? '' : 's'}`;
    const why =
      z.basis === 'given'
        ? `read as ${z.zone} (given)`
        : z.basis === 'learned'
          ? `read as UTC${z.zone} (learned from ${formatCount(z.learnedFrom ?? 0)} events carrying both)`
          : z.basis === 'timestamp'
            ? 'no offset learned: the event\'s zoned @timestamp used'
            : 'no offset learned and no zoned time: ASSUMED UTC (use --timezone)';
    const dis = z.disagreements ? `; ${formatCount(z.disagreements)} events disagree` : '';
    return `${sanitize(z.host || '(no host)')}: ${n} ${why}${dis}`;
  });
}

/**
 * Blind spots: whether each rule stage's telemetry was there, per host (hunt/blind-spots.ts), so
 * "0 alerts" is never read as "no attack" when the logs could not have shown one.
 */
const MAX_BLIND_SPOTS = 12;

function blindSpotLines(s: HuntSummary, p: ReturnType<typeof palette>): string[] {
  const spots = s.blindSpots ?? [];
  if (spots.length === 0) return [];
  const missing = spots.filter((b) => b.verdict !== 'present');
  const out = [`  telemetry        ${missing.length === 0 ? p.green('every rule stage had its telemetry from every host') : p.yellow(`${formatCount(missing.length)} of ${formatCount(spots.length)} rule stages lack telemetry on some or all hosts`)}`];
  // The EQL pack first, then absent telemetry first; a big Sigma set would otherwise print thousands of lines.
  const order = { absent: 0, partial: 1, unknown: 2, present: 3 } as const;
  const lang = (b: (typeof spots)[number]): number => (b.language === 'eql' ? 0 : 1);
  const shown = [...missing].sort((a, b) => lang(a) - lang(b) || order[a.verdict] - order[b.verdict]).slice(0, MAX_BLIND_SPOTS);
  for (const b of shown) out.push(`    ${b.verdict === 'absent' ? p.red('none') : b.verdict === 'partial' ? p.yellow('some') : p.dim('?')}  ${sanitize(b.message)}`);
  if (missing.length > shown.length) out.push(p.dim(`    … ${formatCount(missing.length - shown.length)} more rule stages (all in --summary-json: blindSpots)`));
  return out;
}

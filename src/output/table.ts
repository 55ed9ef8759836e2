/** The human-readable alert table: one line per alert, aligned, coloured only when asked. */
import type { Alert } from '../alert/types.js';
import type { Severity } from '../ir/types.js';
import { ellipsize, formatGap, padEnd, padStart, palette, sanitize, type Palette } from './text.js';
import { cutDetails, cutPath, cutWords } from './cut.js';
import { alertDetails, detailsText, userAndSource } from './details.js';

export interface TableOptions {
  /** ANSI colours (give `process.stdout.isTTY`); default off. */
  color?: boolean;
  /** Terminal width in columns; long cells shrink to fit. Default 160. */
  width?: number;
}

type Cut = 'path' | 'words' | 'none' | 'details';

interface Column {
  title: string;
  /** Widest the column gets on a terminal (files and pipes: no limit). */
  max: number;
  align: 'left' | 'right';
  cut: Cut;
  cell(a: Alert): string;
}

/** `2026-03-02T08:03:51.764837Z` → `2026-03-02 08:03:51.764`. */
export function shortTime(iso: string): string {
  // An alert whose event had no readable time carries '' (docs/cli.md).
  if (iso === '') return 'no time';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(iso);
  return m ? `${m[1]} ${m[2]}${m[3] ?? ''}` : iso;
}

export function writerLabel(a: Alert): string {
  const w = a.writer;
  if (!w) return '';
  const account = w.user ? (w.domain ? `${w.domain}\\${w.user}` : w.user) : '';
  return [w.ip, account].filter(Boolean).join(' ');
}

const TIME: Column = { title: 'TIME (UTC)', max: 23, align: 'left', cut: 'none', cell: (a) => shortTime(a.firstTime) };
const SEVERITY: Column = { title: 'SEVERITY', max: 13, align: 'left', cut: 'none', cell: (a) => a.severity };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Sigma rules are identified by UUIDs (spoor's pack by slugs): the title says more. */
function isSigma(a: Alert): boolean {
  return UUID.test(a.ruleId);
}
/**
 * Whether an alert's rule names a writer: spoor's file-share rules do (the SMB session that wrote
 * the file); a Sigma rule only when its alert is a written-then-run sequence with a writer found.
 * Others show the matched event's user and source under USER / SOURCE instead.
 */
export function hasWriterRole(a: Alert): boolean {
  return !isSigma(a) || (a.writer !== undefined && a.filePath !== undefined && a.events.length > 1);
}

const RULE: Column = { title: 'RULE', max: 40, align: 'left', cut: 'words', cell: (a) => (isSigma(a) && a.ruleName ? a.ruleName : a.ruleId) };
const HOST: Column = { title: 'HOST', max: 30, align: 'left', cut: 'words', cell: (a) => a.host };
const PATH: Column = { title: 'PATH', max: 56, align: 'left', cut: 'path', cell: (a) => a.filePath ?? a.process?.executable ?? '' };
/** The SMB writer of the file (file-share rules that found one). */
const WRITER: Column = { title: 'WRITER', max: 36, align: 'left', cut: 'words', cell: (a) => (hasWriterRole(a) ? writerLabel(a) : '') };
/** For alerts without a writer (Sigma, single events): the matched event's user and source address. */
const USER: Column = { title: 'USER / SOURCE', max: 36, align: 'left', cut: 'words', cell: (a) => (hasWriterRole(a) ? '' : userAndSource(a)) };
const GAP: Column = { title: 'GAP', max: 12, align: 'right', cut: 'none', cell: (a) => (a.events.length > 1 ? formatGap(a.gapMs) : '') };
const DETAILS: Column = { title: 'DETAILS', max: 120, align: 'left', cut: 'details', cell: (a) => detailsText(alertDetails(a)) };

/** The columns for these alerts: WRITER and USER / SOURCE only when some alert fills them. */
function columnsFor(alerts: Alert[]): Column[] {
  const cols = [TIME, SEVERITY, RULE, HOST, PATH];
  if (alerts.some((a) => hasWriterRole(a) && a.writer)) cols.push(WRITER);
  if (alerts.some((a) => !hasWriterRole(a) && userAndSource(a))) cols.push(USER);
  cols.push(GAP, DETAILS);
  return cols;
}

function cutCell(c: Column, a: Alert, text: string, width: number): string {
  if (text.length <= width) return text;
  switch (c.cut) {
    case 'path':
      return cutPath(text, width);
    case 'words':
      return cutWords(text, width);
    case 'details':
      return cutDetails(Object.fromEntries(Object.entries(alertDetails(a).fields).map(([k, v]) => [k, sanitize(v)])), width, (f) => detailsText({ fields: f }));
    case 'none':
      return ellipsize(text, width);
  }
}

export function severityColor(p: Palette, s: Severity): (t: string) => string {
  switch (s) {
    case 'critical':
      return (t) => p.bold(p.red(t));
    case 'high':
      return p.red;
    case 'medium':
      return p.yellow;
    case 'low':
      return p.cyan;
    default:
      return p.dim;
  }
}

export function formatTable(alerts: Alert[], opts: TableOptions = {}): string {
  const p = palette(opts.color === true);
  if (alerts.length === 0) return `${p.green('No alerts.')}\n`;
  const columns = columnsFor(alerts);
  const cells = alerts.map((a) => columns.map((c) => sanitize(c.cell(a))));
  const width = opts.width ?? 160;
  // A file or pipe (infinite width): every cell whole. A terminal: each column capped, then the
  // widest shrinkable ones narrowed until the line fits.
  const fit = Number.isFinite(width);
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  if (fit) {
    columns.forEach((c, i) => (widths[i] = Math.min(widths[i]!, Math.max(c.max, c.title.length))));
    const total = (): number => widths.reduce((s, w) => s + w, 0) + 2 * (widths.length - 1);
    // Details (last, longest) give way first, down to 12 columns, before any identifying column
    // (a rule name cut to a prefix can read as another rule); then the widest of the others.
    const d = columns.length - 1;
    widths[d] = Math.max(Math.min(widths[d]!, 12), widths[d]! - Math.max(0, total() - width));
    const shrinkable = columns.map((c, i) => (c.cut === 'none' || i === d ? -1 : i)).filter((i) => i >= 0);
    while (total() > width) {
      const i = shrinkable.reduce((best, k) => (widths[k]! > widths[best]! ? k : best), shrinkable[0]!);
      if (widths[i]! <= 12) break;
      widths[i]!--;
    }
  }
  const last = columns.length - 1;
  const fmt = (text: string, i: number, a?: Alert): string => {
    const t = a && fit ? cutCell(columns[i]!, a, text, widths[i]!) : text;
    if (i === last) return t;
    return columns[i]!.align === 'right' ? padStart(t, widths[i]!) : padEnd(t, widths[i]!);
  };
  const lines = [p.bold(columns.map((c, i) => fmt(c.title, i)).join('  ').trimEnd())];
  lines.push(p.dim(widths.map((w) => '─'.repeat(w)).join('  ')));
  alerts.forEach((a, r) => {
    const parts = cells[r]!.map((c, i) => fmt(c, i, a));
    parts[1] = severityColor(p, a.severity)(parts[1]!);
    parts[0] = p.dim(parts[0]!);
    lines.push(parts.join('  ').trimEnd());
  });
  return lines.join('\n') + '\n';
}

/** The human-readable alert table: one line per alert, aligned, coloured only when asked. */
import type { Alert } from '../alert/types.js';
import type { Severity } from '../ir/types.js';
import { ellipsize, formatGap, padEnd, padStart, palette, sanitize, type Palette } from './text.js';

export interface TableOptions {
  /** ANSI colours (give `process.stdout.isTTY`); default off. */
  color?: boolean;
  /** Terminal width in columns; long cells shrink to fit. Default 160. */
  width?: number;
}

interface Column {
  title: string;
  max: number;
  align: 'left' | 'right';
  cell(a: Alert): string;
}

/** `2026-03-02T08:03:51.764837Z` → `2026-03-02 08:03:51.764`. */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(iso);
  return m ? `${m[1]} ${m[2]}${m[3] ?? ''}` : iso;
}

export function writerLabel(a: Alert): string {
  const w = a.writer;
  if (!w) return '';
  const account = w.user ? (w.domain ? `${w.domain}\\${w.user}` : w.user) : '';
  return [w.ip, account].filter(Boolean).join(' ');
}

const COLUMNS: Column[] = [
  { title: 'TIME (UTC)', max: 23, align: 'left', cell: (a) => shortTime(a.firstTime) },
  { title: 'SEVERITY', max: 13, align: 'left', cell: (a) => a.severity },
  { title: 'RULE', max: 40, align: 'left', cell: (a) => a.ruleId },
  { title: 'HOST', max: 30, align: 'left', cell: (a) => a.host },
  { title: 'PATH', max: 56, align: 'left', cell: (a) => a.filePath ?? a.process?.executable ?? '' },
  { title: 'WRITER', max: 36, align: 'left', cell: writerLabel },
  { title: 'GAP', max: 12, align: 'right', cell: (a) => formatGap(a.gapMs) },
];

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
  const cells = alerts.map((a) => COLUMNS.map((c) => sanitize(c.cell(a))));
  const widths = COLUMNS.map((c, i) => Math.min(c.max, Math.max(c.title.length, ...cells.map((r) => r[i]!.length))));
  // Shrink the widest shrinkable columns (path, rule, writer, host) until the table fits.
  const width = opts.width ?? 160;
  const total = (): number => widths.reduce((s, w) => s + w, 0) + 2 * (widths.length - 1);
  const shrinkable = [4, 2, 5, 3];
  while (total() > width) {
    const i = shrinkable.reduce((best, k) => (widths[k]! > widths[best]! ? k : best), shrinkable[0]!);
    if (widths[i]! <= 12) break;
    widths[i]!--;
  }
  const fmt = (text: string, i: number): string => {
    const t = ellipsize(text, widths[i]!);
    return COLUMNS[i]!.align === 'right' ? padStart(t, widths[i]!) : padEnd(t, widths[i]!);
  };
  const lines = [p.bold(COLUMNS.map((c, i) => fmt(c.title, i)).join('  ').trimEnd())];
  lines.push(p.dim(widths.map((w) => '─'.repeat(w)).join('  ')));
  alerts.forEach((a, r) => {
    const parts = cells[r]!.map((c, i) => fmt(c, i));
    parts[1] = severityColor(p, a.severity)(parts[1]!);
    parts[0] = p.dim(parts[0]!);
    lines.push(parts.join('  ').trimEnd());
  });
  return lines.join('\n') + '\n';
}

/** A compact one-line summary of any event (ECS, native or raw), for query results in a terminal. */
import { getField, type Event } from '../events/field.js';
import { sanitize } from '../output/text.js';

const CANDIDATES: [label: string, paths: string[][]][] = [
  ['host', [['host', 'name'], ['Computer'], ['Event', 'System', 'Computer'], ['System', 'Computer'], ['hostname']]],
  ['event', [['event', 'category'], ['event_type'], ['EventID'], ['Event', 'System', 'EventID'], ['System', 'EventID']]],
  ['type', [['event', 'type'], ['subtype'], ['event', 'action']]],
  ['pid', [['process', 'pid'], ['pid'], ['ProcessId']]],
  [
    'detail',
    [
      ['file', 'path'],
      ['process', 'executable'],
      ['registry', 'path'],
      ['dns', 'question', 'name'],
      ['TargetFilename'],
      ['Image'],
      ['NewProcessName'],
      ['ImagePath'],
      ['RelativeTargetName'],
      ['ObjectName'],
      ['TargetObject'],
      ['QueryName'],
      ['process_path'],
      ['file_path'],
      ['Event', 'EventData', 'Image'],
      ['process_name'],
    ],
  ],
];

export function eventSummaryRow(ev: Event, time: string): string[] {
  const row = [time];
  for (const [, paths] of CANDIDATES) {
    let v: unknown;
    for (const p of paths) {
      v = getField(ev, p);
      if (v !== undefined && v !== null) break;
    }
    // Event data never reaches the terminal raw: ESC, BEL, C1 … are shown as escapes (as hunt's table does).
    row.push(v === undefined || v === null ? '' : sanitize(Array.isArray(v) ? v.join(',') : String(v)));
  }
  return row;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function renderTable(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/**
 * A table printed a few rows at a time (streamed results): each column keeps the widest cell seen
 * so far, so rows line up once the widths settle without holding every row back.
 */
export class StreamingTable {
  private readonly widths: number[] = [];

  render(rows: string[][]): string {
    for (const r of rows) r.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, c.length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(this.widths[i]!))).join('  ').trimEnd()).join('\n');
  }
}

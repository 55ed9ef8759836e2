/** Alert output in every format the CLI offers, plus a streaming NDJSON writer. */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Alert } from '../alert/types.js';
import { formatCsv } from './csv.js';
import { formatTimelineCsv, formatTimesketchJsonl } from './timeline.js';
import { alertDetails, type EventDetails } from './details.js';
import { stringifyExact } from './json.js';
import { formatTable, type TableOptions } from './table.js';

export type AlertFormat = 'table' | 'json' | 'ndjson' | 'csv' | 'timeline' | 'jsonl-timesketch';
export const ALERT_FORMATS: readonly AlertFormat[] = ['table', 'json', 'ndjson', 'csv', 'timeline', 'jsonl-timesketch'];

export function formatAlerts(alerts: Alert[], format: AlertFormat, opts: TableOptions = {}): string {
  switch (format) {
    case 'table':
      return formatTable(alerts, opts);
    case 'json':
      return stringifyExact(alerts.map(withDetails), 2) + '\n';
    case 'ndjson':
      return alerts.map((a) => stringifyExact(withDetails(a)) + '\n').join('');
    case 'csv':
      return formatCsv(alerts);
    case 'timeline':
      return formatTimelineCsv(alerts);
    case 'jsonl-timesketch':
      return formatTimesketchJsonl(alerts);
  }
}

/** An alert with `details` (output/details.ts): what its decisive event says happened, for people. */
export function withDetails(a: Alert): Alert & { details: EventDetails } {
  return { ...a, details: alertDetails(a) };
}

/** Writes alerts one JSON line at a time, respecting backpressure. */
export class NdjsonAlertWriter {
  private count = 0;

  constructor(private readonly out: Writable) {}

  get written(): number {
    return this.count;
  }

  async write(alert: Alert): Promise<void> {
    this.count++;
    if (!this.out.write(stringifyExact(alert) + '\n')) await once(this.out, 'drain');
  }

  /** Ends the stream (not for process.stdout, which must stay open). */
  async end(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
  }
}

export { formatTable, type TableOptions } from './table.js';
export { formatCsv, csvCell } from './csv.js';
export { formatSummary, type SummaryOptions } from './summary.js';
export { stringifyExact } from './json.js';

/** Alerts as CSV (RFC 4180), one row per alert. */
import type { Alert } from '../alert/types.js';
import { alertDetails, detailsText } from './details.js';

export const CSV_COLUMNS = [
  'first_time', 'last_time', 'gap_ms', 'severity', 'risk_score', 'rule_id', 'rule_name', 'host', 'file_path',
  'writer_ip', 'writer_user', 'writer_domain', 'writer_evidence', 'process_executable', 'process_pid',
  'process_command_line', 'parent_executable', 'signer', 'signature_trusted', 'mitre', 'event_count', 'alert_id',
  'details', 'channel', 'event_id', 'record_id',
] as const;

function row(a: Alert): (string | number | boolean | undefined)[] {
  return [
    a.firstTime, a.lastTime, a.gapMs, a.severity, a.riskScore, a.ruleId, a.ruleName, a.host, a.filePath,
    a.writer?.ip, a.writer?.user, a.writer?.domain, a.writer?.evidence, a.process?.executable, a.process?.pid,
    a.process?.commandLine, a.process?.parentExecutable, a.process?.signer, a.process?.signatureTrusted,
    a.mitre?.join(';'), a.events.length, a.id,
    ...detailsRow(a),
  ];
}

/** The decisive event's details (output/details.ts) and where it is in its log. */
function detailsRow(a: Alert): (string | undefined)[] {
  const d = alertDetails(a);
  return [detailsText(d), d.channel, d.eventId, d.recordId];
}

/**
 * One CSV cell. Quoted when it holds a comma, quote, CR or LF (quotes doubled). Text that a
 * spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a leading `'`:
 * event data is attacker-controlled.
 */
export function csvCell(v: string | number | boolean | undefined | null): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return String(v);
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(alerts: Alert[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const a of alerts) lines.push(row(a).map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

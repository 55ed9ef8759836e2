/**
 * Threat-intel enrichment of an alert: the hashes of its matched events (executed and written
 * files: Defend process.hash.* / file.hash.*, Sysmon Hashes) looked up in the loaded feeds. A hit
 * is attached with feed, name and tags, and raises the alert one severity level (risk score at
 * least that level's, per the table below).
 */
import type { Severity } from '../ir/types.js';
import { matchEvent, type HashIndex, type IntelMatch } from '../intel/index.js';
import type { Alert } from './types.js';

const RAISE: Readonly<Record<Severity, Severity>> = { informational: 'low', low: 'medium', medium: 'high', high: 'critical', critical: 'critical' };
/** Elastic's risk scores per severity (21/47/73/99). */
const RISK: Readonly<Record<Severity, number>> = { informational: 0, low: 21, medium: 47, high: 73, critical: 99 };

/** Enrich `alert` in place; true when any hash matched. Applying twice changes nothing more. */
export function applyIntel(alert: Alert, index: HashIndex): boolean {
  if (alert.intel || index.size === 0) return alert.intel !== undefined;
  const matches: IntelMatch[] = [];
  const seen = new Set<string>();
  for (const e of alert.events) {
    for (const m of matchEvent(e.event, index)) {
      const key = `${m.hash}\u0000${m.feed}\u0000${m.name ?? ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        matches.push(m);
      }
    }
  }
  if (matches.length === 0) return false;
  alert.intel = { matches, severityBefore: alert.severity };
  alert.severity = RAISE[alert.severity];
  alert.riskScore = Math.max(alert.riskScore ?? 0, RISK[alert.severity]);
  return true;
}

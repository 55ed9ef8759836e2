/** Deduplication by alert id and a deterministic order: time, host, rule id, path. */
import { compareInstants, parseIso } from '../events/timestamp.js';
import type { Alert } from './types.js';

function cmpText(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Times compare as instants (ISO text with different fraction lengths does not sort as text). */
function cmpTime(a: string, b: string): number {
  const x = parseIso(a);
  const y = parseIso(b);
  if (x && y) return compareInstants(x, y);
  if (x || y) return x ? -1 : 1; // timeless alerts last
  return cmpText(a, b);
}

export function compareAlerts(a: Alert, b: Alert): number {
  return (
    cmpTime(a.firstTime, b.firstTime) ||
    cmpText(a.host.toLowerCase(), b.host.toLowerCase()) ||
    cmpText(a.ruleId, b.ruleId) ||
    cmpText(a.filePath?.toLowerCase(), b.filePath?.toLowerCase()) ||
    cmpTime(a.lastTime, b.lastTime) ||
    cmpText(a.id, b.id) ||
    cmpText(a.events[0]?.file, b.events[0]?.file) ||
    (a.events[0]?.position ?? 0) - (b.events[0]?.position ?? 0)
  );
}

/** Sorted, one alert per id (the first in that order, so the result does not depend on input order). */
export function orderAlerts(alerts: Iterable<Alert>): Alert[] {
  const sorted = [...alerts].sort(compareAlerts);
  const seen = new Set<string>();
  return sorted.filter((a) => (seen.has(a.id) ? false : (seen.add(a.id), true)));
}

/** Streaming form: drop alerts whose id was already seen. */
export class AlertDeduper {
  private readonly seen = new Set<string>();
  accept(a: Alert): boolean {
    if (this.seen.has(a.id)) return false;
    this.seen.add(a.id);
    return true;
  }
}

/** The name the hunt runner uses: dedupe by id, then the deterministic order. */
export const dedupeAndOrder = orderAlerts;

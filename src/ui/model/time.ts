/** Alert times in the UI: exact sort keys from ISO text, UTC display, local time for hover text. */
import { parseTimestamp } from '../../events/timestamp.js';

/** Milliseconds since the epoch with the sub-millisecond part as a fraction (NaN when unreadable). */
export function timeKey(iso: string): number {
  const t = parseTimestamp(iso);
  return t ? t.ms + t.ns / 1e6 : Number.NaN;
}

/** `2026-03-02T08:03:51.764837Z` → `2026-03-02 08:03:51.764` (UTC, as written). */
export function formatUtc(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(iso);
  return m ? `${m[1]} ${m[2]}${m[3] ?? ''}` : iso;
}

/** Hover text: the same instant in the viewer's local time zone. */
export function localTitle(iso: string): string {
  const ms = timeKey(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(Math.floor(ms));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = `UTC${off >= 0 ? '+' : '−'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `local: ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} (${zone})`;
}

/** A `YYYY-MM-DDTHH:MM[:SS]` value (as from datetime-local inputs), read as UTC. */
export function parseUtcInput(text: string): number {
  if (!text) return Number.NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

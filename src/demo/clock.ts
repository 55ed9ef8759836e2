/** Generator time is an integer count of microseconds since the Unix epoch. */

let cachedSecond = NaN;
let cachedPrefix = '';

/** `2026-03-02T08:00:00.123456Z`; caches the per-second prefix because events arrive in order. */
export function formatMicros(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  if (sec !== cachedSecond) {
    cachedSecond = sec;
    cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  const frac = us - sec * 1_000_000;
  return `${cachedPrefix}.${String(frac).padStart(6, '0')}Z`;
}

/** Parse an ISO-8601 time to microseconds (sub-millisecond digits kept up to µs). */
export function parseMicros(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`invalid start time: ${iso}`);
  const frac = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const extra = frac.length > 3 ? Number(frac.slice(3, 6).padEnd(3, '0')) : 0;
  return ms * 1000 + extra;
}

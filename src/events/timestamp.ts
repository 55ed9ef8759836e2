/**
 * Exact event time.
 *
 * An `Instant` is a pair of exact JS numbers: whole milliseconds since the Unix epoch and the
 * nanoseconds within that millisecond. This keeps the 100 ns resolution of Windows FILETIME
 * and the 1 ns resolution of ISO-8601 text without BigInt on the hot path, and without the
 * precision a single float64 would lose (epoch nanoseconds exceed 2^53).
 */

export interface Instant {
  /** Whole milliseconds since 1970-01-01T00:00:00Z (may be negative). */
  ms: number;
  /** Nanoseconds within the millisecond, 0 ≤ ns < 1e6. */
  ns: number;
}

/** FILETIME ticks (100 ns) between 1601-01-01 and 1970-01-01. */
const FILETIME_EPOCH_DIFF = 116444736000000000n;

export function compareInstants(a: Instant, b: Instant): number {
  return a.ms - b.ms || a.ns - b.ns;
}

/** b − a in nanoseconds (a float; exact while |b − a| < ~104 days). */
export function diffNs(a: Instant, b: Instant): number {
  return (b.ms - a.ms) * 1e6 + (b.ns - a.ns);
}

/** `t` plus `ns` nanoseconds (may be negative), carried into milliseconds. */
export function addNs(t: Instant, ns: number): Instant {
  const total = t.ns + ns;
  const carry = Math.floor(total / 1e6);
  return { ms: t.ms + carry, ns: total - carry * 1e6 };
}

/** Convert a Windows FILETIME (100 ns ticks since 1601) given as bigint or decimal text. */
export function fromFiletime(ticks: bigint | string): Instant {
  const t = (typeof ticks === 'bigint' ? ticks : BigInt(ticks)) - FILETIME_EPOCH_DIFF;
  let ms = t / 10000n;
  let rem = t % 10000n;
  if (rem < 0n) {
    rem += 10000n;
    ms -= 1n;
  }
  return { ms: Number(ms), ns: Number(rem) * 100 };
}

/** Convert an Instant to FILETIME ticks. */
export function toFiletime(i: Instant): bigint {
  return BigInt(i.ms) * 10000n + BigInt(Math.floor(i.ns / 100)) + FILETIME_EPOCH_DIFF;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Milliseconds at 00:00 UTC of the last date seen by the fast path (events come in runs of one day). */
let lastDay = '';
let lastDayMs = 0;

const digit = (t: string, i: number): number => t.charCodeAt(i) - 48;
const isDigit = (t: string, i: number): boolean => {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/**
 * The shapes nearly every event carries, `YYYY-MM-DDTHH:MM:SS[.f…]Z`, and the zone-less
 * `YYYY-MM-DD HH:MM:SS[.f…]` of Sysmon's UtcTime and of nxlog / flat exports (read as UTC, as
 * the general expression reads a time without zone), read digit by digit: the general regular
 * expression costs several times more. Null when the text has another shape.
 */
function parseCanonicalUtc(t: string): Instant | null {
  const n = t.length;
  const sep = t.charCodeAt(10);
  if (n < 19 || (sep !== 84 /* T */ && sep !== 32) || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45) return null;
  if (t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return null;
  // Zoned (`Z`, at least 20 characters as before), or no zone: the time's text runs to the end.
  const zoned = t.charCodeAt(n - 1) === 90; /* Z */
  if (zoned ? n < 20 : n > 19 && (n === 20 || t.charCodeAt(19) !== 46)) return null; // `.` and at least one digit
  const end = zoned ? n - 1 : n;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if (!isDigit(t, i)) return null;
  const day = t.slice(0, 10);
  if (day !== lastDay) {
    const mo = Number(day.slice(5, 7));
    const d = Number(day.slice(8, 10));
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
    const ms = Date.UTC(Number(day.slice(0, 4)), mo - 1, d);
    if (Number.isNaN(ms)) return null;
    lastDay = day;
    lastDayMs = ms;
  }
  const h = digit(t, 11) * 10 + digit(t, 12);
  const mi = digit(t, 14) * 10 + digit(t, 15);
  const sec = digit(t, 17) * 10 + digit(t, 18);
  if (h > 23 || mi > 59 || sec > 60) return null;
  let ms = lastDayMs + ((h * 60 + mi) * 60 + sec) * 1000;
  let ns = 0;
  if (end > 19) {
    if (t.charCodeAt(19) !== 46 /* . */) return null;
    let scale = 100_000_000; // the first fractional digit is worth 1e8 ns
    let frac = 0;
    for (let i = 20; i < end; i++) {
      if (!isDigit(t, i)) return null;
      if (scale >= 1) frac += digit(t, i) * scale;
      scale /= 10;
    }
    ms += Math.floor(frac / 1e6);
    ns = frac % 1e6;
  } else if (zoned && t.charCodeAt(19) !== 90) return null;
  return { ms, ns };
}

/** Parse ISO-8601 / RFC 3339 text with up to nanosecond precision. No zone means UTC. */
export function parseIso(text: string): Instant | null {
  const fast = parseCanonicalUtc(text);
  if (fast) return fast;
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return null;
  const f = (frac + '000000000').slice(0, 9);
  ms += Number(f.slice(0, 3));
  const ns = Number(f.slice(3, 9));
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
    ms -= sign * offMin * 60000;
  }
  return { ms, ns };
}

// Plausibility bounds used to guess the unit of a bare epoch number.
const MS_1980 = 315532800000;
const MS_2200 = 7258118400000;

/**
 * Interpret any timestamp value found in an event:
 * - ISO-8601 text (`2020-08-27T11:40:56.3965432Z`), also `2020-08-27 11:40:56.396` (evtx_dump);
 * - bigint or long decimal text: FILETIME when it is in the FILETIME range, else epoch ns/µs;
 * - numbers: epoch seconds, milliseconds, microseconds or nanoseconds, chosen by magnitude.
 * Returns null when the value is not a recognisable time.
 */
export function parseTimestamp(v: unknown): Instant | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    // A `-` at index 4 (a date) is no number: the two number expressions are not tried.
    if (v.charCodeAt(4) !== 45) {
      if (/^-?\d+$/.test(v)) return fromInteger(BigInt(v));
      if (/^-?\d+\.\d+$/.test(v)) return fromNumber(Number(v));
    }
    return parseIso(v);
  }
  if (typeof v === 'bigint') return fromInteger(v);
  if (typeof v === 'number') return Number.isFinite(v) ? fromNumber(v) : null;
  if (v instanceof Date) return { ms: v.getTime(), ns: 0 };
  return null;
}

function fromInteger(n: bigint): Instant {
  // FILETIME for 1980..2200 lies between ~1.19e17 and ~1.88e17; epoch ns for 1980..2200 is 3e17..7e18.
  if (n >= 119600064000000000n && n < 188000000000000000n) return fromFiletime(n);
  if (n >= 10n ** 17n) {
    // epoch nanoseconds
    let ms = n / 1000000n;
    let ns = n % 1000000n;
    if (ns < 0n) {
      ns += 1000000n;
      ms -= 1n;
    }
    return { ms: Number(ms), ns: Number(ns) };
  }
  return fromNumber(Number(n));
}

function fromNumber(n: number): Instant {
  const a = Math.abs(n);
  let msFloat: number;
  if (a < MS_1980 / 100) msFloat = n * 1000; // seconds
  else if (a < MS_2200) msFloat = n; // milliseconds
  else if (a < MS_2200 * 1000) msFloat = n / 1000; // microseconds
  else if (a >= 1.19e17 && a < 1.88e17) return fromFiletime(BigInt(Math.round(n)));
  else msFloat = n / 1e6; // nanoseconds
  const ms = Math.floor(msFloat);
  const ns = Math.round((msFloat - ms) * 1e6);
  return ns >= 1e6 ? { ms: ms + 1, ns: ns - 1e6 } : { ms, ns };
}

/** ISO-8601 UTC text with as many fractional digits as needed (at least 3) so nothing is lost. */
export function formatInstant(i: Instant): string {
  const base = new Date(i.ms).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
  if (i.ns === 0) return base;
  const frac = (base.slice(20, 23) + String(i.ns).padStart(6, '0')).replace(/0+$/, '');
  return `${base.slice(0, 19)}.${frac}Z`;
}

/** Parse a duration like `1m`, `30s`, `500ms`, `2h`, `1d`, `10` (seconds) into nanoseconds. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d|w|M|y)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor: Record<string, number> = {
    ns: 1,
    us: 1e3,
    µs: 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
    d: 86400e9,
    w: 7 * 86400e9,
    M: 30 * 86400e9,
    y: 365 * 86400e9,
  };
  return n * factor[unit]!;
}

/**
 * Whether a time text names its zone (`Z`, `+02:00`, `-0400`). nxlog's `EventTime` and the
 * `TimeCreated` of flat exports (`2020-09-21 19:03:53`) do not: they are the collector's wall clock.
 */
export function hasZone(text: string): boolean {
  return ZONE_SUFFIX.test(text.trim());
}
const ZONE_SUFFIX = /:\d{2}(?:[.,]\d+)?\s*(?:Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/** A time zone given by the user (`--timezone`): a fixed offset or an IANA name. */
export type TimeZoneSpec = { kind: 'fixed'; offsetMin: number; label: string } | { kind: 'iana'; name: string };

/** `UTC`, `Z`, `±HH:MM`, `±HHMM`, `±HH` or an IANA name (`America/New_York`); null when unknown. */
export function parseTimeZone(text: string): TimeZoneSpec | null {
  const t = text.trim();
  if (/^(utc|z|gmt)$/i.test(t)) return { kind: 'fixed', offsetMin: 0, label: '+00:00' };
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(t);
  if (m) {
    const h = Number(m[2]);
    const mi = Number(m[3] ?? '0');
    if (h > 14 || mi > 59) return null;
    const offsetMin = (m[1] === '-' ? -1 : 1) * (h * 60 + mi);
    return { kind: 'fixed', offsetMin, label: formatOffset(offsetMin) };
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: t });
  } catch {
    return null;
  }
  return { kind: 'iana', name: t };
}

/** `+HH:MM` / `-HH:MM` of an offset in minutes east of UTC. */
export function formatOffset(offsetMin: number): string {
  const a = Math.abs(offsetMin);
  return `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
/** Offsets per zone and UTC hour: a log covers few hours, and formatToParts is slow. */
const zoneOffsets = new Map<string, number>();

/** Minutes east of UTC of a zone at a UTC instant (daylight saving time included). */
export function zoneOffsetMin(zone: TimeZoneSpec, utcMs: number): number {
  if (zone.kind === 'fixed') return zone.offsetMin;
  const hour = Math.floor(utcMs / 3600000);
  const key = `${zone.name}@${hour}`;
  const cached = zoneOffsets.get(key);
  if (cached !== undefined) return cached;
  let f = zoneFormats.get(zone.name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone.name, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
    zoneFormats.set(zone.name, f);
  }
  const at = hour * 3600000;
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(at))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!);
  const off = Math.round((wall - at) / 60000);
  if (zoneOffsets.size > 100000) zoneOffsets.clear();
  zoneOffsets.set(key, off);
  return off;
}

/**
 * The UTC instant of a wall-clock time in `zone`; `wall` is the wall clock read as if it were UTC.
 * In a daylight-saving gap or overlap the offset in force just before the wall time is used.
 */
export function wallToUtc(wall: Instant, zone: TimeZoneSpec): Instant {
  const first = zoneOffsetMin(zone, wall.ms);
  const guess = wall.ms - first * 60000;
  const off = zoneOffsetMin(zone, guess);
  return { ms: wall.ms - off * 60000, ns: wall.ns };
}

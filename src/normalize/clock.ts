/**
 * One clock per source: how zone-less wall-clock times become UTC.
 *
 * Flat nxlog / Security-Datasets JSON carries `EventTime` (and sometimes `TimeCreated`) in the
 * collector's local time without a zone, while its Sysmon events also carry `UtcTime`. Reading
 * the zone-less times as UTC puts Security events hours away from Sysmon events of the same host.
 * A Clock decides, per host, how to read them:
 * - `given`: the user named the zone (`--timezone`, `--utc`);
 * - `learned`: events of the host carrying both (Sysmon `UtcTime` beside a zone-less
 *   `EventTime`/`TimeCreated`) showed the offset, rounded to a quarter hour — learned before the
 *   run (see hunt/clock-scan.ts) so that every event of the host, also those read before the first
 *   such event, sits on the same clock;
 * - `timestamp`: nothing learned, the event's own zoned `@timestamp` is used (a shipper's time);
 * - `assumed-utc`: nothing learned and no zoned time: read as UTC, and said so in the summary.
 * Events carrying both are checked against the offset applied; disagreements are counted.
 */
import { formatOffset, wallToUtc, type Instant, type TimeZoneSpec } from '../events/timestamp.js';

export type ClockBasis = 'given' | 'learned' | 'timestamp' | 'assumed-utc';

/** What was assumed for one host's zone-less times (hunt summary, dump/query notes). */
export interface ClockAssumption {
  host: string;
  basis: ClockBasis;
  /** Offset or zone applied (`-04:00`, `America/New_York`); `@timestamp` / `+00:00` otherwise. */
  zone: string;
  /** Zone-less times read this way. */
  events: number;
  /** Learned: how many events carrying both showed the offset. */
  learnedFrom?: number;
  /** Events carrying both whose times disagree with the offset applied (daylight saving, a wrong --timezone…). */
  disagreements?: number;
}

/** A learned offset: minutes east of UTC, and how many events showed it. */
export interface LearnedOffset {
  offsetMin: number;
  votes: number;
}

const QUARTER_HOUR_MS = 15 * 60000;
/** An observation farther than this from a quarter hour is not an offset (a clock skew, a late write). */
const MAX_SKEW_MS = 2 * 60000;

/** Offset in minutes shown by a wall-clock time (read as UTC) beside the UTC time of the same event; null when implausible. */
export function observedOffset(wall: Instant, utc: Instant): number | null {
  const diff = wall.ms - utc.ms;
  const q = Math.round(diff / QUARTER_HOUR_MS);
  if (Math.abs(diff - q * QUARTER_HOUR_MS) > MAX_SKEW_MS || Math.abs(q) > 14 * 4) return null;
  return q * 15;
}

interface HostStats {
  counts: Map<ClockBasis, number>;
  disagreements: number;
}

export class Clock {
  private readonly learned = new Map<string, LearnedOffset>();
  private readonly votes = new Map<string, Map<number, number>>();
  private stats = new Map<string, HostStats>();

  constructor(
    /** The zone the user gave (`--timezone`/`--utc`); null: learn per host. */
    readonly given: TimeZoneSpec | null = null,
    learned?: Record<string, LearnedOffset>,
  ) {
    if (learned) for (const [h, o] of Object.entries(learned)) this.learned.set(h, o);
  }

  /** Learning phase: an event of `host` carrying both a zone-less wall time and its UTC time. */
  observe(host: string, wall: Instant, utc: Instant): void {
    const off = observedOffset(wall, utc);
    if (off === null) return;
    let m = this.votes.get(host);
    if (!m) this.votes.set(host, (m = new Map()));
    m.set(off, (m.get(off) ?? 0) + 1);
  }

  /** Whether learning has seen an event carrying both for `host`. */
  hasObserved(host: string): boolean {
    return this.votes.has(host) || this.learned.has(host);
  }

  /** End of learning: each host's most frequent offset. */
  settle(): void {
    for (const [host, m] of this.votes) {
      let best: LearnedOffset | null = null;
      for (const [offsetMin, votes] of m) if (!best || votes > best.votes) best = { offsetMin, votes };
      if (best) this.learned.set(host, best);
    }
    this.votes.clear();
  }

  learnedOffsets(): Record<string, LearnedOffset> {
    return Object.fromEntries(this.learned);
  }

  /**
   * A zone-less wall time of `host` (read as UTC) → UTC, or null when nothing is known (the
   * caller then uses the event's zoned @timestamp and reports `timestamp`, or `assumeUtc`).
   */
  toUtc(host: string, wall: Instant, count = true): Instant | null {
    if (this.given) {
      if (count) this.count(host, 'given');
      return wallToUtc(wall, this.given);
    }
    const l = this.learned.get(host);
    if (!l) return null;
    if (count) this.count(host, 'learned');
    return { ms: wall.ms - l.offsetMin * 60000, ns: wall.ns };
  }

  /** Record that `host`'s zone-less time was replaced by the event's @timestamp or read as UTC. */
  count(host: string, basis: ClockBasis): void {
    const s = this.hostStats(host);
    s.counts.set(basis, (s.counts.get(basis) ?? 0) + 1);
  }

  /** During the run: an event carrying both; counted when it disagrees with what is applied. */
  check(host: string, wall: Instant, utc: Instant): void {
    const off = observedOffset(wall, utc);
    let applied: number | null;
    if (this.given) applied = this.given.kind === 'fixed' ? this.given.offsetMin : Math.round((wall.ms - wallToUtc(wall, this.given).ms) / 60000);
    else applied = this.learned.get(host)?.offsetMin ?? null;
    if (applied === null || off === applied) return;
    this.hostStats(host).disagreements++;
  }

  /** What was assumed per host since the last call (counters restart). */
  takeReport(): ClockAssumption[] {
    const out: ClockAssumption[] = [];
    for (const [host, s] of this.stats) {
      for (const [basis, events] of s.counts) {
        const a: ClockAssumption = { host, basis, zone: this.zoneText(host, basis), events };
        const l = this.learned.get(host);
        if (basis === 'learned' && l) a.learnedFrom = l.votes;
        if (s.disagreements > 0) a.disagreements = s.disagreements;
        out.push(a);
      }
      if (s.counts.size === 0 && s.disagreements > 0) {
        out.push({ host, basis: 'learned', zone: this.zoneText(host, 'learned'), events: 0, disagreements: s.disagreements });
      }
    }
    this.stats = new Map();
    return out;
  }

  private zoneText(host: string, basis: ClockBasis): string {
    if (basis === 'given' && this.given) return this.given.kind === 'fixed' ? this.given.label : this.given.name;
    if (basis === 'learned') return formatOffset(this.learned.get(host)?.offsetMin ?? 0);
    return basis === 'timestamp' ? '@timestamp' : '+00:00';
  }

  private hostStats(host: string): HostStats {
    let s = this.stats.get(host);
    if (!s) this.stats.set(host, (s = { counts: new Map(), disagreements: 0 }));
    return s;
  }
}

/** Sum reports of several units/threads: one entry per host and basis. */
export function mergeClockReports(reports: Iterable<ClockAssumption>): ClockAssumption[] {
  const by = new Map<string, ClockAssumption>();
  for (const r of reports) {
    const k = `${r.host}\u0000${r.basis}`;
    const have = by.get(k);
    if (!have) by.set(k, { ...r });
    else {
      have.events += r.events;
      if (r.disagreements) have.disagreements = (have.disagreements ?? 0) + r.disagreements;
    }
  }
  return [...by.values()].sort((a, b) => a.host.localeCompare(b.host) || a.basis.localeCompare(b.basis));
}

/** The clock zone-less times are read with (one per thread: set by hunt/dump/query before reading). */
let active: Clock | null = null;

export function useClock(c: Clock | null): void {
  active = c;
}

export function activeClock(): Clock | null {
  return active;
}

/**
 * Ingest health per source and per host, for `/api/health` and the UI's Ingest health view.
 *
 * A source is (shipper, index, remote address): the User-Agent's product token (`Winlogbeat/8.17.0`,
 * `Fluent-Bit`, `curl/8.5.0`), the bulk action's `_index` (`-` for /ingest) and the peer address.
 * A host is the key detection orders events by (host.id when the event has one), with the host
 * name seen with it. Rates are events over the last 10 whole seconds of wall time (a ring of
 * per-second counts). Memory is bounded: at most MAX_KEYS sources and hosts each; beyond that the
 * least recently seen entry is dropped (counted in `dropped`).
 * Called once per request and once per host of a request, not per event, so it stays off the hot path.
 */
import type { ApiHostHealth, ApiSourceHealth } from '../api-types.js';

const WINDOW_S = 10;
const MAX_KEYS = 10_000;

class Rate {
  private readonly counts = new Array<number>(WINDOW_S + 1).fill(0);
  private readonly secs = new Array<number>(WINDOW_S + 1).fill(-1);

  add(n: number, nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    const i = s % this.counts.length;
    if (this.secs[i] !== s) {
      this.secs[i] = s;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  /** Events per second over the last WINDOW_S complete seconds plus the current one, scaled to the time covered. */
  perSecond(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.secs[i]! > s - this.counts.length && this.secs[i]! <= s) sum += this.counts[i]!;
    const covered = WINDOW_S + (nowMs % 1000) / 1000;
    return sum / covered;
  }
}

interface SourceEntry {
  shipper: string;
  index: string;
  remote: string;
  events: number;
  parseErrors: number;
  requests: number;
  lastMs: number;
  rate: Rate;
}

interface HostEntry {
  name?: string;
  events: number;
  late: number;
  lastMs: number;
  newestEventMs: number | null;
  rate: Rate;
}

/** `Winlogbeat/8.17.0 (linux; amd64; …)` → `Winlogbeat/8.17.0`. */
export function shipperOf(userAgent: string | undefined): string {
  const t = (userAgent ?? '').trim().split(/\s+/)[0] ?? '';
  return t === '' ? 'unknown' : t.slice(0, 80);
}

export class IngestStats {
  private readonly sources = new Map<string, SourceEntry>();
  private readonly hosts = new Map<string, HostEntry>();
  dropped = 0;

  /** One request's events from one source (`events` per index; parse errors counted apart). */
  source(shipper: string, index: string, remote: string, events: number, parseErrors: number, nowMs = Date.now()): void {
    const key = `${shipper} · ${index} · ${remote}`;
    let e = this.sources.get(key);
    if (!e) {
      e = { shipper, index, remote, events: 0, parseErrors: 0, requests: 0, lastMs: nowMs, rate: new Rate() };
      this.bound(this.sources);
    } else this.sources.delete(key); // re-insert: the map's order is least recently seen first
    this.sources.set(key, e);
    e.events += events;
    e.parseErrors += parseErrors;
    e.requests++;
    e.lastMs = nowMs;
    e.rate.add(events, nowMs);
  }

  /** Events of one host in one request; `name` is asked for only while the host has none. */
  host(host: string, events: number, newestEventMs: number | null, name: () => string | undefined, nowMs = Date.now()): void {
    let e = this.hosts.get(host);
    if (!e) {
      e = { events: 0, late: 0, lastMs: nowMs, newestEventMs: null, rate: new Rate() };
      this.bound(this.hosts);
    } else this.hosts.delete(host);
    this.hosts.set(host, e);
    if (e.name === undefined) {
      const n = name();
      if (n !== undefined && n !== '') e.name = n;
    }
    e.events += events;
    e.lastMs = nowMs;
    if (newestEventMs !== null && (e.newestEventMs === null || newestEventMs > e.newestEventMs)) e.newestEventMs = newestEventMs;
    e.rate.add(events, nowMs);
  }

  /** A late event of a host (detection's reorder buffer). */
  late(host: string): void {
    const e = this.hosts.get(host);
    if (e) e.late++;
  }

  /** The name seen for a host key, else the key itself. */
  nameOf(host: string): string {
    return this.hosts.get(host)?.name ?? host;
  }

  private bound(m: Map<string, unknown>): void {
    if (m.size < MAX_KEYS) return;
    const oldest = m.keys().next().value;
    if (oldest !== undefined) m.delete(oldest);
    this.dropped++;
  }

  sourceHealth(nowMs = Date.now()): ApiSourceHealth[] {
    return [...this.sources.entries()]
      .map(([key, e]) => ({
        key,
        shipper: e.shipper,
        index: e.index,
        remote: e.remote,
        events: e.events,
        eventsPerSecond: round(e.rate.perSecond(nowMs)),
        parseErrors: e.parseErrors,
        requests: e.requests,
        lastSeen: new Date(e.lastMs).toISOString(),
        lastSeenAgeSeconds: round((nowMs - e.lastMs) / 1000),
      }))
      .sort((a, b) => b.events - a.events || a.key.localeCompare(b.key));
  }

  hostHealth(nowMs = Date.now()): ApiHostHealth[] {
    return [...this.hosts.entries()]
      .map(([host, e]) => {
        const h: ApiHostHealth = {
          host,
          events: e.events,
          eventsPerSecond: round(e.rate.perSecond(nowMs)),
          lateEvents: e.late,
          lastSeen: new Date(e.lastMs).toISOString(),
          lastSeenAgeSeconds: round((nowMs - e.lastMs) / 1000),
        };
        if (e.name !== undefined && e.name !== host) h.name = e.name;
        if (e.newestEventMs !== null) h.newestEventTime = new Date(e.newestEventMs).toISOString();
        return h;
      })
      .sort((a, b) => b.events - a.events || a.host.localeCompare(b.host));
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Who wrote a file over SMB: a small per-host index of Security share-access and network-logon
 * events, fed every event by the hunt runner (ECS view) and asked when an alert is built.
 * Only Security 5145 (with write access), 5140 and 4624 logon type 3 are kept; per host the index
 * is bounded both in time (entries older than `windowMs` before the newest are dropped) and size.
 */
import type { Event } from '../events/field.js';
import { compareInstants, diffNs, parseTimestamp, type Instant } from '../events/timestamp.js';
import type { AlertWriter } from './types.js';
import { ecsTime, eventCode, hostKey, hostName, num, sharePath, str } from './ecs-fields.js';

interface Evidence {
  kind: '5145' | '5140' | '4624';
  time: Instant;
  /** Lower-cased local path (5145 only). */
  path?: string;
  ip?: string;
  user?: string;
  domain?: string;
}

export interface WriterContextOptions {
  /** How far back evidence is kept, relative to the newest event of the host (default 10 min). */
  windowMs?: number;
  /** At most this many entries per host (default 5000); the oldest go first. */
  maxPerHost?: number;
}

const WRITE_ACCESS = /%%4417|%%4418|WriteData|AppendData/i;
/** A 5145 may be logged a little after the file event it explains; allow this much skew. */
const SKEW_MS = 5_000;
/** A logon/share connection names the writer only when it happened shortly before the write. */
const SESSION_LOOKBACK_MS = 5 * 60_000;

export class WriterContext {
  private readonly byHost = new Map<string, { newest: Instant; entries: Evidence[] }>();
  private readonly windowMs: number;
  private readonly maxPerHost: number;

  constructor(opts: WriterContextOptions = {}) {
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.maxPerHost = opts.maxPerHost ?? 5000;
  }

  /**
   * Feed one ECS-view event; anything but 5140/5145/4624 returns after one field read. `host` and
   * `time` (when the caller already knows them) are fallbacks: the event's own host name is the key,
   * so evidence joins alerts whose host is a name, whatever id the runner joins sequences on.
   */
  observe(ev: Event, host?: string, time?: Instant | null): void {
    const code = eventCode(ev);
    if (code !== '5145' && code !== '5140' && code !== '4624') return;
    const evidence = toEvidence(code, ev, time ?? undefined);
    if (!evidence) return;
    host = hostName(ev) ?? host;
    if (!host) return;
    this.add(hostKey(host), evidence);
  }

  /** The best-known writer of `filePath` on `host` around `time`, or undefined. */
  writerFor(host: string, filePath: string | undefined, time: Instant | string): AlertWriter | undefined {
    const t = typeof time === 'string' ? parseTimestamp(time) : time;
    const slot = this.byHost.get(hostKey(host));
    if (!slot || !t) return undefined;
    const path = filePath?.toLowerCase();
    const within = (e: Evidence, lookbackMs: number) => {
      const ms = diffNs(e.time, t) / 1e6; // how long before the write
      return ms >= -SKEW_MS && ms <= lookbackMs;
    };
    const latest = (list: Evidence[]) => list.reduce<Evidence | undefined>((best, e) => (!best || compareInstants(e.time, best.time) >= 0 ? e : best), undefined);
    const share = path ? latest(slot.entries.filter((e) => e.kind === '5145' && e.path === path && within(e, this.windowMs))) : undefined;
    if (share) return asWriter(share, 'Security 5145 (write access to the file over a share)');
    const sessions = slot.entries.filter((e) => e.kind !== '5145' && within(e, SESSION_LOOKBACK_MS));
    // Machine accounts (NAME$) log on to everything all day; prefer a person or service account.
    const session = latest(sessions.filter((e) => !e.user?.endsWith('$'))) ?? latest(sessions);
    if (!session) return undefined;
    return asWriter(session, session.kind === '5140' ? 'Security 5140 (share connection shortly before the write)' : 'Security 4624 logon type 3 (network logon shortly before the write)');
  }

  /** The evidence held, as plain data (for a detector snapshot, engine/snapshot.ts). */
  exportState(): [string, Instant, Evidence[]][] {
    return [...this.byHost].map(([h, slot]) => [h, slot.newest, slot.entries]);
  }

  /** Replace the evidence held with what `exportState` returned (after a JSON round trip through engine/state.ts). */
  importState(s: unknown): void {
    if (!Array.isArray(s)) throw new Error('writer evidence: expected an array');
    this.byHost.clear();
    for (const row of s as unknown[]) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || !Array.isArray(row[2])) throw new Error('writer evidence: bad host row');
      this.byHost.set(row[0], { newest: row[1] as Instant, entries: row[2] as Evidence[] });
    }
  }

  /** Entries held (for memory tests). */
  size(): number {
    let n = 0;
    for (const s of this.byHost.values()) n += s.entries.length;
    return n;
  }

  private add(host: string, e: Evidence): void {
    let slot = this.byHost.get(host);
    if (!slot) this.byHost.set(host, (slot = { newest: e.time, entries: [] }));
    if (compareInstants(e.time, slot.newest) > 0) slot.newest = e.time;
    slot.entries.push(e);
    const oldest = slot.entries[0]!;
    if (slot.entries.length > this.maxPerHost || diffNs(oldest.time, slot.newest) / 1e6 > this.windowMs * 1.5) {
      const keepAfter = slot.newest.ms - this.windowMs;
      slot.entries = slot.entries.filter((x) => x.time.ms >= keepAfter);
      if (slot.entries.length > this.maxPerHost) slot.entries = slot.entries.slice(-this.maxPerHost);
    }
  }
}

function toEvidence(code: '5145' | '5140' | '4624', ev: Event, knownTime?: Instant): Evidence | null {
  const time = knownTime ?? ecsTime(ev);
  if (!time) return null;
  const ip = cleanIp(str(ev, 'source.ip') ?? str(ev, 'winlog.event_data.IpAddress'));
  if (code === '4624') {
    const type = num(ev, 'winlog.event_data.LogonType') ?? num(ev, 'winlog.logon.type');
    const typeName = str(ev, 'winlog.logon.type');
    if (type !== 3 && typeName !== 'Network') return null;
    const user = str(ev, 'winlog.event_data.TargetUserName') ?? str(ev, 'user.name');
    if (!user || /^ANONYMOUS LOGON$/i.test(user)) return null;
    return { kind: code, time, ip, user, domain: str(ev, 'winlog.event_data.TargetDomainName') ?? str(ev, 'user.domain') };
  }
  const user = str(ev, 'winlog.event_data.SubjectUserName') ?? str(ev, 'user.name');
  const domain = str(ev, 'winlog.event_data.SubjectDomainName') ?? str(ev, 'user.domain');
  if (code === '5140') return { kind: code, time, ip, user, domain };
  const path = sharePath(ev);
  if (!path || !hasWriteAccess(ev)) return null;
  return { kind: code, time, path: path.toLowerCase(), ip, user, domain };
}

/** WriteData (0x2, %%4417) or AppendData (0x4, %%4418) in the access list or mask. */
export function hasWriteAccess(ev: Event): boolean {
  if (WRITE_ACCESS.test(str(ev, 'winlog.event_data.AccessList') ?? '')) return true;
  const mask = num(ev, 'winlog.event_data.AccessMask');
  return mask !== undefined && (mask & 0x6) !== 0;
}

function cleanIp(ip: string | undefined): string | undefined {
  if (!ip || ip === '-') return undefined;
  return ip.replace(/^::ffff:/i, '');
}

function asWriter(e: Evidence, evidence: string): AlertWriter {
  const w: AlertWriter = { evidence };
  if (e.ip) w.ip = e.ip;
  if (e.user) w.user = e.user;
  if (e.domain) w.domain = e.domain;
  return w;
}

/**
 * Share-write review: who wrote which executable files to which hosts' shares, from where, and
 * whether each file was then started on that host.
 *
 * Evidence (ECS view, the hunt pipeline's normalization):
 * - Security 5145 with write access (WriteData/AppendData): names the share, account and source
 *   address directly.
 * - File events (Sysmon 11, Elastic Defend file creation/change) written by the System process
 *   (PID 4): how an SMB write appears locally. The writer is attributed as alerts attribute it
 *   (alert/writer-context.ts: a 5145 on that path, else a 5140 or network logon shortly before).
 * - Process starts (Sysmon 1, Security 4688, Defend): was the written path executed afterwards.
 *
 * Inputs are read one file after another, so evidence is gathered first (only the few events that
 * matter are kept) and replayed in time order at the end, the way a hunt sees it.
 */
import type { Event } from '../events/field.js';
import { compareInstants, formatInstant, type Instant } from '../events/timestamp.js';
import { ecsTime, eventCode, has, hostKey, hostName, num, sharePath, str } from '../alert/ecs-fields.js';
import { WriterContext, hasWriteAccess } from '../alert/writer-context.js';
import type { AlertWriter } from '../alert/types.js';
import { writerFrom5145 } from '../alert/build.js';
import { inferShare, isExecutablePath, shareName } from './extensions.js';
import type { ShareReview, ShareReviewOptions, ShareReviewStats, ShareWriteRow } from './types.js';

/** Events of one file closer than this are one write (a copy raises several 5145 checks). */
const SAME_WRITE_MS = 5_000;
/** A 5145 may be logged a little after the file event it explains (alert/writer-context.ts). */
const ATTRIBUTION_DELAY_MS = 5_000;

interface WriteEvidence {
  kind: '5145' | 'file';
  time: Instant;
  host: string;
  path: string;
  share?: string;
  ev: Event;
}

interface Session {
  time: Instant;
  ev: Event;
}

interface RowState {
  row: Omit<ShareWriteRow, 'firstSeen' | 'lastSeen' | 'writes' | 'executed' | 'sources'>;
  first: Instant;
  last: Instant;
  times: number[];
  sources: Set<string>;
}

export class ShareWriteCollector {
  private readonly writes: WriteEvidence[] = [];
  private readonly sessions: Session[] = [];
  /** hostKey \0 lower-cased path → latest process start from that path. */
  private readonly starts = new Map<string, Instant>();
  readonly stats: ShareReviewStats = { files: 0, events: 0, writeEvents: 0, share5145: 0, share5140: 0, pid4FileEvents: 0, processStarts: 0 };

  constructor(private readonly opts: ShareReviewOptions = {}) {}

  /** Feed one event's ECS view; `time` is its exact time when the caller has it. */
  observe(ev: Event, time?: Instant | null): void {
    this.stats.events++;
    const code = eventCode(ev);
    if (code === '5145' || code === '5140' || code === '4624') return this.observeSecurity(code, ev, time);
    if (has(ev, 'event.category', 'process') && has(ev, 'event.type', 'start')) {
      const exe = str(ev, 'process.executable');
      const host = hostName(ev);
      const t = time ?? ecsTime(ev);
      if (!exe || !host || !t) return;
      this.stats.processStarts++;
      const key = startKey(host, exe);
      const prev = this.starts.get(key);
      if (!prev || compareInstants(t, prev) > 0) this.starts.set(key, t);
      return;
    }
    if (!has(ev, 'event.category', 'file') || has(ev, 'event.type', 'deletion')) return;
    if (!isSystemProcess(ev)) return;
    this.stats.pid4FileEvents++;
    const path = str(ev, 'file.path');
    const host = hostName(ev);
    const t = time ?? ecsTime(ev);
    if (!path || !host || !t || !this.wanted(path)) return;
    this.writes.push({ kind: 'file', time: t, host, path, ev });
  }

  private observeSecurity(code: '5145' | '5140' | '4624', ev: Event, time?: Instant | null): void {
    const t = time ?? ecsTime(ev);
    if (!t) return;
    if (code === '5140') this.stats.share5140++;
    if (code !== '5145') {
      if (code === '4624' && num(ev, 'winlog.event_data.LogonType') !== 3 && str(ev, 'winlog.logon.type') !== 'Network') return;
      this.sessions.push({ time: t, ev });
      return;
    }
    this.stats.share5145++;
    const path = sharePath(ev);
    const host = hostName(ev);
    if (!path || !host || !hasWriteAccess(ev) || !this.wanted(path)) return;
    const share = str(ev, 'winlog.event_data.ShareName');
    this.writes.push({ kind: '5145', time: t, host, path, ev, ...(share ? { share: shareName(share) } : {}) });
  }

  private wanted(path: string): boolean {
    return this.opts.allFiles === true || isExecutablePath(path);
  }

  /** Replay the evidence in time order and build the table (sorted by host, share, path, first seen). */
  finish(): ShareReview {
    const ctx = new WriterContext({ windowMs: 10 * 60_000, maxPerHost: 50_000 });
    type Item = { time: Instant; session?: Session; write?: WriteEvidence };
    const items: Item[] = [...this.sessions.map((s) => ({ time: s.time, session: s })), ...this.writes.map((w) => ({ time: w.time, write: w }))];
    items.sort((a, b) => compareInstants(a.time, b.time));
    const rows = new Map<string, RowState>();
    const pending: WriteEvidence[] = [];
    const settle = (upTo: Instant | null): void => {
      while (pending.length > 0 && (upTo === null || upTo.ms - pending[0]!.time.ms > ATTRIBUTION_DELAY_MS)) {
        const w = pending.shift()!;
        this.addRow(rows, w, ctx.writerFor(w.host, w.path, w.time));
      }
    };
    for (const it of items) {
      settle(it.time);
      if (it.session) ctx.observe(it.session.ev, undefined, it.session.time);
      else if (it.write!.kind === '5145') {
        ctx.observe(it.write!.ev, undefined, it.write!.time);
        this.addRow(rows, it.write!, writerFrom5145(it.write!.ev, 'Security 5145'));
      } else pending.push(it.write!);
    }
    settle(null);
    this.stats.writeEvents = this.writes.length;
    const out = [...rows.values()].map((s) => this.toRow(s));
    out.sort((a, b) => a.host.localeCompare(b.host) || a.share.localeCompare(b.share) || a.path.localeCompare(b.path) || a.firstSeen.localeCompare(b.firstSeen));
    return { rows: out, stats: { ...this.stats } };
  }

  private addRow(rows: Map<string, RowState>, w: WriteEvidence, writer: AlertWriter | undefined): void {
    const account = writer?.user ? (writer.domain ? `${writer.domain}\\${writer.user}` : writer.user) : undefined;
    const share = w.share ?? inferShare(w.path) ?? '?';
    const key = [hostKey(w.host), share.toLowerCase(), w.path.toLowerCase(), (account ?? '').toLowerCase(), writer?.ip ?? ''].join('\u0000');
    let s = rows.get(key);
    if (!s) {
      const row: RowState['row'] = { host: w.host, share, shareInferred: w.share === undefined, path: w.path, events: 0 };
      if (account) row.account = account;
      if (writer?.ip) row.sourceIp = writer.ip;
      if (writer?.evidence) row.writerEvidence = writer.evidence;
      rows.set(key, (s = { row, first: w.time, last: w.time, times: [], sources: new Set() }));
    }
    // A row first named by a file event learns its share from a later 5145 of the same key.
    if (w.share && s.row.shareInferred) s.row.shareInferred = false;
    s.row.events++;
    s.times.push(w.time.ms);
    s.sources.add(w.kind === '5145' ? 'security-5145' : 'file-event-pid4');
    if (compareInstants(w.time, s.first) < 0) s.first = w.time;
    if (compareInstants(w.time, s.last) > 0) s.last = w.time;
  }

  private toRow(s: RowState): ShareWriteRow {
    const times = [...s.times].sort((a, b) => a - b);
    let writes = 0;
    let prev = -Infinity;
    for (const t of times) {
      if (t - prev >= SAME_WRITE_MS) writes++;
      prev = t;
    }
    const started = this.starts.get(startKey(s.row.host, s.row.path));
    const executed = started !== undefined && compareInstants(started, s.first) >= 0;
    const row: ShareWriteRow = { ...s.row, firstSeen: formatInstant(s.first), lastSeen: formatInstant(s.last), writes, sources: [...s.sources].sort(), executed };
    if (executed) row.lastExecuted = formatInstant(started);
    return row;
  }
}

function startKey(host: string, path: string): string {
  return `${hostKey(host)}\u0000${path.toLowerCase()}`;
}

/** PID 4, or a missing pid with the name System (as rules/file-share-remote-exec.yml). */
function isSystemProcess(ev: Event): boolean {
  const pid = num(ev, 'process.pid');
  if (pid !== undefined) return pid === 4;
  return str(ev, 'process.name') === 'System';
}

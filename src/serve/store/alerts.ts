/**
 * The alert store: insert-or-ignore by `Alert.id` (deterministic from rule + event identities, so
 * replaying the log after a restart raises nothing twice), workflow status, notes and assignee,
 * filtered listing, per-rule hit counts, per-rule suppression (group by alert fields within an
 * event-time window; counts kept) and threat-intel enrichment of new alerts (serve --intel).
 */
import type { Alert } from '../../alert/types.js';
import { applyIntel } from '../../alert/intel.js';
import type { HashIndex } from '../../intel/index.js';
import { parseIso } from '../../events/timestamp.js';
import type { AlertStatus, ApiAlertSummary, ApiNote, ApiSeverity } from '../api-types.js';
import type { Db } from './db.js';

export interface SuppressionRule {
  /** Alert fields (dotted paths into the alert, e.g. `host`, `filePath`, `process.executable`). */
  groupBy: string[];
  windowMs: number;
}

export type InsertResult = 'new' | 'duplicate' | 'suppressed';

export interface AlertFilter {
  from?: string;
  to?: string;
  severity?: string[];
  rule?: string[];
  host?: string;
  status?: string[];
  q?: string;
  after?: number;
  before?: number;
  limit?: number;
}

interface AlertRow {
  seq: number;
  id: string;
  created_ms: number;
  status: AlertStatus;
  status_reason: string | null;
  suppressed: number;
  assignee: string | null;
  notes: number;
  doc: string;
}

const COLS = 'seq, id, created_ms, status, status_reason, suppressed, assignee, (SELECT count(*) FROM alert_notes n WHERE n.alert_id = alerts.id) AS notes, doc';

/** Longest note and assignee accepted (characters). */
export const NOTE_MAX = 10_000;
export const ASSIGNEE_MAX = 200;

export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'closed'];

function pick(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export class AlertStore {
  private readonly insertStmt;
  private readonly existsStmt;
  private intel: HashIndex | null = null;
  /** New alerts whose hashes matched a feed. */
  intelMatched = 0;
  constructor(
    private readonly db: Db,
    private suppression: Record<string, SuppressionRule> = {},
  ) {
    this.insertStmt = db.prepare(
      'INSERT OR IGNORE INTO alerts (id, rule_id, rule_name, severity, host, file_path, first_ms, created_ms, search, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.existsStmt = db.prepare('SELECT 1 FROM alerts WHERE id = ? UNION ALL SELECT 1 FROM suppressed_ids WHERE id = ?');
  }

  setSuppression(s: Record<string, SuppressionRule>): void {
    this.suppression = s;
  }

  /** Feeds new alerts are enriched from (null: none); swapped on reload. */
  setIntel(index: HashIndex | null): void {
    this.intel = index;
  }

  /** Store one alert (call inside a transaction for atomicity with the checkpoint). */
  insert(a: Alert): InsertResult {
    if (this.existsStmt.get(a.id, a.id)) return 'duplicate';
    const firstMs = parseIso(a.firstTime)?.ms ?? null;
    const sup = this.suppression[a.ruleId];
    let groupKey: string | null = null;
    if (sup) {
      groupKey = JSON.stringify(sup.groupBy.map((f) => pick(a, f) ?? null));
      const row = this.db.prepare('SELECT alert_id, until_ms FROM suppression WHERE rule_id = ? AND group_key = ?').get(a.ruleId, groupKey) as
        | { alert_id: string; until_ms: number }
        | undefined;
      if (row && firstMs !== null && firstMs <= row.until_ms) {
        this.db.prepare('INSERT OR IGNORE INTO suppressed_ids (id) VALUES (?)').run(a.id);
        this.db.prepare('UPDATE alerts SET suppressed = suppressed + 1 WHERE id = ?').run(row.alert_id);
        return 'suppressed';
      }
    }
    if (this.intel && applyIntel(a, this.intel)) this.intelMatched++;
    const search = [a.ruleName, a.ruleId, a.host, a.filePath ?? '', a.process?.commandLine ?? '', a.process?.executable ?? ''].join('\n').toLowerCase();
    const r = this.insertStmt.run(a.id, a.ruleId, a.ruleName, a.severity, a.host, a.filePath ?? null, firstMs, Date.now(), search, JSON.stringify(a));
    if (r.changes === 0) return 'duplicate';
    if (sup && groupKey !== null && firstMs !== null) {
      this.db
        .prepare('INSERT INTO suppression (rule_id, group_key, alert_id, until_ms) VALUES (?, ?, ?, ?) ON CONFLICT(rule_id, group_key) DO UPDATE SET alert_id = excluded.alert_id, until_ms = excluded.until_ms')
        .run(a.ruleId, groupKey, a.id, firstMs + sup.windowMs);
    }
    return 'new';
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
  }

  /** Alert ids stored (tests, fault checks). */
  ids(): string[] {
    return (this.db.prepare('SELECT id FROM alerts ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
  }

  get(id: string): { summary: ApiAlertSummary; alert: Alert } | null {
    const r = this.db.prepare(`SELECT ${COLS} FROM alerts WHERE id = ?`).get(id) as AlertRow | undefined;
    return r ? { summary: toSummary(r), alert: JSON.parse(r.doc) as Alert } : null;
  }

  bySeq(seq: number): ApiAlertSummary | null {
    const r = this.db.prepare(`SELECT ${COLS} FROM alerts WHERE seq = ?`).get(seq) as AlertRow | undefined;
    return r ? toSummary(r) : null;
  }

  list(f: AlertFilter): { alerts: ApiAlertSummary[]; total: number; next: number | null } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const inList = (col: string, vals: string[] | undefined): void => {
      if (!vals || vals.length === 0) return;
      where.push(`${col} IN (${vals.map(() => '?').join(',')})`);
      args.push(...vals);
    };
    if (f.from) {
      where.push('first_ms >= ?');
      args.push(parseIso(f.from)?.ms ?? 0);
    }
    if (f.to) {
      where.push('first_ms <= ?');
      args.push(parseIso(f.to)?.ms ?? 0);
    }
    inList('severity', f.severity);
    inList('rule_id', f.rule);
    inList('status', f.status);
    if (f.host) {
      where.push('lower(host) = ?');
      args.push(f.host.toLowerCase());
    }
    if (f.q) {
      where.push("instr(search, ?) > 0");
      args.push(f.q.toLowerCase());
    }
    const base = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM alerts ${base}`).get(...args) as { n: number }).n;
    const limit = Math.min(1000, Math.max(1, f.limit ?? 100));
    let sql: string;
    const pageArgs = [...args];
    if (f.after !== undefined) {
      sql = `SELECT ${COLS} FROM alerts ${base ? `${base} AND` : 'WHERE'} seq > ? ORDER BY seq LIMIT ?`;
      pageArgs.push(f.after, limit);
    } else {
      sql = `SELECT ${COLS} FROM alerts ${f.before !== undefined ? `${base ? `${base} AND` : 'WHERE'} seq < ?` : base} ORDER BY seq DESC LIMIT ?`;
      if (f.before !== undefined) pageArgs.push(f.before);
      pageArgs.push(limit);
    }
    const rows = this.db.prepare(sql).all(...pageArgs) as AlertRow[];
    const alerts = rows.map(toSummary);
    const next = rows.length === limit ? rows[rows.length - 1]!.seq : null;
    return { alerts, total, next };
  }

  setStatus(id: string, status: AlertStatus, reason: string | undefined): boolean {
    return this.db.prepare('UPDATE alerts SET status = ?, status_reason = ?, status_ms = ? WHERE id = ?').run(status, reason ?? null, Date.now(), id).changes > 0;
  }

  /** Append a note and/or set the assignee (null or '' clears it); false when there is no such alert. */
  annotate(id: string, change: { text?: string; assignee?: string | null }, author: string): boolean {
    return this.db.transaction(() => {
      if (!this.db.prepare('SELECT 1 FROM alerts WHERE id = ?').get(id)) return false;
      if (change.assignee !== undefined) this.db.prepare('UPDATE alerts SET assignee = ? WHERE id = ?').run(change.assignee === null || change.assignee === '' ? null : change.assignee, id);
      if (change.text !== undefined) this.db.prepare('INSERT INTO alert_notes (alert_id, author, created_ms, text) VALUES (?, ?, ?, ?)').run(id, author, Date.now(), change.text);
      return true;
    })();
  }

  notes(id: string): ApiNote[] {
    const rows = this.db.prepare('SELECT id, author, created_ms, text FROM alert_notes WHERE alert_id = ? ORDER BY id').all(id) as { id: number; author: string; created_ms: number; text: string }[];
    return rows.map((r) => ({ id: r.id, author: r.author, time: new Date(r.created_ms).toISOString(), text: r.text }));
  }

  /** Alerts stored per rule id, with the newest first-event time. */
  hitsByRule(): Map<string, { hits: number; lastMs: number | null }> {
    const rows = this.db.prepare('SELECT rule_id, count(*) AS n, max(first_ms) AS last FROM alerts GROUP BY rule_id').all() as { rule_id: string; n: number; last: number | null }[];
    return new Map(rows.map((r) => [r.rule_id, { hits: r.n, lastMs: r.last }]));
  }
}

function toSummary(r: AlertRow): ApiAlertSummary {
  const a = JSON.parse(r.doc) as Alert;
  const s: ApiAlertSummary = {
    id: r.id,
    seq: r.seq,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    severity: a.severity as ApiSeverity,
    host: a.host,
    firstTime: a.firstTime,
    lastTime: a.lastTime,
    gapMs: a.gapMs,
    createdAt: new Date(r.created_ms).toISOString(),
    status: r.status,
    suppressedCount: r.suppressed,
  };
  if (a.riskScore !== undefined) s.riskScore = a.riskScore;
  if (a.mitre) s.mitre = a.mitre;
  if (a.filePath) s.filePath = a.filePath;
  if (r.status_reason) s.statusReason = r.status_reason;
  if (a.writer) s.writer = a.writer;
  if (a.process) s.process = a.process;
  if (r.assignee) s.assignee = r.assignee;
  if (r.notes > 0) s.noteCount = r.notes;
  if (a.intel) s.intel = { matches: a.intel.matches.map((m) => ({ hash: m.hash, algorithm: m.algorithm, field: m.field, feed: m.feed, ...(m.name ? { name: m.name } : {}), tags: m.tags })), severityBefore: a.intel.severityBefore as ApiSeverity };
  return s;
}

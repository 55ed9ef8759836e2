/**
 * The UI's only I/O: a DataSource with two implementations.
 * - `EmbeddedSource`: the HTML report's `<script type="application/json" id="spoor-data">`
 *   (output/report-data.ts packs it); read-only, no network.
 * - `HttpSource`: `spoor serve`'s REST API (api-contract.ts mirrors serve/api-types.ts) and its
 *   server-sent events, read with fetch (EventSource cannot send the Bearer token), resuming after
 *   the last alert seq on reconnect. Paths are one table (ENDPOINTS).
 */
import { unpackAlert, type ReportData } from '../output/report-data.js';
import type { ApiAlertDetail, ApiAlertList, ApiAlertSummary, ApiEvent, ApiExceptions, ApiExceptionSet, ApiHealth, ApiNote, ApiRuleInfo, ApiRules, ApiShares } from './api-contract.js';
import type { AlertStatus, UiAlert } from './model/query.js';

/** A rule as the UI lists it: serve's ApiRuleInfo, where the report may lack severity and kind. */
export type RuleInfo = Omit<ApiRuleInfo, 'severity' | 'kind'> & Partial<Pick<ApiRuleInfo, 'severity' | 'kind'>>;

/** The share-write review (spoor shares): the report embeds it, serve computes it over its log. */
export type ShareRows = ApiShares['rows'];

export type RuleList = Omit<ApiRules, 'rules' | 'loadedAt'> & { rules: RuleInfo[]; loadedAt?: string };

export type IngestHealth = ApiHealth;

export type ExceptionKind = 'signer' | 'path' | 'host' | 'account';
export interface ExceptionRequest {
  ruleId: string;
  kind: ExceptionKind;
  value: string;
}

/** Where each exception kind lives in the exceptions file (docs/rules.md). */
export const EXCEPTION_KEYS: Record<ExceptionKind, keyof ApiExceptionSet> = { signer: 'trusted_signers', path: 'paths', host: 'hosts', account: 'accounts' };

export interface DataSource {
  readonly kind: 'report' | 'live';
  readonly title: string;
  readonly generatedAt?: string;
  /** Every alert, delivered page by page (the report: one page). */
  loadAlerts(onPage: (alerts: UiAlert[]) => void): Promise<void>;
  /** One alert with its events and the host's surrounding events. */
  getAlert(id: string): Promise<UiAlert>;
  /** New alerts as they are detected (live only); returns an unsubscribe function. */
  subscribe?(onAlert: (a: UiAlert) => void, onState: (connected: boolean) => void): () => void;
  setStatus?(id: string, status: AlertStatus, reason?: string): Promise<UiAlert>;
  /** Append a note and/or set the assignee ('' clears it). */
  setNote?(id: string, change: { text?: string; assignee?: string }): Promise<UiAlert>;
  addException?(req: ExceptionRequest): Promise<void>;
  listRules?(): Promise<RuleList>;
  setRuleEnabled?(id: string, enabled: boolean): Promise<RuleInfo>;
  health?(): Promise<IngestHealth>;
  /** Share writes: who wrote which executable to which host's share, executed or not. */
  shares?(): Promise<{ rows: ShareRows; note?: string }>;
}

export class EmbeddedSource implements DataSource {
  readonly kind = 'report';
  readonly title: string;
  readonly generatedAt: string;
  private readonly alerts: UiAlert[];
  private readonly byId = new Map<string, UiAlert>();
  readonly shares?: () => Promise<{ rows: ShareRows; note?: string }>;

  constructor(data: ReportData) {
    this.title = data.title;
    this.generatedAt = data.generatedAt;
    this.alerts = data.alerts.map((p) => unpackAlert(p, data.events));
    for (const a of this.alerts) this.byId.set(a.id, a);
    const rows = data.shares;
    if (rows) this.shares = async () => ({ rows });
  }

  static fromDocument(doc: Document): EmbeddedSource | null {
    const el = doc.getElementById('spoor-data');
    if (!el?.textContent) return null;
    return new EmbeddedSource(JSON.parse(el.textContent) as ReportData);
  }

  async loadAlerts(onPage: (alerts: UiAlert[]) => void): Promise<void> {
    onPage(this.alerts);
  }

  async getAlert(id: string): Promise<UiAlert> {
    const a = this.byId.get(id);
    if (!a) throw new Error(`no alert ${id}`);
    return a;
  }
}

/** serve's API paths (issue 13), in one place. */
export const ENDPOINTS = {
  alerts: '/api/alerts',
  alert: (id: string) => `/api/alerts/${encodeURIComponent(id)}`,
  status: (id: string) => `/api/alerts/${encodeURIComponent(id)}/status`,
  note: (id: string) => `/api/alerts/${encodeURIComponent(id)}/note`,
  ruleEnabled: (id: string) => `/api/rules/${encodeURIComponent(id)}/enabled`,
  shares: '/api/shares',
  stream: '/api/alerts/stream',
  exceptions: '/api/exceptions',
  rules: '/api/rules',
  health: '/api/health',
} as const;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An API alert as the UI holds it; matched events carry their log seq as position. */
export function fromApiAlert(a: ApiAlertSummary | ApiAlertDetail): UiAlert {
  const loc = (e: ApiEvent): UiAlert['events'][number] => ({ file: `log:${e.host}`, position: e.seq, event: e.event });
  const out: UiAlert = {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    severity: a.severity,
    host: a.host,
    firstTime: a.firstTime,
    lastTime: a.lastTime,
    gapMs: a.gapMs,
    status: a.status,
    events: 'events' in a && Array.isArray(a.events) ? a.events.map(loc) : [],
  };
  if (a.riskScore !== undefined) out.riskScore = a.riskScore;
  if (a.mitre) out.mitre = a.mitre;
  if (a.filePath) out.filePath = a.filePath;
  if (a.statusReason) out.statusReason = a.statusReason;
  if (a.writer) out.writer = a.writer;
  if (a.process) out.process = a.process;
  if (a.assignee) out.assignee = a.assignee;
  if (a.noteCount) out.noteCount = a.noteCount;
  if (a.intel) out.intel = a.intel as UiAlert['intel'];
  if ('notes' in a && Array.isArray(a.notes)) out.notes = a.notes as ApiNote[];
  if ('surrounding' in a && Array.isArray(a.surrounding)) out.context = a.surrounding.map(loc);
  return out;
}

export class HttpSource implements DataSource {
  readonly kind = 'live';
  readonly title = 'spoor serve';
  private lastSeq = 0;

  constructor(
    private readonly base = '',
    private readonly token?: string,
    private readonly pageSize = 1000,
  ) {}

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (json) h['content-type'] = 'application/json';
    if (this.token) h['authorization'] = `Bearer ${this.token}`;
    return h;
  }

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(this.base + path, { ...init, headers: this.headers(init.body !== undefined) });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (!res.ok) throw new ApiError(res.status, isObj(body) && typeof body['message'] === 'string' ? body['message'] : `${res.status} ${res.statusText}`);
    return body as T;
  }

  async loadAlerts(onPage: (alerts: UiAlert[]) => void): Promise<void> {
    let after = 0;
    for (;;) {
      const page = await this.call<ApiAlertList>(`${ENDPOINTS.alerts}?after=${after}&limit=${this.pageSize}`);
      for (const a of page.alerts) this.lastSeq = Math.max(this.lastSeq, a.seq);
      onPage(page.alerts.map(fromApiAlert));
      if (page.next === null || page.alerts.length === 0) return;
      after = page.next;
    }
  }

  async getAlert(id: string): Promise<UiAlert> {
    return fromApiAlert(await this.call<ApiAlertDetail>(ENDPOINTS.alert(id)));
  }

  /** SSE over fetch: `id:`/`event:`/`data:` lines; on a drop, reconnects after 2 s resuming after the last seq. */
  subscribe(onAlert: (a: UiAlert) => void, onState: (connected: boolean) => void): () => void {
    const ctl = new AbortController();
    const run = async (): Promise<void> => {
      while (!ctl.signal.aborted) {
        try {
          const res = await fetch(`${this.base}${ENDPOINTS.stream}?after=${this.lastSeq}`, { headers: { ...this.headers(false), accept: 'text/event-stream' }, signal: ctl.signal });
          if (!res.ok || !res.body) throw new ApiError(res.status, `stream: ${res.status}`);
          onState(true);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let cut: number;
            while ((cut = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              this.takeSse(block, onAlert);
            }
          }
        } catch (e) {
          if (ctl.signal.aborted) return;
          void e;
        }
        onState(false);
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    void run();
    return () => ctl.abort();
  }

  private takeSse(block: string, onAlert: (a: UiAlert) => void): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (event !== 'alert' || data.length === 0) return;
    try {
      const a = JSON.parse(data.join('\n')) as ApiAlertSummary;
      if (typeof a.id !== 'string') return;
      this.lastSeq = Math.max(this.lastSeq, a.seq ?? 0);
      onAlert(fromApiAlert(a));
    } catch {
      /* a malformed message is skipped; a reload lists the alert */
    }
  }

  async setStatus(id: string, status: AlertStatus, reason?: string): Promise<UiAlert> {
    return fromApiAlert(await this.call<ApiAlertSummary>(ENDPOINTS.status(id), { method: 'POST', body: JSON.stringify(reason ? { status, reason } : { status }) }));
  }

  /** Read-modify-write of the exceptions file through the API: the value joins the rule's list once. */
  async addException(req: ExceptionRequest): Promise<void> {
    const cur = await this.call<ApiExceptions>(ENDPOINTS.exceptions);
    const rules = { ...(cur.rules ?? {}) };
    const set: ApiExceptionSet = { ...(rules[req.ruleId] ?? {}) };
    const key = EXCEPTION_KEYS[req.kind];
    const list = [...(set[key] ?? [])];
    if (!list.some((v) => v.toLowerCase() === req.value.toLowerCase())) list.push(req.value);
    set[key] = list;
    rules[req.ruleId] = set;
    await this.call<unknown>(ENDPOINTS.exceptions, { method: 'PUT', body: JSON.stringify({ global: cur.global ?? {}, rules }) });
  }

  async setNote(id: string, change: { text?: string; assignee?: string }): Promise<UiAlert> {
    const body: { text?: string; assignee?: string | null } = {};
    if (change.text !== undefined) body.text = change.text;
    if (change.assignee !== undefined) body.assignee = change.assignee === '' ? null : change.assignee;
    return fromApiAlert(await this.call<ApiAlertDetail>(ENDPOINTS.note(id), { method: 'POST', body: JSON.stringify(body) }));
  }

  async listRules(): Promise<RuleList> {
    const r = await this.call<ApiRules>(ENDPOINTS.rules);
    return { rules: r.rules, skipped: r.skipped ?? [], loadedAt: r.loadedAt };
  }

  async setRuleEnabled(id: string, enabled: boolean): Promise<RuleInfo> {
    return this.call<RuleInfo>(ENDPOINTS.ruleEnabled(id), { method: 'POST', body: JSON.stringify({ enabled }) });
  }

  async shares(): Promise<{ rows: ShareRows; note?: string }> {
    const r = await this.call<ApiShares>(ENDPOINTS.shares);
    return { rows: r.rows, note: `${r.eventsRead.toLocaleString('en-US')} events of the log read${r.truncated ? ' (the newest; older events not reviewed)' : ''}` };
  }

  async health(): Promise<IngestHealth> {
    return this.call<ApiHealth>(ENDPOINTS.health);
  }
}

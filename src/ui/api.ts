/**
 * The UI's only I/O: a DataSource with two implementations.
 * - `EmbeddedSource`: the HTML report's `<script type="application/json" id="spoor-data">`
 *   (output/report-data.ts packs it); read-only, no network.
 * - `HttpSource`: `spoor serve`'s REST API and its server-sent events (issue 13). Its paths are one
 *   table (ENDPOINTS) and its JSON shapes are read tolerantly, until serve/api-types.ts is merged
 *   and imported here (types only).
 */
import type { Severity } from '../ir/types.js';
import { unpackAlert, type ReportData } from '../output/report-data.js';
import type { AlertStatus, UiAlert } from './model/query.js';

export interface RuleInfo {
  id: string;
  name: string;
  severity?: Severity;
  enabled: boolean;
  hits: number;
}

export interface SourceHealth {
  source: string;
  host?: string;
  eventsPerSecond: number;
  lateEvents: number;
  parseErrors: number;
}

export interface IngestHealth {
  sources: SourceHealth[];
  checkpointAgeSeconds?: number;
  lateEvents?: number;
  parseErrors?: number;
  eventsPerSecond?: number;
}

export type ExceptionKind = 'signer' | 'path' | 'host' | 'account';
export interface ExceptionRequest {
  ruleId: string;
  kind: ExceptionKind;
  value: string;
  comment?: string;
}

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
  setNote?(id: string, note: string): Promise<UiAlert>;
  addException?(req: ExceptionRequest): Promise<void>;
  listRules?(): Promise<RuleInfo[]>;
  setRuleEnabled?(id: string, enabled: boolean): Promise<void>;
  health?(): Promise<IngestHealth>;
}

export class EmbeddedSource implements DataSource {
  readonly kind = 'report';
  readonly title: string;
  readonly generatedAt: string;
  private readonly alerts: UiAlert[];
  private readonly byId = new Map<string, UiAlert>();

  constructor(data: ReportData) {
    this.title = data.title;
    this.generatedAt = data.generatedAt;
    this.alerts = data.alerts.map((p) => unpackAlert(p, data.events));
    for (const a of this.alerts) this.byId.set(a.id, a);
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
  stream: '/api/alerts/stream',
  exceptions: '/api/exceptions',
  rules: '/api/rules',
  rule: (id: string) => `/api/rules/${encodeURIComponent(id)}`,
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

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export class HttpSource implements DataSource {
  readonly kind = 'live';
  readonly title = 'spoor serve';

  constructor(
    private readonly base = '',
    private readonly token?: string,
    private readonly pageSize = 5000,
  ) {}

  private async call(path: string, init: RequestInit = {}): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    const res = await fetch(this.base + path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, isObj(body) && typeof body['message'] === 'string' ? body['message'] : `${res.status} ${res.statusText}`);
    return body;
  }

  async loadAlerts(onPage: (alerts: UiAlert[]) => void): Promise<void> {
    let after: unknown;
    for (;;) {
      const q = new URLSearchParams({ limit: String(this.pageSize) });
      if (after !== undefined && after !== null) q.set('after', String(after));
      const body = await this.call(`${ENDPOINTS.alerts}?${q}`);
      const list = Array.isArray(body) ? body : isObj(body) && Array.isArray(body['alerts']) ? body['alerts'] : [];
      onPage(list.map(toUiAlert));
      after = isObj(body) ? (body['next'] ?? body['after']) : undefined;
      if (after === undefined || after === null || list.length === 0) return;
    }
  }

  async getAlert(id: string): Promise<UiAlert> {
    const body = await this.call(ENDPOINTS.alert(id));
    // `{alert, events, context}` or the alert itself.
    if (isObj(body) && isObj(body['alert'])) {
      const a = toUiAlert(body['alert']);
      if (Array.isArray(body['events'])) a.events = body['events'] as UiAlert['events'];
      if (Array.isArray(body['context'])) a.context = body['context'] as UiAlert['context'];
      return a;
    }
    return toUiAlert(body);
  }

  subscribe(onAlert: (a: UiAlert) => void, onState: (connected: boolean) => void): () => void {
    const url = new URL(this.base + ENDPOINTS.stream, location.href);
    if (this.token) url.searchParams.set('token', this.token);
    const es = new EventSource(url);
    const take = (ev: MessageEvent<string>): void => {
      try {
        onAlert(toUiAlert(JSON.parse(ev.data)));
      } catch {
        /* a malformed message is skipped; the next page load shows the alert */
      }
    };
    es.addEventListener('alert', take as EventListener);
    es.onmessage = take;
    es.onopen = () => onState(true);
    es.onerror = () => onState(false);
    return () => es.close();
  }

  async setStatus(id: string, status: AlertStatus, reason?: string): Promise<UiAlert> {
    return toUiAlert(await this.call(ENDPOINTS.status(id), { method: 'POST', body: JSON.stringify(reason ? { status, reason } : { status }) }));
  }

  async setNote(id: string, note: string): Promise<UiAlert> {
    return toUiAlert(await this.call(ENDPOINTS.note(id), { method: 'POST', body: JSON.stringify({ note }) }));
  }

  async addException(req: ExceptionRequest): Promise<void> {
    await this.call(ENDPOINTS.exceptions, { method: 'POST', body: JSON.stringify(req) });
  }

  async listRules(): Promise<RuleInfo[]> {
    const body = await this.call(ENDPOINTS.rules);
    const list = Array.isArray(body) ? body : isObj(body) && Array.isArray(body['rules']) ? body['rules'] : [];
    return list.filter(isObj).map((r) => ({
      id: String(r['id'] ?? ''),
      name: String(r['name'] ?? r['id'] ?? ''),
      severity: r['severity'] as Severity | undefined,
      enabled: r['enabled'] !== false,
      hits: Number(r['hits'] ?? r['alerts'] ?? 0),
    }));
  }

  async setRuleEnabled(id: string, enabled: boolean): Promise<void> {
    await this.call(ENDPOINTS.rule(id), { method: 'PATCH', body: JSON.stringify({ enabled }) });
  }

  async health(): Promise<IngestHealth> {
    const b = await this.call(ENDPOINTS.health);
    const o = isObj(b) ? b : {};
    const sources = Array.isArray(o['sources']) ? o['sources'].filter(isObj) : [];
    return {
      sources: sources.map((s) => ({ source: String(s['source'] ?? s['name'] ?? '?'), host: s['host'] === undefined ? undefined : String(s['host']), eventsPerSecond: Number(s['eventsPerSecond'] ?? 0), lateEvents: Number(s['lateEvents'] ?? 0), parseErrors: Number(s['parseErrors'] ?? 0) })),
      checkpointAgeSeconds: o['checkpointAgeSeconds'] === undefined ? undefined : Number(o['checkpointAgeSeconds']),
      lateEvents: o['lateEvents'] === undefined ? undefined : Number(o['lateEvents']),
      parseErrors: o['parseErrors'] === undefined ? undefined : Number(o['parseErrors']),
      eventsPerSecond: o['eventsPerSecond'] === undefined ? undefined : Number(o['eventsPerSecond']),
    };
  }
}

function toUiAlert(v: unknown): UiAlert {
  if (!isObj(v) || typeof v['id'] !== 'string') throw new ApiError(0, 'the server sent an alert without an id');
  const a = v as unknown as UiAlert;
  if (!Array.isArray(a.events)) a.events = [];
  return a;
}

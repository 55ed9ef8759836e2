/**
 * The JSON contract of `spoor serve`'s REST API, shared with ui/ (types only: no runtime code,
 * no imports of Node modules). Kept stable: fields are only ever added, never renamed or removed.
 *
 * Authentication: every /api/* route except GET /api/health takes `Authorization: Bearer TOKEN`
 * (scopes: `read` for GET, `admin` for changes; `admin` implies every scope).
 */

export type ApiSeverity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'closed';

/** One event of an alert or of its host's timeline, in the ECS view. */
export interface ApiEvent {
  /** Position in the server's event log (stable; usable as an id). */
  seq: number;
  /** ISO-8601 event time ('' when the event has none). */
  time: string;
  host: string;
  /** The event (ECS view for matched events; as received for timeline events). */
  event: Record<string, unknown>;
}

/** An alert as listed (GET /api/alerts). */
export interface ApiAlertSummary {
  /** Deterministic: a hash of the rule id and the matched events' identities. */
  id: string;
  /** Order of storage (monotonic); page with `after`. */
  seq: number;
  ruleId: string;
  ruleName: string;
  severity: ApiSeverity;
  riskScore?: number;
  mitre?: string[];
  host: string;
  filePath?: string;
  /** ISO-8601 times of the first and last matched events. */
  firstTime: string;
  lastTime: string;
  gapMs: number;
  /** When the server stored the alert (ISO-8601). */
  createdAt: string;
  status: AlertStatus;
  statusReason?: string;
  /** Later alerts of the same rule and group folded into this one by suppression. */
  suppressedCount: number;
  writer?: { ip?: string; user?: string; domain?: string; evidence?: string };
  process?: {
    executable?: string;
    pid?: number;
    commandLine?: string;
    parentExecutable?: string;
    signer?: string;
    signatureTrusted?: boolean;
    user?: string;
  };
}

/** GET /api/alerts/{id} */
export interface ApiAlertDetail extends ApiAlertSummary {
  /** The matched events in sequence order (ECS view). */
  events: ApiEvent[];
  /** Events of the same host around the alert's time (as received), oldest first. */
  surrounding: ApiEvent[];
}

/**
 * GET /api/alerts query parameters (all optional): `from`, `to` (ISO-8601, on firstTime),
 * `severity` (comma list), `rule` (rule id, comma list), `host`, `status` (comma list), `q` (text in
 * rule name, host, file path, command line), `after` (seq, for paging forward), `limit` (default
 * 100, max 1000). Newest first unless `after` is given (then oldest first from `after`).
 */
export interface ApiAlertList {
  alerts: ApiAlertSummary[];
  /** Pass as `after` (with order oldest-first) or `before` to get the next page; null at the end. */
  next: number | null;
  /** Matching alerts in total. */
  total: number;
}

/** POST /api/alerts/{id}/status body. */
export interface ApiStatusChange {
  status: AlertStatus;
  reason?: string;
}

/** GET /api/alerts/stream: Server-Sent Events; each `event: alert` carries one ApiAlertSummary as `data`. */
export type ApiAlertStreamEvent = { event: 'alert'; data: ApiAlertSummary } | { event: 'ping'; data: { time: string } };

/** GET /api/health */
export interface ApiHealth {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  eventsIn: number;
  /** Events in the log not yet through detection. */
  lag: number;
  lateEvents: number;
  parseErrors: number;
  alerts: number;
  queueDepth: number;
  /** Seconds since the last detection checkpoint (null before the first). */
  checkpointAgeSeconds: number | null;
  rulesLoaded: number;
}

/** GET /api/rules */
export interface ApiRules {
  rules: { id: string; name: string; severity: ApiSeverity; kind: string; source?: string }[];
  skipped: { id?: string; source: string; reason: string }[];
  loadedAt: string;
}

/** POST /api/rules/reload answer. */
export interface ApiReloadResult {
  rulesLoaded: number;
  /** Rules whose query did not change: their pending state was kept. */
  stateKept: number;
  skipped: { id?: string; source: string; reason: string }[];
}

/** GET/PUT /api/exceptions: the exceptions file's content (YAML keys, see docs/rules.md). */
export interface ApiExceptions {
  global: ApiExceptionSet;
  rules: Record<string, ApiExceptionSet>;
}

export interface ApiExceptionSet {
  trusted_signers?: string[];
  paths?: string[];
  hosts?: string[];
  accounts?: string[];
}

/** Every error answer: `{code, message}` with the HTTP status from serve/errors.ts. */
export interface ApiError {
  code: string;
  message: string;
}

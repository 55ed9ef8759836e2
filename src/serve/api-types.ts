/**
 * The JSON contract of `spoor serve`'s REST API, shared with ui/ (types only: no runtime code,
 * no imports of Node modules). Kept stable: fields are only ever added, never renamed or removed.
 *
 * Authentication: every /api/* route except GET /api/health takes `Authorization: Bearer TOKEN`
 * (scopes: `read` for GET, `triage` for an alert's status, notes and assignee, `admin` for rules,
 * exceptions and reloads; `triage` implies `read`, `admin` implies every scope).
 */

import type { ShareWriteRow } from '../shares/types.js';

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
  /** Who works the alert (free text: a name or a team), set with POST /api/alerts/{id}/note. */
  assignee?: string;
  /** Notes on the alert (their text is in the detail). */
  noteCount?: number;
  /** Threat-intel matches of the matched events' hashes (serve --intel): severity was raised one level. */
  intel?: { matches: { hash: string; algorithm: string; field: string; feed: string; name?: string; tags: string[] }[]; severityBefore: ApiSeverity };
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
  /** Notes, oldest first. */
  notes?: ApiNote[];
}

/** One note on an alert. */
export interface ApiNote {
  id: number;
  /** The name of the token that wrote it (`spoor serve token create --name`), else `token <id>`. */
  author: string;
  /** ISO-8601 time it was written. */
  time: string;
  text: string;
}

/**
 * POST /api/alerts/{id}/note body: a note to append, a new assignee (null or '' clears it), or
 * both. Answer: the alert's summary with `notes`.
 */
export interface ApiNoteRequest {
  text?: string;
  assignee?: string | null;
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
  /** Rules switched off with POST /api/rules/{id}/enabled. */
  rulesDisabled?: number;
  /** Only for a caller with a read token (the liveness fields above are open): */
  /** Ingest per source (shipper, index, remote address), busiest first. */
  sources?: ApiSourceHealth[];
  /** Ingest per host, busiest first. */
  hosts?: ApiHostHealth[];
  /** Per rule stage: whether the telemetry it needs was seen, per host (since the rules were last loaded). */
  blindSpots?: ApiBlindSpot[];
  /** Threat-intel feeds (serve --intel). */
  intel?: ApiIntelStatus;
}

export interface ApiSourceHealth {
  /** `shipper · index · remote address`. */
  key: string;
  /** The User-Agent's product (`Winlogbeat/8.17.0`, `curl/8.5.0`), or `unknown`. */
  shipper: string;
  /** The bulk action's `_index` (else the URL's), `-` for /ingest. */
  index: string;
  remote: string;
  events: number;
  /** Over the last 10 seconds (a window of whole seconds). */
  eventsPerSecond: number;
  parseErrors: number;
  requests: number;
  /** ISO-8601 wall time of the last request. */
  lastSeen: string;
  /** Seconds since the last request. */
  lastSeenAgeSeconds: number;
}

export interface ApiHostHealth {
  /** The host key events are ordered by (host.id when the event has one). */
  host: string;
  /** The host name seen with that key (differs from `host` when the key is a host.id). */
  name?: string;
  events: number;
  eventsPerSecond: number;
  /** Events older than what the host had already released to detection (still evaluated). */
  lateEvents: number;
  lastSeen: string;
  lastSeenAgeSeconds: number;
  /** The newest event time the host sent (ISO-8601). */
  newestEventTime?: string;
}

export interface ApiBlindSpot {
  ruleId: string;
  stage: string;
  needs: string;
  verdict: 'present' | 'partial' | 'absent' | 'unknown';
  hosts: number;
  /** Hosts (by name when known) that sent events but none meeting the need. */
  hostsWithout: string[];
  events: number;
  hint?: string;
  message: string;
}

export interface ApiIntelStatus {
  paths: string[];
  hashes: number;
  feeds: { file: string; format: string; hashes: number; skipped: number }[];
  /** ISO-8601 time the feeds were (re)loaded. */
  loadedAt: string;
  /** Alerts whose hashes matched since start. */
  alertsMatched: number;
  problems: number;
}

/** GET /api/rules */
export interface ApiRules {
  rules: ApiRuleInfo[];
  skipped: { id?: string; source: string; reason: string }[];
  loadedAt: string;
}

export interface ApiRuleInfo {
  id: string;
  name: string;
  severity: ApiSeverity;
  kind: string;
  source?: string;
  /** False when switched off with POST /api/rules/{id}/enabled (kept across restarts). */
  enabled?: boolean;
  /** Alerts stored for this rule. */
  hits?: number;
  /** ISO-8601 time of the rule's newest alert (first event time). */
  lastHit?: string;
  /** Who switched it last and when. */
  changedBy?: string;
  changedAt?: string;
}

/** POST /api/rules/{id}/enabled body (admin scope); the answer is the rule's ApiRuleInfo. */
export interface ApiRuleEnabledRequest {
  enabled: boolean;
}

/** GET /api/shares: the share-write review (spoor shares) over the event log held. */
export interface ApiShares {
  /** One row per (host, share, file, writer), as `spoor shares --format json` writes them. */
  rows: ShareWriteRow[];
  /** Events of the log read (the newest `eventsRead`; `truncated` when the log holds more). */
  eventsRead: number;
  truncated: boolean;
}

/** POST /api/rules/reload answer. */
export interface ApiReloadResult {
  rulesLoaded: number;
  /** Rules whose query did not change: their pending state was kept. */
  stateKept: number;
  skipped: { id?: string; source: string; reason: string }[];
  /** With --intel: the feeds reloaded too. */
  intel?: ApiIntelStatus;
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

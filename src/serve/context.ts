/** What route handlers share: the stores, the detection loop, counters and the alert broadcast. */
import type { ServerResponse } from 'node:http';
import type { ServeConfig } from './config.js';
import type { Db } from './store/db.js';
import type { EventStream } from './store/stream.js';
import type { AlertStore } from './store/alerts.js';
import type { TokenStore } from './store/tokens.js';
import type { DetectLoop } from './detect-loop.js';
import type { LoggedEvent } from './ingest-parse.js';
import type { ApiReloadResult, ApiRules } from './api-types.js';

export interface Counters {
  eventsIn: number;
  parseErrors: number;
  bulkRequests: number;
  rejected429: number;
  requestErrors: number;
  webhookDelivered: number;
  webhookFailed: number;
}

export interface ServeContext {
  config: ServeConfig;
  db: Db;
  stream: EventStream<LoggedEvent>;
  alerts: AlertStore;
  tokens: TokenStore;
  loop: DetectLoop;
  counters: Counters;
  startedMs: number;
  /** Open SSE connections. */
  sse: Set<ServerResponse>;
  rules(): ApiRules;
  reloadRules(): Promise<ApiReloadResult>;
  /** Events waiting for commit or detection. */
  queueDepth(): number;
  shuttingDown: boolean;
}

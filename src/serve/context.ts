/** What route handlers share: the stores, the detection loop, counters and the alert broadcast. */
import type { ServerResponse } from 'node:http';
import type { ServeConfig } from './config.js';
import type { Db } from './store/db.js';
import type { EventStream } from './store/stream.js';
import type { AlertStore } from './store/alerts.js';
import type { TokenStore } from './store/tokens.js';
import type { DetectLoop } from './detect-loop.js';
import type { ApiBlindSpot, ApiReloadResult, ApiRuleInfo, ApiRules } from './api-types.js';
import type { IngestStats } from './routes/ingest-stats.js';
import type { IntelFeeds } from './intel-feeds.js';
import type { Admission, QueueBudget } from './queue-budget.js';

export interface Counters {
  eventsIn: number;
  parseErrors: number;
  bulkRequests: number;
  rejected429: number;
  requestErrors: number;
  webhookDelivered: number;
  webhookFailed: number;
}

/**
 * What the ingest and Elasticsearch-compatible routes use: a single-node serve passes its
 * ServeContext; a cluster ingest node (cluster/ingest.ts) passes its own, whose `append`
 * publishes to NATS instead of the SQLite log.
 */
export interface IngestContext {
  config: ServeConfig;
  db: Db;
  stream: Pick<EventStream, 'append'>;
  counters: Counters;
  /** Events accepted but not yet through (back-pressure). */
  queueDepth(): number;
  /**
   * Byte back-pressure (config.maxQueueBytes), when the context keeps it: admit a request whose
   * body is estimated at `bytes` (null: the budget is spent, answer 429); the admission counts
   * the body until released.
   */
  admitBytes?(bytes: number): Admission | null;
  shuttingDown: boolean;
  /** Per-source/host ingest health (absent on cluster ingest nodes that keep none). */
  ingestStats?: IngestStats;
}

export interface ServeContext {
  config: ServeConfig;
  db: Db;
  stream: EventStream;
  alerts: AlertStore;
  tokens: TokenStore;
  loop: DetectLoop;
  counters: Counters;
  startedMs: number;
  /** Open SSE connections. */
  sse: Set<ServerResponse>;
  rules(): ApiRules;
  reloadRules(): Promise<ApiReloadResult>;
  /** Switch a rule on or off (persisted); null when no loaded rule has that id. */
  setRuleEnabled(id: string, enabled: boolean, by: string): Promise<ApiRuleInfo | null>;
  /** Loaded rules switched off (cheap: for the open health endpoint). */
  rulesDisabled(): number;
  /** Per rule stage and host: was the telemetry it needs seen (since the rules were last loaded). */
  blindSpots(): ApiBlindSpot[];
  /** Ingest health per source and host (absent on cluster ingest nodes, which reuse the ingest routes). */
  ingestStats?: IngestStats;
  intel: IntelFeeds | null;
  /** Events waiting for commit or detection. */
  queueDepth(): number;
  /** Bytes of ingest held in memory (queue-budget.ts). */
  budget: QueueBudget;
  admitBytes(bytes: number): Admission | null;
  shuttingDown: boolean;
}

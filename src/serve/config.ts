/**
 * `spoor serve` options, validated once at start into a complete ServeConfig (every default
 * spelled out here, and in docs/serve.md).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServeConfigError } from './errors.js';
import type { FsyncPolicy } from './store/db.js';
import type { SuppressionRule } from './store/alerts.js';

export interface WebhookTarget {
  url: string;
  /** 'spoor' (ApiAlertSummary + events) or 'ecs' (kibana.alert.* document). */
  format?: 'spoor' | 'ecs';
  /** Extra headers (e.g. Authorization for the receiver). */
  headers?: Record<string, string>;
}

export interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  rulesDirs?: string[];
  sigmaDirs?: string[];
  excludeRules?: string[];
  exceptionsFile?: string;
  hunting?: boolean;
  tls?: { cert: string; key: string };
  /** Event-time lateness each host's buffer waits for (default 5000 ms). */
  allowedLatenessMs?: number;
  /** Release a host's events early when every live source of it is in order (reorder.ts sourceOrder; default false). */
  sourceOrder?: boolean;
  /** Group commit: longest wait before a commit (default 5 ms). */
  commitDelayMs?: number;
  fsync?: FsyncPolicy;
  /** Commit the event log in a writer thread (default true). */
  writerThread?: boolean;
  /** Events waiting for durable commit or detection above which _bulk answers 429 (default 200000). */
  maxQueue?: number;
  /**
   * Bytes of ingest held in memory above which _bulk answers 429 (default 128 MiB): bodies of
   * requests admitted and not yet answered, and committed documents waiting for detection.
   */
  maxQueueBytes?: number;
  maxBodyBytes?: number;
  maxLineBytes?: number;
  /** Whole request (headers + body) deadline in ms (slowloris guard; default 60000). */
  requestTimeoutMs?: number;
  retention?: { maxEvents?: number; maxAgeMs?: number };
  checkpointIntervalMs?: number;
  /** The Elasticsearch version `GET /` reports (default 8.17.0). */
  esVersion?: string;
  webhooks?: WebhookTarget[];
  suppression?: Record<string, SuppressionRule>;
  /** On first start with no token at all, create an ingest and an admin token (default true). */
  bootstrapTokens?: boolean;
  /** Informational lines (start-up, reloads); default: none. */
  onLog?: (line: string) => void;
  /** Threat-intel hash feeds (files or directories) new alerts are enriched from (intel-feeds.ts). */
  intel?: string[];
  /** How often feed files are checked for changes, in ms (default 30000; 0: only on reload/SIGHUP). */
  intelCheckMs?: number;
}

export interface ServeConfig {
  host: string;
  port: number;
  dataDir: string;
  rulesDirs: string[];
  sigmaDirs: string[];
  excludeRules: string[];
  exceptionsFile: string | undefined;
  hunting: boolean;
  tls: { cert: string; key: string } | undefined;
  allowedLatenessMs: number;
  sourceOrder: boolean;
  commitDelayMs: number;
  fsync: FsyncPolicy;
  writerThread: boolean;
  maxQueue: number;
  maxQueueBytes: number;
  maxBodyBytes: number;
  maxLineBytes: number;
  requestTimeoutMs: number;
  retention: { maxEvents: number; maxAgeMs: number };
  checkpointIntervalMs: number;
  esVersion: string;
  webhooks: WebhookTarget[];
  suppression: Record<string, SuppressionRule>;
  bootstrapTokens: boolean;
  onLog: (line: string) => void;
  intel: string[];
  intelCheckMs: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 9200,
  dataDir: './spoor-data',
  allowedLatenessMs: 5000,
  sourceOrder: false,
  commitDelayMs: 5,
  maxQueue: 200_000,
  maxQueueBytes: 128 * 1024 * 1024,
  maxBodyBytes: 100 * 1024 * 1024,
  maxLineBytes: 4 * 1024 * 1024,
  requestTimeoutMs: 60_000,
  maxEvents: 50_000_000,
  maxAgeMs: 7 * 24 * 3600_000,
  checkpointIntervalMs: 1000,
  esVersion: '8.17.0',
  intelCheckMs: 30_000,
} as const;

function num(v: number | undefined, def: number, what: string, min: number): number {
  const n = v ?? def;
  if (!Number.isFinite(n) || n < min) throw new ServeConfigError(`${what} must be a number ≥ ${min} (got ${String(v)})`);
  return n;
}

export function resolveConfig(o: ServeOptions): ServeConfig {
  const port = num(o.port, DEFAULTS.port, 'port', 0);
  if (port > 65535 || !Number.isInteger(port)) throw new ServeConfigError(`port must be an integer 0-65535 (got ${port})`);
  if (o.tls) for (const f of [o.tls.cert, o.tls.key]) if (!existsSync(f)) throw new ServeConfigError(`TLS file not found: ${f}`);
  for (const p of o.intel ?? []) if (!existsSync(p)) throw new ServeConfigError(`intel feed not found: ${p}`);
  if (o.exceptionsFile && !existsSync(o.exceptionsFile)) throw new ServeConfigError(`exceptions file not found: ${o.exceptionsFile}`);
  for (const w of o.webhooks ?? []) {
    try {
      const u = new URL(w.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch (e) {
      throw new ServeConfigError(`webhook URL '${w.url}' is not valid: ${(e as Error).message}`);
    }
  }
  if (!/^\d+\.\d+\.\d+/.test(o.esVersion ?? DEFAULTS.esVersion)) throw new ServeConfigError(`esVersion must look like 8.17.0`);
  return {
    host: o.host ?? DEFAULTS.host,
    port,
    dataDir: resolve(o.dataDir ?? DEFAULTS.dataDir),
    rulesDirs: o.rulesDirs ?? [],
    sigmaDirs: o.sigmaDirs ?? [],
    excludeRules: o.excludeRules ?? [],
    exceptionsFile: o.exceptionsFile ? resolve(o.exceptionsFile) : undefined,
    hunting: o.hunting ?? false,
    tls: o.tls,
    allowedLatenessMs: num(o.allowedLatenessMs, DEFAULTS.allowedLatenessMs, 'allowed lateness', 0),
    sourceOrder: o.sourceOrder ?? DEFAULTS.sourceOrder,
    commitDelayMs: num(o.commitDelayMs, DEFAULTS.commitDelayMs, 'commit delay', 0),
    fsync: o.fsync ?? 'commit',
    writerThread: o.writerThread ?? true,
    maxQueue: num(o.maxQueue, DEFAULTS.maxQueue, 'max queue', 1),
    maxQueueBytes: num(o.maxQueueBytes, DEFAULTS.maxQueueBytes, 'max queue bytes', 1024),
    maxBodyBytes: num(o.maxBodyBytes, DEFAULTS.maxBodyBytes, 'max body bytes', 1024),
    maxLineBytes: num(o.maxLineBytes, DEFAULTS.maxLineBytes, 'max line bytes', 256),
    requestTimeoutMs: num(o.requestTimeoutMs, DEFAULTS.requestTimeoutMs, 'request timeout', 100),
    retention: {
      maxEvents: num(o.retention?.maxEvents, DEFAULTS.maxEvents, 'retention max events', 1),
      maxAgeMs: num(o.retention?.maxAgeMs, DEFAULTS.maxAgeMs, 'retention max age', 1),
    },
    checkpointIntervalMs: num(o.checkpointIntervalMs, DEFAULTS.checkpointIntervalMs, 'checkpoint interval', 1),
    esVersion: o.esVersion ?? DEFAULTS.esVersion,
    webhooks: o.webhooks ?? [],
    suppression: o.suppression ?? {},
    bootstrapTokens: o.bootstrapTokens ?? true,
    onLog: o.onLog ?? (() => {}),
    intel: (o.intel ?? []).map((p) => resolve(p)),
    intelCheckMs: num(o.intelCheckMs, DEFAULTS.intelCheckMs, 'intel check interval', 0),
  };
}

/**
 * `spoor serve`: always-on detection behind an Elasticsearch-shaped ingest endpoint.
 *
 *   const s = await startServe({ port: 0, dataDir });   // s.url, s.tokens (first start), s.close()
 *
 * Shippers POST to `/_bulk`; events are appended durably to a SQLite log (store/stream.ts), then
 * run through the same detection loop as `hunt` in per-host time order (detect-loop.ts); alerts
 * are stored, streamed (SSE) and sent to webhooks. See docs/serve.md.
 */
import { createServer as createHttp, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Rule } from '../ir/types.js';
import { loadHuntRules } from '../hunt/load-rules.js';
import { loadExceptions, type Exceptions } from '../rules/exceptions.js';
import { resolveConfig, type ServeConfig, type ServeOptions } from './config.js';
import { openDb } from './store/db.js';
import { EventStream } from './store/stream.js';
import { Checkpoints } from './store/checkpoints.js';
import { AlertStore } from './store/alerts.js';
import { TokenStore, type Scope } from './store/tokens.js';
import { DetectLoop } from './detect-loop.js';
import { Router, dispatchRequests } from './http.js';
import { authorize } from './auth.js';
import type { Counters, ServeContext } from './context.js';
import type { ApiBlindSpot, ApiReloadResult, ApiRuleInfo, ApiRules, ApiSeverity } from './api-types.js';
import { RuleStateStore } from './store/rule-state.js';
import { IngestStats } from './routes/ingest-stats.js';
import { IntelFeeds } from './intel-feeds.js';
import { buildBlindSpots } from '../hunt/blind-spots.js';
import { emptyTelemetry, needsOf, type TelemetryCounts } from '../hunt/telemetry.js';
import { isStateless } from '../hunt/detector.js';
import { registerEsCompat } from './routes/es-compat.js';
import { registerIngest } from './routes/ingest.js';
import { registerAlerts, writeSse } from './routes/alerts.js';
import { registerRules } from './routes/rules.js';
import { registerHealth } from './routes/health.js';
import { registerShares } from './routes/shares.js';
import { Webhooks } from './webhooks.js';
import { QueueBudget } from './queue-budget.js';

export type { ServeOptions, ServeConfig, WebhookTarget } from './config.js';
export { ServeConfigError, ServeError } from './errors.js';
export { SCOPES, type Scope } from './store/tokens.js';
export { DEFAULTS as SERVE_DEFAULTS } from './config.js';

export interface ServeHandle {
  url: string;
  config: ServeConfig;
  /** Tokens created at this start (first start with an empty store), shown once. */
  createdTokens: { scope: Scope; token: string }[];
  /** Rules that could not be loaded, with reasons. */
  rulesSkipped: { id?: string; source: string; reason: string }[];
  rulesLoaded: number;
  reloadRules(): Promise<ApiReloadResult>;
  /** For tests and the fault suite: the context (stores, loop). */
  context: ServeContext;
  close(): Promise<void>;
}

export const DB_FILE = 'spoor.db';

function ruleInfo(r: Rule, hits: ReturnType<AlertStore['hitsByRule']>, switches: ReturnType<RuleStateStore['all']>): ApiRuleInfo {
  const h = hits.get(r.id);
  const sw = switches.get(r.id);
  const out: ApiRuleInfo = { id: r.id, name: r.name, severity: r.severity as ApiSeverity, kind: r.query.kind, source: r.source, enabled: sw ? sw.enabled : true, hits: h?.hits ?? 0 };
  if (h?.lastMs != null) out.lastHit = new Date(h.lastMs).toISOString();
  if (sw) {
    out.changedBy = sw.changedBy;
    out.changedAt = new Date(sw.changedMs).toISOString();
  }
  return out;
}

/** Open the data directory's store (for `spoor serve token …`). */
export function openTokenStore(dataDir: string): { tokens: TokenStore; close(): void } {
  mkdirSync(dataDir, { recursive: true });
  const db = openDb(join(dataDir, DB_FILE));
  return { tokens: new TokenStore(db), close: () => db.close() };
}

export async function startServe(opts: ServeOptions = {}): Promise<ServeHandle> {
  const config = resolveConfig(opts);
  mkdirSync(config.dataDir, { recursive: true });
  const dbPath = join(config.dataDir, DB_FILE);
  const db = openDb(dbPath, config.fsync);
  const tokens = new TokenStore(db);
  const createdTokens: ServeHandle['createdTokens'] = [];
  if (config.bootstrapTokens && tokens.count() === 0) {
    for (const scope of ['ingest', 'admin'] as const) createdTokens.push({ scope, token: tokens.create([scope], `created at first start (${scope})`).token });
  }
  const exceptionsPath = (): string => config.exceptionsFile ?? join(config.dataDir, 'exceptions.yml');
  const loadRules = async (): Promise<{ rules: Rule[]; skipped: ApiRules['skipped']; exceptions: Exceptions | undefined }> => {
    const exFile = existsSync(exceptionsPath()) ? exceptionsPath() : undefined;
    const r = await loadHuntRules({ rulesDirs: config.rulesDirs, sigmaDirs: config.sigmaDirs, excludeRules: config.excludeRules, exceptionsFile: exFile, hunting: config.hunting });
    return { rules: r.rules, skipped: r.skipped, exceptions: exFile ? loadExceptions(exFile) : undefined };
  };
  let loaded = await loadRules();
  let loadedAt = new Date().toISOString();
  const ruleStates = new RuleStateStore(db);
  // A rule switched off through the API is left out of detection: no alert, no state.
  const enabledRules = (): Rule[] => {
    const off = ruleStates.disabled();
    return off.size === 0 ? loaded.rules : loaded.rules.filter((r) => !off.has(r.id));
  };

  const alerts = new AlertStore(db, config.suppression);
  const ingestStats = new IngestStats();
  const intel = config.intel.length > 0 ? new IntelFeeds(config.intel, (ix) => alerts.setIntel(ix), config.onLog, () => alerts.intelMatched) : null;
  if (intel) {
    await intel.reload();
    intel.watch(config.intelCheckMs);
  }
  const checkpoints = new Checkpoints(db);
  const counters: Counters = { eventsIn: 0, parseErrors: 0, bulkRequests: 0, rejected429: 0, requestErrors: 0, webhookDelivered: 0, webhookFailed: 0 };
  const sse = new Set<ServerResponse>();
  let loop: DetectLoop | null = null;
  const stream = new EventStream(db, {
    path: dbPath,
    fsync: config.fsync,
    writerThread: config.writerThread,
    commitDelayMs: config.commitDelayMs,
    maxBatch: 20_000,
    onCommitted: (first, batch) => loop?.enqueue(first, batch),
  });
  let webhooks: Webhooks | null = null;
  const log = config.onLog;
  loop = new DetectLoop({
    db,
    stream,
    checkpoints,
    alerts,
    rules: enabledRules(),
    exceptions: loaded.exceptions,
    onLate: (host) => ingestStats.late(host),
    allowedLatenessMs: config.allowedLatenessMs,
    sourceOrder: config.sourceOrder,
    checkpointIntervalMs: config.checkpointIntervalMs,
    maxInbox: config.maxQueue,
    // Requests are admitted within maxQueueBytes (queue-budget.ts); the slack covers commits of requests admitted just before the inbox filled.
    maxInboxBytes: 2 * config.maxQueueBytes,
    onNewAlertTx: (a) => webhooks?.enqueue(a),
    onNewAlert: (a) => {
      if (sse.size === 0) return;
      const got = alerts.get(a.id);
      if (got) for (const res of sse) writeSse(res, got.summary);
    },
    onProblem: (m) => log(`problem: ${m}`),
  });
  const theLoop = loop;
  const budget = new QueueBudget(config.maxQueueBytes, () => theLoop.queuedBytes);
  await theLoop.ready;
  webhooks = new Webhooks(db, config.webhooks, alerts, counters);

  const ctx: ServeContext = {
    config,
    db,
    stream,
    alerts,
    tokens,
    loop: theLoop,
    counters,
    startedMs: Date.now(),
    sse,
    shuttingDown: false,
    queueDepth: () => stream.pending + theLoop.lag,
    budget,
    admitBytes: (bytes) => budget.admit(bytes),
    rules: () => {
      const hits = alerts.hitsByRule();
      const switches = ruleStates.all();
      return { rules: loaded.rules.map((r) => ruleInfo(r, hits, switches)), skipped: loaded.skipped, loadedAt };
    },
    reloadRules: async () => {
      const next = await loadRules();
      loaded = next;
      loadedAt = new Date().toISOString();
      const stateKept = await theLoop.reload(enabledRules(), next.exceptions);
      log(`rules reloaded: ${theLoop.ruleCount} rules (${stateKept} kept their state), ${next.skipped.length} skipped`);
      const out: ApiReloadResult = { rulesLoaded: theLoop.ruleCount, stateKept, skipped: next.skipped };
      if (intel) out.intel = await intel.reload();
      return out;
    },
    setRuleEnabled: async (id, enabled, by) => {
      const rule = loaded.rules.find((r) => r.id === id);
      if (!rule) return null;
      ruleStates.set(id, enabled, by);
      const kept = await theLoop.reload(enabledRules(), loaded.exceptions);
      log(`rule ${id} ${enabled ? 'enabled' : 'disabled'} by ${by}: ${theLoop.ruleCount} rules running (${kept} kept their state)`);
      return ruleInfo(rule, alerts.hitsByRule(), ruleStates.all());
    },
    rulesDisabled: () => loaded.rules.length - enabledRules().length,
    blindSpots: (): ApiBlindSpot[] => {
      // The detection thread runs single-event and stateful rules in two detectors (detect-worker.ts).
      const t = theLoop.telemetry;
      const rules = theLoop.loadedRules;
      const parts: [Rule[], TelemetryCounts | null][] = [
        [rules.filter(isStateless), t?.instant ?? null],
        [rules.filter((r) => !isStateless(r)), t?.ordered ?? null],
      ];
      const spots = parts.flatMap(([rs, c]) => {
        const counts: TelemetryCounts = c ?? emptyTelemetry();
        const names: Record<string, string> = { ...(counts.names ?? {}) };
        for (const h of Object.keys(counts.hosts)) if (names[h] === undefined && ingestStats.nameOf(h) !== h) names[h] = ingestStats.nameOf(h);
        return rs.length === 0 ? [] : buildBlindSpots(needsOf(rs), { ...counts, names }, 0);
      });
      return spots.map((b) => {
        const x: ApiBlindSpot = { ruleId: b.ruleId, stage: b.stage, needs: b.needs, verdict: b.verdict, hosts: b.hosts, hostsWithout: b.hostsWithout, events: b.events, message: b.message };
        if (b.hint) x.hint = b.hint;
        return x;
      });
    },
    ingestStats,
    intel,
  };

  const router = new Router();
  registerEsCompat(router, ctx);
  registerIngest(router, ctx);
  registerAlerts(router, ctx);
  registerRules(router, ctx, exceptionsPath);
  registerHealth(router, ctx);
  registerShares(router, ctx);

  const onRequest = dispatchRequests(router, (req, scope) => authorize(req, tokens, scope), { onError: () => counters.requestErrors++, log });
  // Node checks request deadlines every connectionsCheckingInterval (30 s by default): tighter here.
  const httpOpts = { connectionsCheckingInterval: Math.max(50, Math.min(1000, config.requestTimeoutMs / 4)) };
  const server: Server = config.tls
    ? createHttps({ ...httpOpts, cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, onRequest)
    : createHttp(httpOpts, onRequest);
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.requestTimeoutMs, 20_000);
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    counters.requestErrors++;
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nX-Elastic-Product: Elasticsearch\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostText = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${config.tls ? 'https' : 'http'}://${hostText}:${addr.port}`;

  // Retention: never below the durable replay point.
  const retention = setInterval(() => {
    const cp = checkpoints.load('detect');
    if (!cp) return;
    const n = stream.prune(cp.replayFrom, config.retention.maxEvents, config.retention.maxAgeMs);
    if (n > 0) log(`retention: ${n} old events deleted`);
  }, 30_000);
  retention.unref();

  let closing: Promise<void> | null = null;
  return {
    url,
    config,
    createdTokens,
    rulesSkipped: loaded.skipped,
    rulesLoaded: theLoop.ruleCount,
    reloadRules: ctx.reloadRules,
    context: ctx,
    close: () => {
      closing ??= (async () => {
        ctx.shuttingDown = true;
        clearInterval(retention);
        intel?.close();
        for (const res of sse) res.end();
        sse.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Requests still running get 2 s to finish; then their connections are cut so a stop never waits on a client.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        await stream.close();
        theLoop.pump();
        await theLoop.close();
        webhooks?.close();
        db.close();
      })();
      return closing;
    },
  };
}

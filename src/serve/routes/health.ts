/**
 * `GET /api/health` (open: liveness for load balancers; with a read token also ingest per source
 * and host, blind spots and intel feeds) and `GET /metrics` (Prometheus text, scope read).
 */
import { ownThreadId, threadCpuSeconds } from '../thread-cpu.js';
import type { IncomingMessage } from 'node:http';
import { authorize } from '../auth.js';
import type { Router } from '../http.js';
import { sendJson } from '../http.js';
import type { ServeContext } from '../context.js';
import type { ApiHealth } from '../api-types.js';

export const VERSION = '0.1.0';

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function health(ctx: ServeContext): ApiHealth {
  const cp = ctx.loop.checkpointSavedMs;
  const lag = ctx.loop.lag;
  return {
    status: ctx.queueDepth() >= ctx.config.maxQueue || ctx.budget.refusing() ? 'degraded' : 'ok',
    version: VERSION,
    uptimeSeconds: Math.round((Date.now() - ctx.startedMs) / 1000),
    eventsIn: ctx.counters.eventsIn,
    lag,
    lateEvents: ctx.loop.stats.late,
    parseErrors: ctx.counters.parseErrors,
    alerts: ctx.loop.stats.alertsNew,
    queueDepth: ctx.queueDepth(),
    checkpointAgeSeconds: cp === null ? null : (Date.now() - cp) / 1000,
    rulesLoaded: ctx.loop.ruleCount,
    rulesDisabled: ctx.rulesDisabled(),
  };
}

/** Whether the request carries a token with read scope (no error when it does not). */
function canRead(req: IncomingMessage, ctx: ServeContext): boolean {
  if (!req.headers.authorization) return false;
  try {
    authorize(req, ctx.tokens, 'read');
    return true;
  } catch {
    return false;
  }
}

/** Health with the details a read token may see. */
export function healthDetail(ctx: ServeContext): ApiHealth {
  const h = health(ctx);
  h.sources = ctx.ingestStats?.sourceHealth() ?? [];
  h.hosts = ctx.ingestStats?.hostHealth() ?? [];
  h.blindSpots = ctx.blindSpots();
  if (ctx.intel) h.intel = ctx.intel.current();
  return h;
}

export function registerHealth(r: Router, ctx: ServeContext): void {
  r.add(['GET', 'HEAD'], '/api/health', null, ({ req, res }) => sendJson(res, 200, canRead(req, ctx) ? healthDetail(ctx) : health(ctx)));
  let lastIn = 0;
  let lastMs = Date.now();
  let rate = 0;
  r.add('GET', '/metrics', 'read', ({ res }) => {
    const h = health(ctx);
    const now = Date.now();
    if (now - lastMs >= 1000) {
      rate = ((ctx.counters.eventsIn - lastIn) * 1000) / (now - lastMs);
      lastIn = ctx.counters.eventsIn;
      lastMs = now;
    }
    const s = ctx.loop.stats;
    const mem = process.memoryUsage();
    const lines: [string, string, string, number | null][] = [
      ['spoor_events_in_total', 'counter', 'Events durably appended to the log', h.eventsIn],
      ['spoor_events_per_second', 'gauge', 'Events appended per second (since the previous scrape)', rate],
      ['spoor_events_detected_total', 'counter', 'Events through detection', s.fed],
      ['spoor_detection_lag_events', 'gauge', 'Events in the log not yet through detection', h.lag],
      ['spoor_late_events_total', 'counter', 'Events older than their host watermark (still evaluated)', s.late],
      ['spoor_no_timestamp_events_total', 'counter', 'Events without a recognisable time', s.noTimestamp],
      ['spoor_parse_errors_total', 'counter', 'Documents rejected as not JSON objects', h.parseErrors],
      ['spoor_alerts_total', 'counter', 'Alerts stored', s.alertsNew],
      ['spoor_alerts_duplicate_total', 'counter', 'Alerts found again (replay) and ignored', s.alertsDuplicate],
      ['spoor_alerts_suppressed_total', 'counter', 'Alerts folded into an earlier one by suppression', s.alertsSuppressed],
      ['spoor_alerts_excepted_total', 'counter', 'Alerts removed by exceptions', s.alertsExcepted],
      ['spoor_queue_depth', 'gauge', 'Events waiting for commit or detection', h.queueDepth],
      ['spoor_queue_bytes', 'gauge', 'Bytes of ingest held in memory: bodies of requests admitted and not answered, committed documents waiting for detection (429 at --max-queue-bytes)', ctx.budget.bytes],
      ['spoor_ingest_requests_admitted', 'gauge', 'Ingest requests admitted and not answered yet', ctx.budget.requests],
      ['spoor_commit_pending_events', 'gauge', 'Events waiting for their group commit', ctx.stream.pending],
      ['spoor_detect_inbox_events', 'gauge', 'Committed events waiting in memory for the detection thread', ctx.loop.inboxDepth],
      ['spoor_detect_in_flight_events', 'gauge', 'Events posted to the detection thread and not answered yet', ctx.loop.inFlight],
      ['spoor_reorder_held_events', 'gauge', 'Events held for their host watermark (allowed lateness)', ctx.loop.heldEvents],
      ['spoor_bulk_requests_total', 'counter', 'Bulk requests', ctx.counters.bulkRequests],
      ['spoor_rejected_429_total', 'counter', 'Requests answered 429 (queue full)', ctx.counters.rejected429],
      ['spoor_request_errors_total', 'counter', 'Requests answered with an error', ctx.counters.requestErrors],
      ['spoor_webhook_delivered_total', 'counter', 'Webhook deliveries', ctx.counters.webhookDelivered],
      ['spoor_webhook_failed_attempts_total', 'counter', 'Failed webhook attempts (retried)', ctx.counters.webhookFailed],
      ['spoor_detect_restarts_total', 'counter', 'Times the detection thread died and was restarted from the last checkpoint', s.detectRestarts],
      ['spoor_snapshot_restores_total', 'counter', 'Starts that resumed from a checkpoint\'s engine state (no replay of the rules\' window)', s.snapshotRestores],
      ['spoor_checkpoint_age_seconds', 'gauge', 'Seconds since the last detection checkpoint', h.checkpointAgeSeconds],
      ['spoor_rules_loaded', 'gauge', 'Rules running', h.rulesLoaded],
      ['spoor_log_commits_total', 'counter', 'Group commits of the event log', ctx.stream.commits],
      ['spoor_resident_memory_bytes', 'gauge', 'Resident set size', mem.rss],
      ['spoor_external_memory_bytes', 'gauge', 'Memory outside the V8 heap held by JS objects (buffers, shared buffers), main thread', mem.external],
      ['process_cpu_seconds_total', 'counter', 'User and system CPU time of the server process', cpuSeconds()],
    ];
    let text = lines
      .filter((l) => l[3] !== null)
      .map(([name, type, help, v]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${v}\n`)
      .join('');
    text += `# HELP spoor_heap_used_bytes V8 heap in use per thread (main: HTTP, ingest, reorder; detect: parsed events held, rule state)\n# TYPE spoor_heap_used_bytes gauge\nspoor_heap_used_bytes{thread="main"} ${mem.heapUsed}\n`;
    if (ctx.loop.detectHeapUsed !== null) text += `spoor_heap_used_bytes{thread="detect"} ${ctx.loop.detectHeapUsed}\n`;
    text += `# HELP spoor_heap_total_bytes V8 heap committed per thread (young generation included)\n# TYPE spoor_heap_total_bytes gauge\nspoor_heap_total_bytes{thread="main"} ${mem.heapTotal}\n`;
    if (ctx.loop.detectHeapTotal !== null) text += `spoor_heap_total_bytes{thread="detect"} ${ctx.loop.detectHeapTotal}\n`;
    const threads: [string, number | null][] = [
      ['main', ownThreadId()],
      ['writer', ctx.stream.writerTid],
      ['detect', ctx.loop.detectTid],
    ];
    const cpu = threads.map(([t, tid]) => [t, tid === null ? null : threadCpuSeconds(tid)] as const).filter((x) => x[1] !== null);
    if (cpu.length > 0) {
      text += '# HELP spoor_thread_cpu_seconds_total User and system CPU time per server thread (main: HTTP, ingest, reorder, alerts; writer: log commits; detect: parsing and rules)\n# TYPE spoor_thread_cpu_seconds_total counter\n';
      for (const [t, v] of cpu) text += `spoor_thread_cpu_seconds_total{thread="${t}"} ${v}\n`;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
  });
}

/**
 * An ingest node (`spoor serve --role ingest --nats URL`): the same HTTP surface and parsing as
 * single-node serve (serve's es-compat and ingest routes, unchanged), but the "append" publishes
 * each normalized event to JetStream on `spoor.in.<host>` (the server maps it to its partition)
 * with `Nats-Msg-Id` = a hash of the document as received, and the request is answered only after
 * JetStream acknowledged every event: a 2xx item means the event is in the stream; a shipper's
 * retry of the same batch within the duplicate window stores nothing twice.
 *
 * The node also runs the alert sink (sink.ts) into its data directory's alert store unless
 * `sink: false`.
 */
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveConfig, type ServeOptions } from '../serve/config.js';
import { openDb } from '../serve/store/db.js';
import { TokenStore, type Scope } from '../serve/store/tokens.js';
import { AlertStore } from '../serve/store/alerts.js';
import { Router, dispatchRequests } from '../serve/http.js';
import { authorize } from '../serve/auth.js';
import type { Counters, IngestContext } from '../serve/context.js';
import { registerEsCompat } from '../serve/routes/es-compat.js';
import { registerIngest } from '../serve/routes/ingest.js';
import type { RequestEvents } from '../serve/ingest-batch.js';
import { DB_FILE } from '../serve/index.js';
import { Bus, type NatsAuth } from './nats.js';
import { ingestSubject } from './subjects.js';
import { startAlertSink, type AlertSink } from './sink.js';
import { RuleStateStore } from '../serve/store/rule-state.js';
import { IntelFeeds } from '../serve/intel-feeds.js';
import { ControlPlane } from './control.js';
import { registerClusterRules } from './control-routes.js';

export interface IngestNodeOptions extends ServeOptions {
  natsUrl: string;
  natsAuth?: NatsAuth;
  /** Run the alert sink in this process (default true). */
  sink?: boolean;
  /** Stream replicas when this node creates the streams. */
  replicas?: number;
}

export interface IngestNode {
  url: string;
  createdTokens: { scope: Scope; token: string }[];
  counters: Counters & { published: number; duplicates: number };
  alerts: AlertStore;
  sink: AlertSink | null;
  close(): Promise<void>;
}

/** The per-event message id: the document as received, hashed (retries are byte-identical). */
export function eventMsgId(raw: string): string {
  return createHash('sha256').update(raw).digest('base64url').slice(0, 32);
}

export async function startIngestNode(o: IngestNodeOptions): Promise<IngestNode> {
  const config = resolveConfig(o);
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDb(join(config.dataDir, DB_FILE), config.fsync);
  const tokens = new TokenStore(db);
  const createdTokens: IngestNode['createdTokens'] = [];
  if (config.bootstrapTokens && tokens.count() === 0) {
    for (const scope of ['ingest', 'admin'] as const) createdTokens.push({ scope, token: tokens.create([scope], `created at first start (${scope})`).token });
  }
  const alerts = new AlertStore(db, config.suppression);
  const bus = await Bus.connect(o.natsUrl, 'spoor-ingest', o.natsAuth);
  await bus.ensureStreams(o.replicas ?? 1);
  // Rule switches and intel for the detector nodes (control.ts). Switches persisted in this
  // node's store seed a control bucket that has none (e.g. a new NATS deployment).
  const plane = await ControlPlane.open(bus, o.replicas ?? 1);
  const ruleStates = new RuleStateStore(db);
  const persisted: Record<string, { by: string; atMs: number }> = {};
  for (const [id, sw] of ruleStates.all()) if (!sw.enabled) persisted[id] = { by: sw.changedBy, atMs: sw.changedMs };
  if (await plane.seedSwitches(persisted)) config.onLog(`rule switches: ${Object.keys(persisted).length} rules off, from this node's store`);
  const intel =
    config.intel.length > 0
      ? new IntelFeeds(
          config.intel,
          (ix) => {
            alerts.setIntel(ix);
            plane.publishIntel(ix).then(
              () => config.onLog(`intel: ${ix.size} hashes published to the detector nodes`),
              (e: Error) => config.onLog(`intel: publishing to NATS failed: ${e.message}`),
            );
          },
          config.onLog,
          () => alerts.intelMatched,
        )
      : null;
  if (intel) {
    await intel.reload();
    intel.watch(config.intelCheckMs);
  }
  const counters = { eventsIn: 0, parseErrors: 0, bulkRequests: 0, rejected429: 0, requestErrors: 0, webhookDelivered: 0, webhookFailed: 0, published: 0, duplicates: 0 };
  let inFlight = 0;
  const ctx: IngestContext = {
    config,
    db,
    counters,
    shuttingDown: false,
    queueDepth: () => inFlight,
    // serve's routes append here: publish to JetStream; answer once every event is acknowledged.
    stream: {
      async append(req: RequestEvents): Promise<number[]> {
        const n = req.n;
        inFlight += n;
        try {
          const msgs = Array.from({ length: n }, (_, i) => {
            const raw = req.raw(i);
            return { subject: ingestSubject(req.hostOf(i)), data: raw, msgId: eventMsgId(raw) };
          });
          const r = await bus.publish(msgs);
          for (const x of r) {
            if (x.duplicate) counters.duplicates++;
            else counters.published++;
          }
          return r.map((x) => x.seq);
        } finally {
          inFlight -= n;
        }
      },
    },
  };
  const router = new Router();
  registerEsCompat(router, ctx);
  registerIngest(router, ctx);
  registerClusterRules(router, plane, alerts, ruleStates, tokens, config.onLog);
  const server: Server = createServer(
    dispatchRequests(router, (req, scope) => authorize(req, tokens, scope), { onError: () => counters.requestErrors++, log: config.onLog }),
  );
  server.requestTimeout = config.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const sink = o.sink === false ? null : await startAlertSink(bus, alerts, config.onLog);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    createdTokens,
    counters,
    alerts,
    sink,
    close: () => {
      closing ??= (async () => {
        ctx.shuttingDown = true;
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeIdleConnections();
        });
        intel?.close();
        await sink?.close();
        await bus.close();
        db.close();
      })();
      return closing;
    },
  };
}

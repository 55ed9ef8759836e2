/**
 * `spoor serve --role ingest|detect --nats URL`: start one cluster node from serve's options.
 * stdout gets one JSON line when the node is up (scripts read it); human lines go to stderr.
 * Exit codes as serve: 0 stopped cleanly (SIGTERM/SIGINT), 1 failed while running, 2 could not start.
 */
import { hostname } from 'node:os';
import type { ServeOptions } from '../serve/config.js';
import { loadHuntRules } from '../hunt/load-rules.js';
import { startIngestNode } from './ingest.js';
import { startDetectNode } from './node.js';
import { CLUSTER } from './subjects.js';
import { redactUrl, type NatsAuth } from './nats.js';
import { splitStages } from './stages.js';

export type ClusterRole = 'ingest' | 'detect';

export interface ClusterCliOptions {
  natsUrl: string;
  /** --nats-creds, --nats-tls-ca, --nats-tls-cert, --nats-tls-key. */
  natsAuth?: NatsAuth;
  nodeId?: string;
  leaseTtlMs?: number;
  snapshotIntervalMs?: number;
  replicas?: number;
}

export async function runClusterRole(role: ClusterRole, opts: ServeOptions, c: ClusterCliOptions): Promise<number | null> {
  const err = (l: string): void => void process.stderr.write(`${l}\n`);
  let close: () => Promise<void>;
  try {
    if (role === 'ingest') {
      const n = await startIngestNode({ ...opts, natsUrl: c.natsUrl, natsAuth: c.natsAuth, replicas: c.replicas });
      err(`spoor serve --role ingest: listening on ${n.url}, publishing to ${redactUrl(c.natsUrl)} (stream ${CLUSTER.eventStream}); alert sink into ${opts.dataDir ?? 'the data dir'}`);
      for (const t of n.createdTokens) err(`  new ${t.scope} token (shown once, stored hashed): ${t.token}`);
      process.stdout.write(`${JSON.stringify({ role, url: n.url, nats: redactUrl(c.natsUrl), tokens: n.createdTokens })}\n`);
      close = n.close;
    } else {
      const r = await loadHuntRules({ rulesDirs: opts.rulesDirs ?? [], sigmaDirs: opts.sigmaDirs ?? [], excludeRules: opts.excludeRules ?? [], hunting: opts.hunting ?? false });
      for (const s of r.skipped) err(`  skipped rule ${s.id ?? ''} (${s.source}): ${s.reason}`);
      const { stage1, stage2, refused } = splitStages(r.rules);
      for (const s of refused) err(`  skipped rule ${s.rule.id}: ${s.reason}`);
      const nodeId = c.nodeId ?? `${hostname()}-${process.pid}`;
      const n = await startDetectNode({
        natsUrl: c.natsUrl,
        natsAuth: c.natsAuth,
        nodeId,
        rules: stage1,
        corrRules: stage2,
        allowedLatenessMs: opts.allowedLatenessMs,
        leaseTtlMs: c.leaseTtlMs,
        snapshotIntervalMs: c.snapshotIntervalMs,
        replicas: c.replicas,
        onLog: (l) => err(`spoor detect ${nodeId}: ${l}`),
      });
      const skipped = r.skipped.length + refused.length;
      err(`spoor serve --role detect: node ${nodeId}, ${stage1.length} rules per host partition, ${stage2.length} cross-host correlations per group partition, ${skipped} skipped; ${CLUSTER.partitions} partitions per stage shared through ${CLUSTER.leaseBucket}`);
      process.stdout.write(`${JSON.stringify({ role, nodeId, nats: redactUrl(c.natsUrl), rules: stage1.length, correlations: stage2.length, skipped })}\n`);
      close = n.close;
    }
  } catch (e) {
    err(`spoor serve --role ${role}: cannot start: ${(e as Error).message}`);
    return 2;
  }
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      (e: Error) => {
        err(`spoor serve --role ${role}: error while stopping: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return null;
}

/**
 * Stream, subject, bucket names and settings for the cluster, as data; the host → subject token
 * and the partition function nats-server's subject mapping applies (`partition(N, 1)`: FNV-1a
 * 32-bit over the token, modulo N), reproduced here so tests and tools can predict placement.
 */
export const CLUSTER = {
  /** Fixed partition count: much larger than the node count, so partitions move, not hosts. */
  partitions: 64,
  /** Ingest publishes here; the server maps `spoor.in.<host>` → `spoor.ev.<host>.<partition>`. */
  ingestPrefix: 'spoor.in',
  eventPrefix: 'spoor.ev',
  eventStream: 'SPOOR_EVENTS',
  alertSubject: 'spoor.alerts',
  alertStream: 'SPOOR_ALERTS',
  alertSinkDurable: 'spoor-alert-sink',
  /** JetStream duplicate window (ms): retries within it are idempotent (Nats-Msg-Id). */
  duplicateWindowMs: 2 * 60_000,
  /**
   * Duplicate window of the stage-2 stream (forwarded base-rule matches, a small share of the
   * events): a stage-1 take-over replays the rules' window and re-forwards its matches under the
   * same ids, often minutes after the first forward; the server drops those for this long, the
   * group partition's in-memory check (worker.ts `seen`) only within its replay window.
   */
  corrDuplicateWindowMs: 60 * 60_000,
  leaseBucket: 'spoor-leases',
  nodeBucket: 'spoor-nodes',
  snapshotBucket: 'spoor-snapshots',
  /** Default lease TTL: bounds failover (a dead node's partitions move after at most this + one tick). */
  leaseTtlMs: 10_000,
  snapshotIntervalMs: 2_000,
  /**
   * Stage 2 (cross-host correlations): detector nodes publish base-rule matches of correlations
   * not grouped by host to `spoor.corr.<group-token>.<partition>` (partition computed here with
   * the same FNV-1a as the server's mapping, so no server mapping is needed) in this stream.
   */
  /**
   * Cluster-wide settings detector nodes follow (control.ts): KV key `rules` = the rules switched
   * off (`POST /api/rules/{id}/enabled` on an ingest node); object store objects `catalog` (the
   * rules the detectors loaded) and `intel` (the hash index of the ingest nodes' `--intel` feeds).
   */
  controlBucket: 'spoor-control',
  objectBucket: 'spoor-objects',
  corrPrefix: 'spoor.corr',
  corrStream: 'SPOOR_CORR',
} as const;

/** A work unit a detector node leases: a host partition (stage 1) or a group-key partition (stage 2). */
export type Stage = 1 | 2;

/** The account subject mapping nats-server needs (server config `mappings { … }`). */
export function subjectMapping(partitions: number = CLUSTER.partitions): Record<string, string> {
  return { [`${CLUSTER.ingestPrefix}.*`]: `${CLUSTER.eventPrefix}.{{wildcard(1)}}.{{partition(${partitions},1)}}` };
}

/**
 * A nats-server config file text: listener, JetStream store dir, the partition mapping; with
 * `cluster`, also a server name and the cluster routes (docs/scale-out.md "NATS configuration").
 */
export function serverConfig(o: {
  port: number;
  storeDir: string;
  partitions?: number;
  host?: string;
  serverName?: string;
  cluster?: { name: string; port: number; routes: string[] };
}): string {
  const m = subjectMapping(o.partitions);
  const lines = Object.entries(m).map(([k, v]) => `  "${k}": "${v}"`);
  const host = o.host ?? '127.0.0.1';
  return [
    ...(o.serverName ? [`server_name: ${o.serverName}`] : []),
    `host: ${host}`,
    `port: ${o.port}`,
    `jetstream { store_dir: "${o.storeDir.replace(/\\/g, '/')}" }`,
    ...(o.cluster
      ? [`cluster {`, `  name: ${o.cluster.name}`, `  host: ${host}`, `  port: ${o.cluster.port}`, `  routes: [ ${o.cluster.routes.join(', ')} ]`, `}`]
      : []),
    `mappings {`,
    ...lines,
    `}`,
    '',
  ].join('\n');
}

/**
 * A host name → one subject token: NATS tokens cannot hold '.', '*', '>' or white space, so those
 * bytes (and '%') are percent-encoded; the host is lower-cased first (Windows host names are
 * case-insensitive), so one host always lands in one partition.
 */
export function hostToken(host: string): string {
  const h = host.trim().toLowerCase();
  if (h === '') return '_';
  return h.replace(/[.*>%\s\u0000-\u001f\u007f]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** FNV-1a 32 bit over the UTF-8 bytes of `s`. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The partition nats-server's `partition(N,1)` mapping assigns to a subject token. */
export function partitionOf(token: string, partitions: number = CLUSTER.partitions): number {
  return fnv1a32(token) % partitions;
}

export function ingestSubject(host: string): string {
  return `${CLUSTER.ingestPrefix}.${hostToken(host)}`;
}

/** Filter subject of one partition (any host token). */
export function partitionFilter(p: number): string {
  return `${CLUSTER.eventPrefix}.*.${p}`;
}

/** Partition number from a stored event subject `spoor.ev.<token>.<p>`. */
export function partitionOfSubject(subject: string): number {
  const i = subject.lastIndexOf('.');
  return Number(subject.slice(i + 1));
}

/** Lease and snapshot keys: `p<N>` for host partitions (stage 1), `c<N>` for group-key partitions (stage 2). */
export const leaseKey = (p: number, stage: Stage = 1): string => `${stage === 1 ? 'p' : 'c'}${p}`;
export const snapshotKey = (p: number, stage: Stage = 1): string => `${stage === 1 ? 'p' : 'c'}${p}`;

/** Stage 2: the subject of one forwarded match (group token from corrToken). */
export function corrSubject(token: string, partitions: number = CLUSTER.partitions): string {
  return `${CLUSTER.corrPrefix}.${token}.${partitionOf(token, partitions)}`;
}

/** Stage 2: filter subject of one group-key partition. */
export function corrFilter(p: number): string {
  return `${CLUSTER.corrPrefix}.*.${p}`;
}
export const nodeKey = (id: string): string => `n-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/**
 * The only file that imports the NATS client (`nats` 2.29.x, which speaks to nats-server 2.9).
 * Everything else in cluster/ talks to the small `Bus` / `Kv` / `Reader` interfaces below.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nanos, DeliverPolicy, AckPolicy, StorageType, ConsumerEvents, Events, type ConnectionOptions, type NatsConnection, type JetStreamClient, type JetStreamManager, type KV, type ConsumerMessages, type Consumer } from 'nats';
import { CLUSTER } from './subjects.js';

/**
 * How to authenticate to NATS besides the URL: a user/password (`nats://user:pass@host`) or a
 * token (`nats://token@host`) may ride in the URL; `credsFile` is a NATS credentials file (JWT +
 * NKey seed, decentralized auth); the TLS files verify the server (CA) and present a client
 * certificate (mutual TLS). A `tls://` URL, or any TLS file, requires TLS.
 */
export interface NatsAuth {
  credsFile?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** The client options for `url` (comma-separated servers) with credentials taken out of the URL. */
export function connectionOptions(url: string, name: string, auth: NatsAuth = {}): ConnectionOptions {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let token: string | undefined;
  for (const part of url.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    let u: URL;
    try {
      u = new URL(part.includes('://') ? part : `nats://${part}`);
    } catch {
      throw new Error(`not a NATS URL: ${redactUrl(part)}`);
    }
    if (u.username !== '') {
      const un = decodeURIComponent(u.username);
      const pw = decodeURIComponent(u.password);
      if (pw !== '') {
        user = un;
        pass = pw;
      } else token = un;
    }
    servers.push(`${u.protocol}//${u.host}`);
  }
  if (servers.length === 0) throw new Error('no NATS server in the URL');
  const o: ConnectionOptions = { servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250 };
  if (user !== undefined) {
    o.user = user;
    o.pass = pass;
  } else if (token !== undefined) o.token = token;
  if (auth.credsFile) {
    const creds = readFileSync(auth.credsFile);
    o.authenticator = credsAuthenticator(new Uint8Array(creds));
  }
  if (auth.tlsCaFile || auth.tlsCertFile || auth.tlsKeyFile) {
    o.tls = {};
    if (auth.tlsCaFile) o.tls.caFile = auth.tlsCaFile;
    if (auth.tlsCertFile) o.tls.certFile = auth.tlsCertFile;
    if (auth.tlsKeyFile) o.tls.keyFile = auth.tlsKeyFile;
  }
  return o;
}

/** The URL with any password or token replaced (for logs and the start-up line). */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/)[^@/,]*@/g, '$1***@');
}

export interface KvEntry {
  value: string;
  revision: number;
}

export interface Kv {
  get(key: string): Promise<KvEntry | null>;
  /** Fails when the key exists (compare-and-set create). */
  create(key: string, value: string): Promise<number>;
  /** Fails unless the key's last revision is `revision` (compare-and-set). */
  update(key: string, value: string, revision: number): Promise<number>;
  put(key: string, value: string): Promise<number>;
  /** Delete only when the key is still at `revision` (when given). */
  delete(key: string, revision?: number): Promise<void>;
  keys(): Promise<string[]>;
}

export interface Objects {
  put(name: string, data: string): Promise<string>;
  digest(name: string): Promise<string | null>;
  get(name: string): Promise<string | null>;
}

export interface BusMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
}

export interface Reader {
  stop(): void;
  /** Resolves (never rejects) when the reading loop ended, stopped or failed. */
  done: Promise<void>;
  /** Why it ended, when it failed. */
  error(): Error | null;
}

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

export interface StreamCounts {
  messages: number;
  lastSeq: number;
  /** Messages per subject (only when asked with a filter). */
  subjects: Record<string, number>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class Bus {
  /** Called when the connection came back after a disconnect (orderedRead drops its consumers). */
  private readonly onReconnect = new Set<() => void>();

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    void (async () => {
      for await (const s of nc.status()) if (s.type === Events.Reconnect) for (const f of this.onReconnect) f();
    })().catch(() => undefined);
  }

  static async connect(url: string, name: string, auth?: NatsAuth): Promise<Bus> {
    const nc = await connect(connectionOptions(url, name, auth));
    const jsm = await nc.jetstreamManager();
    return new Bus(nc, nc.jetstream({ timeout: 10_000 }), jsm);
  }

  /** Create the event and alert streams if missing (idempotent). */
  async ensureStreams(replicas = 1): Promise<void> {
    const want: { name: string; subjects: string[]; dupMs?: number }[] = [
      { name: CLUSTER.eventStream, subjects: [`${CLUSTER.eventPrefix}.>`] },
      { name: CLUSTER.alertStream, subjects: [CLUSTER.alertSubject] },
      { name: CLUSTER.corrStream, subjects: [`${CLUSTER.corrPrefix}.>`], dupMs: CLUSTER.corrDuplicateWindowMs },
    ];
    for (const s of want) {
      try {
        await this.jsm.streams.info(s.name);
      } catch {
        try {
          await this.jsm.streams.add({ name: s.name, subjects: s.subjects, num_replicas: replicas, storage: StorageType.File, duplicate_window: nanos(s.dupMs ?? CLUSTER.duplicateWindowMs) });
        } catch (e) {
          // A peer created it in between.
          await this.jsm.streams.info(s.name).catch(() => {
            throw e;
          });
        }
      }
    }
  }

  /** Publish with a message id each; resolves after JetStream acknowledged every message. */
  async publish(items: { subject: string; data: string; msgId: string }[]): Promise<PublishResult[]> {
    return Promise.all(
      items.map(async (it) => {
        const a = await this.js.publish(it.subject, enc.encode(it.data), { msgID: it.msgId, timeout: 10_000 });
        return { seq: a.seq, duplicate: a.duplicate };
      }),
    );
  }

  async kv(bucket: string, ttlMs?: number, replicas = 1): Promise<Kv> {
    const kv: KV = await this.js.views.kv(bucket, ttlMs ? { ttl: ttlMs, history: 1, replicas } : { history: 1, replicas });
    return {
      get: async (k) => {
        const e = await kv.get(k);
        if (!e || e.operation !== 'PUT') return null;
        return { value: dec.decode(e.value), revision: e.revision };
      },
      create: (k, v) => kv.create(k, enc.encode(v)),
      update: (k, v, rev) => kv.update(k, enc.encode(v), rev),
      put: (k, v) => kv.put(k, enc.encode(v)),
      delete: (k, rev) => kv.delete(k, rev !== undefined ? { previousSeq: rev } : undefined),
      // Not the client's kv.keys(): that reads the bucket with an ordered consumer and waits for
      // it to drain, which never ends when the consumer's server dies. Stream info (answered by
      // the stream leader, bounded by the request timeout) lists the subjects; a get per key
      // drops deleted ones.
      keys: async () => {
        const prefix = `$KV.${bucket}.`;
        const info = await this.jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}>` });
        const subjects = Object.keys((info.state.subjects as Record<string, number> | undefined) ?? {});
        const out: string[] = [];
        await Promise.all(
          subjects.map(async (s) => {
            const k = s.slice(prefix.length);
            const e = await kv.get(k);
            if (e && e.operation === 'PUT') out.push(k);
          }),
        );
        return out;
      },
    };
  }

  /**
   * Read `filter` in stream order from `startSeq`. `onMessage` runs one message at a time;
   * returning false stops the reader before the next message.
   *
   * Our own consume loop, not the client's ordered consumer: an ephemeral, memory-stored R1
   * consumer (ack none) read with refilling pulls (expires `pullExpiresMs`, idle heartbeats every
   * expires/4). Whenever the consumer cannot be trusted any more — the pull gets 503 "no
   * responders" or 409 (its server died, or it was deleted), heartbeats are missed, a delivery
   * sequence is skipped, the connection reconnects, or a pull fails in any other way — the
   * consumer is dropped and a new one is created at the next stream sequence, retried with a
   * short back-off until it works or the reader is stopped. It never skips or reorders: the
   * next sequence is the one after the last message handed to `onMessage`.
   *
   * Why not the ordered consumer (measured with test/cluster/nats-cluster-long.ts, 3 servers,
   * stream leader SIGKILLed): its consumer lives on one server; when that server dies, the
   * client's recovery asks the dead consumer for its info, treats the timeout as transient and
   * retries every `expires` (30 s) for ever (only "consumer not found" makes it recreate), so
   * 7–40 of 64 partitions stopped for good.
   */
  async orderedRead(
    stream: string,
    filter: string,
    startSeq: number,
    onMessage: (m: BusMessage) => Promise<boolean> | boolean,
    opts: { pullExpiresMs?: number; batch?: number; onProblem?: (message: string) => void } = {},
  ): Promise<Reader> {
    const expires = opts.pullExpiresMs ?? 5000;
    const batch = opts.batch ?? 512;
    let next = Math.max(1, startSeq);
    let stopped = false;
    let failure: Error | null = null;
    let current: ConsumerMessages | null = null;
    let wake: (() => void) | null = null;
    const pause = (ms: number): Promise<void> =>
      new Promise((r) => {
        const t = setTimeout(() => {
          wake = null;
          r();
        }, ms);
        wake = () => {
          clearTimeout(t);
          wake = null;
          r();
        };
      });
    let recreates = 0;
    const problem = (m: string): void => {
      // The first few, then every 20th: a long outage must not flood the log.
      if (recreates <= 3 || recreates % 20 === 0) opts.onProblem?.(`${stream} ${filter}: ${m}`);
    };
    // After a reconnect the consumer may be gone with its server; the client's own check would
    // retry its info for ever: start over at the next sequence instead.
    let kicked = false;
    const kick = (): void => {
      kicked = true;
      current?.stop();
    };
    this.onReconnect.add(kick);
    const loop = async (): Promise<void> => {
      let attempt = 0;
      while (!stopped) {
        if (this.nc.isClosed()) throw new Error('NATS connection closed');
        // (Re)create the consumer at the next sequence.
        let name: string;
        let consumer: Consumer;
        try {
          const ci = await this.jsm.consumers.add(stream, {
            filter_subject: filter,
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: next,
            ack_policy: AckPolicy.None,
            max_deliver: 1,
            mem_storage: true,
            num_replicas: 1,
            inactive_threshold: nanos(Math.max(30_000, 4 * expires)),
          });
          name = ci.name;
          consumer = await this.js.consumers.get(stream, name);
          attempt = 0;
        } catch (e) {
          recreates++;
          problem(`cannot create consumer at seq ${next} (${(e as Error).message}); retrying`);
          await pause(Math.min(2000, 250 * 2 ** Math.min(attempt++, 3)));
          continue;
        }
        let dseq = 0;
        let broken = '';
        kicked = false;
        try {
          // A refilling pull (the next request goes out at 75 % of the batch): ~1.5x cheaper per
          // message than a pull per batch. Its own recovery (info on the consumer, retried every
          // `expires`) is not used: the status events below drop the consumer instead.
          const msgs = await consumer.consume({ max_messages: batch, expires, idle_heartbeat: Math.max(500, Math.floor(expires / 4)) });
          current = msgs;
          void (async () => {
            for await (const s of await msgs.status()) {
              if (s.type === ConsumerEvents.HeartbeatsMissed || s.type === ConsumerEvents.NoResponders || s.type === ConsumerEvents.ConsumerDeleted || s.type === ConsumerEvents.ConsumerNotFound || s.type === ConsumerEvents.StreamNotFound) {
                broken ||= String(s.type);
                msgs.stop();
              }
            }
          })().catch(() => undefined);
          for await (const m of msgs) {
            if (stopped) break;
            const d = m.info.deliverySequence;
            if (d !== dseq + 1) {
              broken = `delivery sequence ${d} after ${dseq}`;
              break;
            }
            dseq = d;
            if (m.seq < next) continue; // never hand a message twice
            next = m.seq + 1;
            const go = await onMessage({ seq: m.seq, subject: m.subject, data: m.data });
            if (!go) {
              stopped = true;
              break;
            }
          }
        } catch (e) {
          broken ||= (e as Error).message || 'pull failed';
        } finally {
          current?.stop();
          current = null;
        }
        broken ||= kicked ? 'reconnected' : this.nc.isClosed() ? 'connection closed' : 'pull ended';
        if (stopped) break;
        recreates++;
        problem(`consumer ${name} dropped (${broken}); recreating at seq ${next}`);
        this.jsm.consumers.delete(stream, name).catch(() => undefined);
        await pause(Math.min(2000, 100 * 2 ** Math.min(attempt++, 4)));
      }
    };
    const done = loop()
      .catch((e: unknown) => {
        failure = e instanceof Error ? e : new Error(String(e));
      })
      .finally(() => {
        stopped = true;
        this.onReconnect.delete(kick);
      });
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        try {
          current?.stop();
        } catch {
          /* already closed */
        }
        wake?.();
      },
      done,
      error: () => failure,
    };
  }

  /** A durable, explicitly acknowledged pull consumer (alert sink); handler errors leave the message for redelivery. */
  async durableRead(stream: string, durable: string, onMessage: (m: BusMessage) => Promise<void> | void): Promise<Reader> {
    try {
      await this.jsm.consumers.info(stream, durable);
    } catch {
      await this.jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, ack_wait: nanos(30_000) });
    }
    const c = await this.js.consumers.get(stream, durable);
    // Short pulls: after a NATS server dies, missed heartbeats (expires / 2, twice) re-issue the
    // pull within ~5 s instead of the client's default 30 s.
    const msgs = await c.consume({ max_messages: 256, expires: 5000 });
    let stopped = false;
    const done = (async () => {
      for await (const m of msgs) {
        if (stopped) break;
        try {
          await onMessage({ seq: m.seq, subject: m.subject, data: m.data });
          m.ack();
        } catch {
          m.nak(1000);
        }
      }
    })().catch(() => undefined);
    return {
      stop: () => {
        stopped = true;
        msgs.stop();
      },
      done,
      error: () => null,
    };
  }

  /**
   * A JetStream object store (`bucket`): `put` replaces `name`'s content; `digest` is the
   * content's SHA-256 (null: no such object), cheap to poll; `get` the content as text.
   */
  async objects(bucket: string, replicas = 1): Promise<Objects> {
    const os = await this.js.views.os(bucket, { replicas });
    return {
      put: async (name, data) => {
        const i = await os.putBlob({ name }, enc.encode(data));
        return i.digest;
      },
      digest: async (name) => {
        const i = await os.info(name);
        return i && !i.deleted ? i.digest : null;
      },
      get: async (name) => {
        const b = await os.getBlob(name);
        return b ? dec.decode(b) : null;
      },
    };
  }

  async streamCounts(stream: string, subjectsFilter?: string): Promise<StreamCounts> {
    const info = await this.jsm.streams.info(stream, subjectsFilter ? { subjects_filter: subjectsFilter } : undefined);
    return { messages: info.state.messages, lastSeq: info.state.last_seq, subjects: (info.state.subjects as Record<string, number> | undefined) ?? {} };
  }

  async consumerPending(stream: string, durable: string): Promise<number> {
    const i = await this.jsm.consumers.info(stream, durable);
    return i.num_pending + i.num_ack_pending;
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}


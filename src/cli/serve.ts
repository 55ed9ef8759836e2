/**
 * `spoor serve`: the always-on service (src/serve/), and `spoor serve token create|list|revoke`.
 * Human lines go to stderr; stdout gets one JSON line when the server is up (url, data dir,
 * tokens created at first start) so scripts can read it.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseYamlData } from '../rules/yaml-problem.js';
import { startServe, openTokenStore, SCOPES, SERVE_DEFAULTS, type Scope, type ServeOptions } from '../serve/index.js';
import { collect, EXIT } from './common.js';
import { runClusterRole } from '../cluster/cli.js';

interface ServeCliOptions {
  host: string;
  port: string;
  dataDir: string;
  rules?: string[];
  sigma?: string[];
  exceptions?: string;
  excludeRule?: string[];
  hunting?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  allowedLateness: string;
  sourceOrder?: boolean;
  fsync: string;
  maxQueue: string;
  maxQueueBytes: string;
  maxBodyBytes: string;
  maxLineBytes: string;
  config?: string;
  esVersion: string;
  writerThread: boolean;
  role: string;
  nats?: string;
  nodeId?: string;
  leaseTtl?: string;
  natsReplicas: string;
  intel?: string[];
  intelCheck: string;
  natsCreds?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
}

function count(name: string, text: string, min = 0): number {
  const n = Number(text.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} takes a whole number ≥ ${min} (got '${text}')`);
  return n;
}

/** `--config FILE` (YAML): webhooks, suppression, retention — things too long for flags. */
function readConfigFile(path: string): Partial<ServeOptions> {
  const doc = parseYamlData(readFileSync(path, 'utf8'), path) as Record<string, unknown> | null;
  if (!doc) return {};
  const known = ['webhooks', 'suppression', 'retention', 'request_timeout_ms', 'commit_delay_ms', 'checkpoint_interval_ms'];
  for (const k of Object.keys(doc)) if (!known.includes(k)) throw new Error(`${path}: unknown key '${k}' (expected ${known.join(', ')})`);
  const out: Partial<ServeOptions> = {};
  if (doc.webhooks) out.webhooks = doc.webhooks as ServeOptions['webhooks'];
  if (doc.suppression) {
    out.suppression = {};
    for (const [id, v] of Object.entries(doc.suppression as Record<string, { group_by?: string[]; window?: string | number }>)) {
      const w = typeof v.window === 'number' ? v.window * 1000 : parseWindow(String(v.window ?? '1h'));
      out.suppression[id] = { groupBy: v.group_by ?? ['host'], windowMs: w };
    }
  }
  const ret = doc.retention as { max_events?: number; max_age_days?: number } | undefined;
  if (ret) out.retention = { maxEvents: ret.max_events, maxAgeMs: ret.max_age_days !== undefined ? ret.max_age_days * 86400_000 : undefined };
  if (typeof doc.request_timeout_ms === 'number') out.requestTimeoutMs = doc.request_timeout_ms;
  if (typeof doc.commit_delay_ms === 'number') out.commitDelayMs = doc.commit_delay_ms;
  if (typeof doc.checkpoint_interval_ms === 'number') out.checkpointIntervalMs = doc.checkpoint_interval_ms;
  return out;
}

function parseWindow(t: string): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(t.trim());
  if (!m) throw new Error(`suppression window '${t}' (use e.g. 30s, 10m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function scopesOf(text: string): Scope[] {
  const s = text.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of s) if (!(SCOPES as readonly string[]).includes(x)) throw new Error(`unknown scope '${x}' (expected ${SCOPES.join(', ')})`);
  if (s.length === 0) throw new Error('--scope needs at least one of ingest, read, triage, admin');
  return s as Scope[];
}

/**
 * `serve token … -d DIR`: commander hands `-d` to `serve` itself (which has the same option), so the
 * token subcommand's own value stays the default; take the one given on the command line.
 */
function tokenDataDir(o: { dataDir: string }, cmd: Command): string {
  for (let c: Command | null = cmd; c; c = c.parent) if (c.getOptionValueSource('dataDir') === 'cli') return c.opts()['dataDir'] as string;
  return o.dataDir;
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('Always-on detection: an Elasticsearch-compatible ingest endpoint for Beats, Logstash, Fluent Bit and rsyslog, with durable storage and alerts API')
    .option('--host <addr>', 'address to listen on (loopback unless told otherwise)', SERVE_DEFAULTS.host)
    .option('-p, --port <n>', 'port', String(SERVE_DEFAULTS.port))
    .option('-d, --data-dir <dir>', 'event log, checkpoints, alerts and tokens (SQLite)', SERVE_DEFAULTS.dataDir)
    .option('--rules <dir>', 'extra EQL rule directory (repeatable)', collect)
    .option('--sigma <dir>', 'Sigma rule directory (repeatable)', collect)
    .option('--exceptions <file>', 'exceptions YAML (default: DATA_DIR/exceptions.yml when present; PUT /api/exceptions writes it)')
    .option('--exclude-rule <id>', 'rule id to leave out (repeatable)', collect)
    .option('--hunting', 'also run hunting-level rules')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--allowed-lateness <ms>', 'event-time lateness each host waits for before its events are evaluated', String(SERVE_DEFAULTS.allowedLatenessMs))
    .option('--source-order', 'also release a host\'s events as soon as every connection sending it, each in time order so far, has sent newer ones (docs/serve.md)')
    .option('--fsync <policy>', "'commit': fsync every group commit (survives power loss); 'os': leave it to the OS (survives kill -9)", 'commit')
    .option('--max-queue <n>', 'events waiting for commit or detection above which _bulk answers 429', String(SERVE_DEFAULTS.maxQueue))
    .option('--max-queue-bytes <n>', 'bytes of ingest held in memory (request bodies being read or committed, documents waiting for detection) above which _bulk answers 429', String(SERVE_DEFAULTS.maxQueueBytes))
    .option('--max-body-bytes <n>', 'request body limit, compressed and decompressed', String(SERVE_DEFAULTS.maxBodyBytes))
    .option('--max-line-bytes <n>', 'longest NDJSON line accepted', String(SERVE_DEFAULTS.maxLineBytes))
    .option('--no-writer-thread', 'commit the event log in the main thread (for comparison)')
    .option('--es-version <v>', 'Elasticsearch version reported to shippers', SERVE_DEFAULTS.esVersion)
    .option('--intel <path>', 'threat-intel hash feeds (MalwareBazaar CSV, hash list, MISP JSON, STIX 2.1; file or directory, repeatable): new alerts whose hashes are listed are enriched and raised one severity level; reloaded on SIGHUP, POST /api/rules/reload and when the files change', collect)
    .option('--intel-check <ms>', 'how often --intel files are checked for changes (0: only on SIGHUP or reload)', String(SERVE_DEFAULTS.intelCheckMs))
    .option('--config <file>', 'YAML with webhooks, suppression, retention (see docs/serve.md)')
    .option('--role <role>', "'single' (one process), or a cluster node on NATS JetStream: 'ingest' or 'detect' (docs/scale-out.md)", 'single')
    .option('--nats <url>', 'NATS server URL for --role ingest|detect (e.g. nats://127.0.0.1:4222)')
    .option('--node-id <id>', 'detector node id (default: hostname-pid)')
    .option('--lease-ttl <ms>', 'partition lease TTL for --role detect: bounds failover time', '10000')
    .option('--nats-replicas <n>', 'replicas of the streams and KV buckets this node creates (3 on a 3-server NATS cluster)', '1')
    .option('--nats-creds <file>', 'NATS credentials file (JWT + NKey); user:password@ or token@ may also be given in the --nats URL')
    .option('--nats-tls-ca <file>', 'CA certificate that verifies the NATS server (requires TLS)')
    .option('--nats-tls-cert <file>', 'client certificate for NATS (mutual TLS; with --nats-tls-key)')
    .option('--nats-tls-key <file>', 'client key for NATS (mutual TLS)')
    .addHelpText(
      'after',
      `
On first start (no token in DATA_DIR) an ingest and an admin token are created and printed once.
Point a shipper at the printed URL with the ingest token as password (user name any) or api_key "id:TOKEN".

Signals: SIGHUP reloads rules, exceptions and --intel feeds (unchanged rules keep their state); SIGTERM/SIGINT stop cleanly.
Exit codes: 0 stopped cleanly, 1 failed while running, 2 bad options or could not start.

Examples:
  spoor serve
  spoor serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --sigma ./sigma-rules
  spoor serve token create --scope read --name ui
  curl -H "Authorization: Bearer $TOKEN" --data-binary @events.ndjson http://127.0.0.1:9200/ingest`,
    )
    .action(async (o: ServeCliOptions) => {
      let opts: ServeOptions;
      try {
        if (!!o.tlsCert !== !!o.tlsKey) throw new Error('--tls-cert and --tls-key go together');
        if (o.fsync !== 'commit' && o.fsync !== 'os') throw new Error(`--fsync takes 'commit' or 'os' (got '${o.fsync}')`);
        opts = {
          ...(o.config ? readConfigFile(o.config) : {}),
          host: o.host,
          port: count('--port', o.port),
          dataDir: o.dataDir,
          rulesDirs: o.rules,
          sigmaDirs: o.sigma,
          exceptionsFile: o.exceptions,
          excludeRules: o.excludeRule,
          hunting: o.hunting,
          tls: o.tlsCert && o.tlsKey ? { cert: o.tlsCert, key: o.tlsKey } : undefined,
          allowedLatenessMs: count('--allowed-lateness', o.allowedLateness),
          sourceOrder: o.sourceOrder === true,
          fsync: o.fsync,
          writerThread: o.writerThread,
          maxQueue: count('--max-queue', o.maxQueue, 1),
          maxQueueBytes: count('--max-queue-bytes', o.maxQueueBytes, 1024),
          maxBodyBytes: count('--max-body-bytes', o.maxBodyBytes, 1024),
          maxLineBytes: count('--max-line-bytes', o.maxLineBytes, 256),
          esVersion: o.esVersion,
          intel: o.intel,
          intelCheckMs: count('--intel-check', o.intelCheck),
          onLog: (l) => process.stderr.write(`spoor serve: ${l}\n`),
        };
      } catch (e) {
        process.stderr.write(`spoor serve: ${(e as Error).message}\n`);
        process.exitCode = EXIT.ERROR;
        return;
      }
      if (o.role !== 'single') {
        if ((o.role !== 'ingest' && o.role !== 'detect') || !o.nats) {
          process.stderr.write(`spoor serve: --role takes single, ingest or detect; ingest and detect need --nats URL\n`);
          process.exitCode = EXIT.ERROR;
          return;
        }
        const code = await runClusterRole(o.role, opts, { natsUrl: o.nats, natsAuth: { credsFile: o.natsCreds, tlsCaFile: o.natsTlsCa, tlsCertFile: o.natsTlsCert, tlsKeyFile: o.natsTlsKey }, nodeId: o.nodeId, leaseTtlMs: count('--lease-ttl', o.leaseTtl ?? '10000', 500), replicas: count('--nats-replicas', o.natsReplicas, 1) });
        if (code !== null) process.exitCode = code;
        return;
      }
      let s: Awaited<ReturnType<typeof startServe>>;
      try {
        s = await startServe(opts);
      } catch (e) {
        process.stderr.write(`spoor serve: cannot start: ${(e as Error).message}\n`);
        process.exitCode = EXIT.ERROR;
        return;
      }
      const err = (l: string): boolean => process.stderr.write(`${l}\n`);
      err(`spoor serve: listening on ${s.url} (data in ${s.config.dataDir}); ${s.rulesLoaded} rules, ${s.rulesSkipped.length} skipped`);
      for (const r of s.rulesSkipped) err(`  skipped rule ${r.id ?? ''} (${r.source}): ${r.reason}`);
      for (const t of s.createdTokens) err(`  new ${t.scope} token (shown once, stored hashed): ${t.token}`);
      err(`Point a shipper at it:
  Winlogbeat/Elastic Agent: output.elasticsearch: { hosts: ["${s.url}"], username: "spoor", password: "<ingest token>" }
  Logstash:  elasticsearch { hosts => ["${s.url}"] user => "spoor" password => "<ingest token>" }
  rsyslog:   action(type="omelasticsearch" server="${new URL(s.url).hostname}" serverport="${new URL(s.url).port}" bulkmode="on" uid="spoor" pwd="<ingest token>")
  curl:      curl -H "Authorization: Bearer <ingest token>" --data-binary @events.ndjson ${s.url}/ingest
Alerts: GET ${s.url}/api/alerts (read token), live: ${s.url}/api/alerts/stream`);
      process.stdout.write(`${JSON.stringify({ url: s.url, dataDir: s.config.dataDir, rules: s.rulesLoaded, tokens: s.createdTokens })}\n`);
      process.on('SIGHUP', () => {
        s.reloadRules().catch((e: Error) => err(`spoor serve: reload failed: ${e.message}`));
      });
      const stop = (): void => {
        s.close().then(
          () => process.exit(EXIT.OK),
          (e: Error) => {
            err(`spoor serve: error while stopping: ${e.message}`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  const token = serve.command('token').description('Manage API tokens (stored hashed in DATA_DIR)');
  token
    .command('create')
    .description('Create a token; prints it once on stdout')
    .requiredOption('--scope <list>', 'comma list of ingest, read, triage, admin (triage: alert status, notes, assignee; triage implies read; admin implies all)')
    .option('--name <text>', 'a note to recognise it by')
    .option('-d, --data-dir <dir>', 'data directory', SERVE_DEFAULTS.dataDir)
    .action((o: { scope: string; name?: string; dataDir: string }, cmd: Command) => {
      try {
        const scopes = scopesOf(o.scope);
        const st = openTokenStore(tokenDataDir(o, cmd));
        const { token: t, info } = st.tokens.create(scopes, o.name);
        st.close();
        process.stdout.write(`${t}\n`);
        process.stderr.write(`token ${info.id} created with scopes ${scopes.join(',')} (stored hashed; this is the only time it is shown)\n`);
      } catch (e) {
        process.stderr.write(`spoor serve token create: ${(e as Error).message}\n`);
        process.exitCode = EXIT.ERROR;
      }
    });
  token
    .command('list')
    .description('List tokens as JSON (ids, scopes, names; never the secrets)')
    .option('-d, --data-dir <dir>', 'data directory', SERVE_DEFAULTS.dataDir)
    .action((o: { dataDir: string }, cmd: Command) => {
      const st = openTokenStore(tokenDataDir(o, cmd));
      process.stdout.write(`${JSON.stringify(st.tokens.list())}\n`);
      st.close();
    });
  token
    .command('revoke <id>')
    .description('Delete a token by id (exit 1 when there is none)')
    .option('-d, --data-dir <dir>', 'data directory', SERVE_DEFAULTS.dataDir)
    .action((id: string, o: { dataDir: string }, cmd: Command) => {
      const st = openTokenStore(tokenDataDir(o, cmd));
      const ok = st.tokens.revoke(id);
      st.close();
      process.stderr.write(ok ? `token ${id} revoked\n` : `no token ${id}\n`);
      process.exitCode = ok ? EXIT.OK : 1;
    });
}

/**
 * Start private nats-servers (JetStream, temp store, the partition mapping) on loopback ports and
 * stop them after: one server (`startNatsServer`, the tests and benches) or a cluster of N with
 * routes (`startNatsCluster`, nats-cluster-long.ts). One spawn/wait/stop path for both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverConfig } from '../../src/cluster/subjects.js';

export interface NatsServer {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export function natsServerBinary(): string | null {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port: number, ms: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = tcpConnect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > until) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One running nats-server process. */
interface Proc {
  child: ChildProcess;
  /** SIGKILL (tests: a server crash). */
  kill(): void;
  /** SIGTERM, SIGKILL after 3 s. */
  stop(): Promise<void>;
}

/** Write `conf` into `dir`, start nats-server on it and wait until it listens on `port`. */
async function spawnServer(dir: string, conf: string, port: number): Promise<Proc> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server not installed (apt-get install nats-server)');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nats.conf');
  writeFileSync(file, conf);
  const child: ChildProcess = spawn(bin, ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  try {
    await waitPort(port, 10_000, child);
  } catch (e) {
    if (alive()) child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}: ${err}`);
  }
  return {
    child,
    kill: () => {
      if (alive()) child.kill('SIGKILL');
    },
    stop: async () => {
      if (!alive()) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (alive()) child.kill('SIGKILL');
    },
  };
}

/** `extraConfig`: more server config (authorization, tls) appended to the generated file; `dir`: use this dir (files it refers to). */
export async function startNatsServer(partitions?: number, extraConfig = '', dirIn?: string): Promise<NatsServer> {
  const dir = dirIn ?? mkdtempSync(join(tmpdir(), 'spoor-nats-'));
  const port = await freePort();
  let p: Proc;
  try {
    p = await spawnServer(dir, serverConfig({ port, storeDir: join(dir, 'js'), partitions }) + extraConfig, port);
  } catch (e) {
    if (!dirIn) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    stop: async () => {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface NatsClusterServer {
  name: string;
  port: number;
  url: string;
  /** SIGKILL this server. */
  kill(): void;
}

export interface NatsCluster {
  /** All client URLs, comma-separated (what `--nats` takes). */
  url: string;
  servers: NatsClusterServer[];
  dir: string;
  stop(): Promise<void>;
}

/** `n` nats-servers named nats-1…n with cluster routes to each other (docs/scale-out.md "NATS configuration"), on loopback. */
export async function startNatsCluster(n = 3, partitions?: number): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-nats-cluster-'));
  const ports: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < n; i++) {
    ports.push(await freePort());
    routePorts.push(await freePort());
  }
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const name = `nats-${i + 1}`;
      const sdir = join(dir, name);
      // Started together: a server waits for its routes only in the background.
      procs.push(await spawnServer(sdir, serverConfig({ port: ports[i]!, storeDir: join(sdir, 'js'), partitions, serverName: name, cluster: { name: 'spoor', port: routePorts[i]!, routes } }), ports[i]!));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: ports.map((p) => `nats://127.0.0.1:${p}`).join(','),
    servers: procs.map((p, i) => ({ name: `nats-${i + 1}`, port: ports[i]!, url: `nats://127.0.0.1:${ports[i]!}`, kill: () => p.kill() })),
    dir,
    stop,
  };
}

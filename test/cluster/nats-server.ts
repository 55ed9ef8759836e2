/** Start a private nats-server (JetStream, temp store, the partition mapping) on a loopback port; stop it after. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port: number, ms: number): Promise<void> {
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
    if (Date.now() > until) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `extraConfig`: more server config (authorization, tls) appended to the generated file; `dir`: use this dir (files it refers to). */
export async function startNatsServer(partitions?: number, extraConfig = '', dirIn?: string): Promise<NatsServer> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('nats-server not installed (apt-get install nats-server)');
  const dir = dirIn ?? mkdtempSync(join(tmpdir(), 'spoor-nats-'));
  const port = await freePort();
  const conf = join(dir, 'nats.conf');
  writeFileSync(conf, serverConfig({ port, storeDir: join(dir, 'js'), partitions }) + extraConfig);
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  try {
    await waitPort(port, 5000);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}: ${err}`);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

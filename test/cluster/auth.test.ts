/**
 * cluster/ against a NATS server that requires credentials: user/password in the --nats URL (a
 * real nats-server with `authorization { user, password }`), refused without them; TLS with a
 * CA file (`--nats-tls-ca`) against a server with a certificate signed by a throw-away CA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from './nats-server.js';
import { Bus, connectionOptions, redactUrl } from '../../src/cluster/nats.js';
import { CLUSTER } from '../../src/cluster/subjects.js';
import { startIngestNode } from '../../src/cluster/ingest.js';
import { failedLogon } from './corr-fixtures.js';

test('credentials come out of the URL; logs show the URL redacted', () => {
  const o = connectionOptions('nats://spoor:p%40ss@10.0.0.1:4222,nats://spoor:p%40ss@10.0.0.2:4222', 'x');
  assert.deepEqual(o.servers, ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']);
  assert.equal(o.user, 'spoor');
  assert.equal(o.pass, 'p@ss');
  const t = connectionOptions('tls://s3cr3t-token@nats.example:4222', 'x', { tlsCaFile: '/ca.pem' });
  assert.equal(t.token, 's3cr3t-token');
  assert.deepEqual(t.servers, ['tls://nats.example:4222']);
  assert.deepEqual(t.tls, { caFile: '/ca.pem' });
  assert.equal(redactUrl('nats://spoor:p%40ss@a:1,nats://tok@b:2'), 'nats://***@a:1,nats://***@b:2');
  assert.throws(() => connectionOptions(' , ', 'x'), /no NATS server/);
});

test('user/password: refused without or with a wrong password; an ingest node publishes with the right one', async () => {
  const nats = await startNatsServer(undefined, 'authorization {\n  user: spoor\n  password: "s3cr3t-pw"\n}\n');
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-auth-'));
  try {
    const hostPort = nats.url.slice('nats://'.length);
    await assert.rejects(Bus.connect(nats.url, 't-none'), /authorization/i);
    await assert.rejects(Bus.connect(`nats://spoor:wrong@${hostPort}`, 't-wrong'), /authorization/i);
    const url = `nats://spoor:s3cr3t-pw@${hostPort}`;
    const ingest = await startIngestNode({ natsUrl: url, dataDir: dir, port: 0, host: '127.0.0.1', onLog: () => undefined, sink: false });
    try {
      const token = ingest.createdTokens.find((t) => t.scope === 'ingest')!.token;
      const body = `{"create":{}}\n${failedLogon('AUTH-HOST', Date.parse('2026-03-02T10:00:00Z'), '10.8.0.1', 'bob')}\n`;
      const r = await fetch(`${ingest.url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { errors: boolean }).errors, false);
    } finally {
      await ingest.close();
    }
    const bus = await Bus.connect(url, 't-ok');
    try {
      assert.equal((await bus.streamCounts(CLUSTER.eventStream)).messages, 1);
      const kv = await bus.kv('t-auth-kv', 2000);
      assert.ok((await kv.create('k', 'v')) > 0);
    } finally {
      await bus.close();
    }
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TLS: the server certificate is verified with --nats-tls-ca; without the CA the connection is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-nats-tls-'));
  try {
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    try {
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=spoor-test-ca');
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
      writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
    } catch (e) {
      t.skip(`openssl not usable: ${(e as Error).message}`);
      return;
    }
    const nats = await startNatsServer(undefined, `tls {\n  cert_file: "${join(dir, 'server.pem')}"\n  key_file: "${join(dir, 'server.key')}"\n}\n`, dir);
    try {
      await assert.rejects(Bus.connect(nats.url, 't-untrusted', { tlsCaFile: join(dir, 'server.pem') }));
      const bus = await Bus.connect(nats.url, 't-tls', { tlsCaFile: join(dir, 'ca.pem') });
      try {
        await bus.ensureStreams();
        const r = await bus.publish([{ subject: 'spoor.in.tls-host', data: '{}', msgId: 'tls-1' }]);
        assert.equal(r[0]!.duplicate, false);
      } finally {
        await bus.close();
      }
    } finally {
      await nats.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

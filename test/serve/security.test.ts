/** serve/: no anonymous writes, scopes, shipper credential forms, TLS, and limits on hostile bodies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bulkBody, call, serve } from './client.js';

const DOC = '{"@timestamp":"2026-03-02T08:00:00Z","host":{"name":"h1"},"event":{"category":"process","type":"start"},"process":{"pid":1}}';

test('401/403 for every missing or wrong credential; Basic and ApiKey accepted for ingest only', async () => {
  const h = await serve();
  try {
    const read = h.s.context.tokens.create(['read']).token;
    const u = h.s.url;
    const bulk = (headers: Record<string, string>): Promise<{ status: number; code: string }> =>
      call(`${u}/_bulk`, { method: 'POST', body: bulkBody([DOC]), headers: { 'content-type': 'application/x-ndjson', ...headers } }).then((r) => ({ status: r.status, code: (r.json() as { code?: string }).code ?? '' }));
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const cases: [string, Record<string, string>, number, string][] = [
      ['no credentials', {}, 401, 'SPOOR_UNAUTHENTICATED'],
      ['unknown bearer', { authorization: 'Bearer spoor_nope_nope' }, 401, 'SPOOR_BAD_CREDENTIALS'],
      ['empty bearer', { authorization: 'Bearer' }, 401, 'SPOOR_BAD_CREDENTIALS'],
      ['unknown scheme', { authorization: `Digest ${h.ingest}` }, 401, 'SPOOR_BAD_CREDENTIALS'],
      ['wrong basic password', { authorization: `Basic ${b64('elastic:changeme')}` }, 401, 'SPOOR_BAD_CREDENTIALS'],
      ['basic without colon', { authorization: `Basic ${b64(h.ingest)}` }, 401, 'SPOOR_BAD_CREDENTIALS'],
      ['wrong api key', { authorization: `ApiKey ${b64('id:nope')}` }, 401, 'SPOOR_BAD_CREDENTIALS'],
      ['read token cannot ingest', { authorization: `Bearer ${read}` }, 403, 'SPOOR_FORBIDDEN'],
      ['ingest bearer', { authorization: `Bearer ${h.ingest}` }, 200, ''],
      ['admin bearer', { authorization: `Bearer ${h.admin}` }, 200, ''],
      ['basic with ingest token', { authorization: `Basic ${b64(`winlogbeat:${h.ingest}`)}` }, 200, ''],
      ['api key id:token', { authorization: `ApiKey ${b64(`beats:${h.ingest}`)}` }, 200, ''],
    ];
    for (const [what, headers, status, code] of cases) {
      const r = await bulk(headers);
      assert.equal(r.status, status, what);
      if (code) assert.equal(r.code, code, what);
    }
    const api = async (path: string, token: string | undefined, init: RequestInit = {}): Promise<number> => (await call(`${u}${path}`, { ...init, token })).status;
    assert.equal(await api('/api/alerts', undefined), 401);
    assert.equal(await api('/api/alerts', h.ingest), 403);
    assert.equal(await api('/api/alerts', read), 200);
    assert.equal(await api('/api/alerts', h.admin), 200);
    assert.equal((await call(`${u}/api/alerts`, { headers: { authorization: `Basic ${b64(`x:${h.admin}`)}` } })).status, 403, 'shipper forms are for ingest only');
    assert.equal(await api('/metrics', undefined), 401);
    assert.equal(await api('/metrics', read), 200);
    assert.equal(await api('/api/rules/reload', read, { method: 'POST' }), 403);
    assert.equal(await api('/api/rules/reload', h.admin, { method: 'POST' }), 200);
    assert.equal(await api('/api/alerts/x/status', read, { method: 'POST', body: '{"status":"closed"}' }), 403);
    assert.equal(await api('/api/exceptions', read, { method: 'PUT', body: '{}' }), 403);
    assert.equal(await api('/_index_template/x', undefined, { method: 'PUT', body: '{}' }), 401);
    assert.equal(await api('/ingest', undefined, { method: 'POST', body: DOC }), 401);
    assert.equal(await api('/api/health', undefined), 200, 'health is open');
    // Tokens are stored hashed.
    const stored = h.s.context.db.prepare('SELECT hash FROM tokens').all() as { hash: string }[];
    assert.ok(stored.every((r) => r.hash !== h.ingest && /^[0-9a-f]{64}$/.test(r.hash)));
  } finally {
    await h.stop();
  }
});

test('hostile bodies get clear 4xx and the server stays up: oversized line and body, gzip bomb, bad gzip, wrong types, malformed actions, slow bodies', async () => {
  const h = await serve({ maxBodyBytes: 64 * 1024, maxLineBytes: 4096, requestTimeoutMs: 600 });
  try {
    const u = h.s.url;
    const post = (body: string | Buffer, headers: Record<string, string> = {}, path = '/_bulk') =>
      call(`${u}${path}`, { method: 'POST', token: h.ingest, body, headers: { 'content-type': 'application/x-ndjson', ...headers } }).then((r) => ({ status: r.status, code: (r.json() as { code?: string }).code }));
    const big = `{"create":{}}\n{"x":"${'a'.repeat(5000)}"}\n`;
    assert.deepEqual(await post(big), { status: 413, code: 'SPOOR_LINE_TOO_LARGE' });
    const many = bulkBody(Array.from({ length: 1000 }, () => DOC));
    assert.deepEqual(await post(many), { status: 413, code: 'SPOOR_BODY_TOO_LARGE' });
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x0a)); // 50 MB of empty lines in ~50 KB
    assert.ok(bomb.length < 64 * 1024);
    assert.deepEqual(await post(bomb, { 'content-encoding': 'gzip' }), { status: 413, code: 'SPOOR_BODY_TOO_LARGE' });
    assert.deepEqual(await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }), { status: 400, code: 'SPOOR_BAD_GZIP' });
    assert.deepEqual(await post(bulkBody([DOC]), { 'content-encoding': 'br' }), { status: 415, code: 'SPOOR_UNSUPPORTED_MEDIA_TYPE' });
    assert.deepEqual(await post(bulkBody([DOC]), { 'content-type': 'image/png' }), { status: 415, code: 'SPOOR_UNSUPPORTED_MEDIA_TYPE' });
    assert.deepEqual(await post('{not an action\n{}\n'), { status: 400, code: 'SPOOR_BAD_REQUEST' });
    assert.deepEqual(await post('{"frobnicate":{}}\n{}\n'), { status: 400, code: 'SPOOR_BAD_REQUEST' });
    assert.deepEqual(await post(''), { status: 400, code: 'SPOOR_BAD_REQUEST' });
    // Slowloris: headers, then a trickle of body that never completes.
    const slow = await new Promise<string>((resolve) => {
      const sock = connect(Number(new URL(u).port), '127.0.0.1');
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
      sock.write(`POST /_bulk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.ingest}\r\nContent-Type: application/x-ndjson\r\nContent-Length: 60000\r\n\r\n`);
      const t = setInterval(() => sock.writable && sock.write('{'), 100);
      sock.on('close', () => clearInterval(t));
      setTimeout(() => {
        clearInterval(t);
        sock.destroy();
      }, 5000);
    });
    assert.match(slow, /^HTTP\/1\.1 408/, 'a slow body is cut off with 408');
    // Still up, and good requests still work.
    const ok = await post(bulkBody([DOC]));
    assert.equal(ok.status, 200);
    assert.equal(h.s.context.stream.count(), 1);
  } finally {
    await h.stop();
  }
});

test('TLS from cert/key files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-tls-'));
  try {
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    } catch {
      t.skip('openssl not available');
      return;
    }
    const h = await serve({ tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
    try {
      assert.match(h.s.url, /^https:/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${h.s.url}/`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
    } finally {
      await h.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * HTTP plumbing on node:http: a route table (`/api/alerts/:id` style), request ids, one error
 * handler answering JSON `{code, message}`, `X-Elastic-Product: Elasticsearch` on every response
 * (Elasticsearch clients ≥ 7.14 refuse servers without it), and body reading that enforces the
 * byte limits while streaming: compressed size, decompressed size (gzip bombs stop at the limit,
 * not after inflating everything) and line length.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { ServeError } from './errors.js';
import type { Scope } from './store/tokens.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  requestId: string;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

export interface Route {
  method: string;
  /** Segments; `:name` matches one segment. */
  path: string;
  /** Scope needed, or null for open routes. */
  scope: Scope | null;
  handler: Handler;
}

interface Compiled extends Route {
  segs: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(method: string | string[], path: string, scope: Scope | null, handler: Handler): this {
    for (const m of Array.isArray(method) ? method : [method]) this.routes.push({ method: m, path, scope, handler, segs: split(path) });
    return this;
  }

  /** The route for a request: `{route, params}`, or a 404/405 error. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    const segs = split(pathname);
    let pathMatched = false;
    for (const r of this.routes) {
      const params = matchSegs(r.segs, segs);
      if (!params) continue;
      pathMatched = true;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET' && !this.routes.some((x) => x.method === 'HEAD' && matchSegs(x.segs, segs)))) return { route: r, params };
    }
    throw new ServeError(pathMatched ? 'SPOOR_METHOD_NOT_ALLOWED' : 'SPOOR_NOT_FOUND', `${method} ${pathname}`);
  }
}

function split(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}

function matchSegs(pattern: string[], segs: string[]): Record<string, string> | null {
  if (pattern.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(segs[i]!);
      } catch {
        return null;
      }
    } else if (p !== segs[i]) return null;
  }
  return params;
}

export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}

export function baseHeaders(res: ServerResponse, requestId: string): void {
  res.setHeader('X-Elastic-Product', 'Elasticsearch');
  res.setHeader('X-Request-Id', requestId);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

/** Send JSON already rendered (the bulk answer builds its items as text). */
export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Send JSON already rendered as bytes; `done` runs once they are written out (or the response ended otherwise). */
export function sendJsonBytes(res: ServerResponse, status: number, bytes: Buffer, done: () => void): void {
  if (res.headersSent) {
    done();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': bytes.length });
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    done();
  };
  // 'close' too: a response cut off before it finished never calls end's callback.
  res.once('close', once);
  res.end(res.req.method === 'HEAD' ? undefined : bytes, once);
}

/**
 * The request loop both `spoor serve` and cluster ingest nodes run: request id and base headers,
 * route match, scope check, handler; any failure becomes the one error answer and is counted.
 */
export function dispatchRequests(
  router: Router,
  authorize: (req: IncomingMessage, scope: Scope) => void,
  hooks: { onError: () => void; log: (message: string) => void },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = newRequestId();
    baseHeaders(res, requestId);
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://spoor.invalid');
        const { route, params } = router.match(req.method ?? 'GET', url.pathname);
        if (route.scope) authorize(req, route.scope);
        await route.handler({ req, res, url, params, requestId });
      } catch (e) {
        hooks.onError();
        sendError(res, e, (err) => hooks.log(`internal error (request ${requestId}): ${err.stack ?? err.message}`));
      }
    })();
  };
}

/** The one error answer. Errors that leave a body half-read also close the connection. */
export function sendError(res: ServerResponse, e: unknown, onInternal: (e: Error) => void): void {
  const err = e instanceof ServeError ? e : null;
  if (!err) onInternal(e as Error);
  const code = err?.code ?? 'SPOOR_INTERNAL';
  const status = err?.status ?? 500;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Elasticsearch clients read `error.type`/`error.reason`; ours read `code`/`message`.
  const message = err?.message ?? 'internal error';
  if (status === 413 || status === 408 || status === 400 || status === 415) res.setHeader('Connection', 'close');
  sendJson(res, status, { code, message, status, error: { type: code, reason: message } });
}

export interface BodyLimits {
  /** Bytes on the wire and bytes after decompression. */
  maxBodyBytes: number;
  maxLineBytes: number;
}

/**
 * Read the whole request body (decompressing gzip/deflate) under the limits, checked while it
 * streams: bytes on the wire, bytes after decompression (gzip bombs stop at the limit, not after
 * inflating everything) and line length (a line over the limit fails as soon as it is seen).
 * The body stays bytes: the ingest path scans documents in it without decoding them.
 */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxBodyBytes) throw new ServeError('SPOOR_BODY_TOO_LARGE', `${declared} bytes > ${limits.maxBodyBytes}`);
  const enc = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  let inflater: Gunzip | Inflate | null = null;
  if (enc === 'gzip' || enc === 'x-gzip') inflater = createGunzip();
  else if (enc === 'deflate') inflater = createInflate();
  else if (enc !== 'identity' && enc !== '') throw new ServeError('SPOOR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding '${enc}'`);

  let wire = 0;
  let plain = 0;
  const parts: Buffer[] = [];
  /** Bytes of the current (unterminated) line so far. */
  let lineSoFar = 0;
  const tooLong = (): ServeError => new ServeError('SPOOR_LINE_TOO_LARGE', `line over ${limits.maxLineBytes} bytes`);
  const take = (chunk: Buffer): void => {
    plain += chunk.length;
    if (plain > limits.maxBodyBytes) throw new ServeError('SPOOR_BODY_TOO_LARGE', `decompressed body over ${limits.maxBodyBytes} bytes`);
    parts.push(chunk);
    const first = chunk.indexOf(0x0a);
    if (first < 0) {
      lineSoFar += chunk.length;
      if (lineSoFar > limits.maxLineBytes) throw tooLong();
      return;
    }
    if (lineSoFar + first > limits.maxLineBytes) throw tooLong();
    const last = chunk.lastIndexOf(0x0a);
    if (last - first > limits.maxLineBytes) {
      // Lines inside the chunk may be over the limit too: look at each.
      for (let at = first; at < last; ) {
        const nl = chunk.indexOf(0x0a, at + 1);
        if (nl - at - 1 > limits.maxLineBytes) throw tooLong();
        at = nl;
      }
    }
    lineSoFar = chunk.length - last - 1;
    if (lineSoFar > limits.maxLineBytes) throw tooLong();
  };

  if (!inflater) {
    for await (const c of req) {
      const chunk = c as Buffer;
      wire += chunk.length;
      take(chunk);
    }
  } else {
    const z = inflater;
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        req.unpipe(z);
        z.destroy();
        reject(e);
      };
      req.on('data', (c: Buffer) => {
        wire += c.length;
        if (wire > limits.maxBodyBytes) fail(new ServeError('SPOOR_BODY_TOO_LARGE', `body over ${limits.maxBodyBytes} bytes`));
      });
      req.on('error', fail);
      z.on('data', (c: Buffer) => {
        if (failed) return;
        try {
          take(c);
        } catch (e) {
          fail(e as Error);
        }
      });
      z.on('error', (e) => fail(new ServeError('SPOOR_BAD_GZIP', e.message)));
      z.on('end', () => {
        if (!failed) resolve();
      });
      req.pipe(z);
    });
  }
  if (parts.length === 1) return parts[0]!;
  const body = bodyBuffer(plain);
  let at = 0;
  for (const p of parts) {
    p.copy(body, at);
    at += p.length;
  }
  return body;
}

/**
 * Buffers for request bodies, reused: a fresh megabyte-sized Buffer per request is external
 * memory, whose growth makes V8 start full collections (marking on its helper threads) far more
 * often than the heap itself would. A body goes back with `releaseBody` once its request is done.
 */
const bodyPool: ArrayBuffer[] = [];
const pooled = new WeakSet<ArrayBuffer>();
const POOL_MAX = 8;
/** Larger bodies get a buffer of their own, not kept (the pool holds at most POOL_MAX × this). */
const POOL_BUFFER_MAX = 4 << 20;

function bodyBuffer(n: number): Buffer {
  for (let i = 0; i < bodyPool.length; i++) {
    const ab = bodyPool[i]!;
    if (ab.byteLength >= n) {
      bodyPool.splice(i, 1);
      return Buffer.from(ab, 0, n);
    }
  }
  if (n < 1 << 16 || n > POOL_BUFFER_MAX) return Buffer.allocUnsafe(n);
  let cap = 1 << 20;
  while (cap < n) cap *= 2; // ≤ POOL_BUFFER_MAX (a power of two)
  const ab = new ArrayBuffer(cap);
  pooled.add(ab);
  return Buffer.from(ab, 0, n);
}

/** A buffer of `n` bytes from the same pool (the bulk answer); give it back with `releaseBody`. */
export function answerBuffer(n: number): Buffer {
  return bodyBuffer(n);
}

/** Give a body read by `readBody` back for reuse (nothing may read it afterwards). */
export function releaseBody(body: Buffer): void {
  const ab = body.buffer as ArrayBuffer;
  if (!pooled.has(ab) || bodyPool.length >= POOL_MAX || bodyPool.includes(ab)) return;
  bodyPool.push(ab);
}

/**
 * Each non-blank line of an NDJSON body: `onLine(start, end)` gives its byte range without the
 * line break (and without a `\r` before it). Lines of white space only are skipped (judged on
 * their text, as before: any Unicode white space).
 */
export function forEachLine(body: Buffer, onLine: (start: number, end: number) => void): void {
  const n = body.length;
  let start = 0;
  while (start < n) {
    let nl = body.indexOf(0x0a, start);
    if (nl < 0) nl = n;
    let end = nl;
    if (end > start && body[end - 1] === 0x0d) end--;
    if (end > start && (body[start] === 0x7b || body.toString('utf8', start, end).trim().length > 0)) onLine(start, end);
    start = nl + 1;
  }
}

/** A small JSON body (API calls), under `max` bytes. */
export async function readJsonBody(req: IncomingMessage, max = 1 << 20): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new ServeError('SPOOR_BODY_TOO_LARGE', `over ${max} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ServeError('SPOOR_BAD_REQUEST', `body is not JSON: ${(e as Error).message}`);
  }
}

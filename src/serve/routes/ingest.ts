/**
 * `POST /_bulk`, `POST /{index}/_bulk` (Elasticsearch bulk API: NDJSON action/document pairs,
 * gzip, `create` and `index` actions, per-item results in request order) and `POST /ingest`
 * (plain NDJSON, one event per line).
 *
 * The body is read under the byte limits (http.ts) and kept as bytes: each document is scanned
 * in place (scan-bytes.ts; the parser only for what the scan cannot decide) and recorded in one
 * RequestEvents per request (ingest-batch.ts), not an object per event; the events are appended
 * to the log with group commit, and the answer is sent only after that commit: a 2xx
 * item means the event is durable. A document that is not a JSON object fails alone (status 400
 * item, `mapper_parsing_exception`), as in Elasticsearch; a malformed action line fails the whole
 * request (400), as in Elasticsearch. `delete`/`update` items get a 400 item each.
 * Back-pressure: when the events waiting for commit or detection reach `maxQueue`, the request is
 * answered 429 before its body is read (Beats, Logstash and Fluent Bit retry with backoff).
 */
import type { Router, Ctx } from '../http.js';
import { answerBuffer, forEachLine, readBody, releaseBody, sendJson, sendJsonBytes } from '../http.js';
import { ServeError } from '../errors.js';
import type { IngestContext } from '../context.js';
import { ingestBytes, parseDocument } from '../ingest-parse.js';
import { RequestEvents } from '../ingest-batch.js';
import { toEcs } from '../../normalize/index.js';
import { str } from '../../alert/ecs-fields.js';
import { shipperOf } from './ingest-stats.js';
import type { Admission } from '../queue-budget.js';

type ItemResult = Record<string, Record<string, unknown>>;

const latin1 = (t: string): Buffer => Buffer.from(t, 'latin1');
/** The bytes of a successful item around its seq, per action and index (shippers use one or two). */
const itemBytes = new Map<string, Buffer>();
const ITEM_TAIL = latin1(',"_primary_term":1,"status":201}}');
const ID_MID = '","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":';

/** An item's bytes up to its `_id` value, per action and index. */
function itemHead(op: string, index: string): Buffer {
  const key = `${op}\n${index}`;
  let t = itemBytes.get(key);
  if (t === undefined) {
    if (itemBytes.size >= 256) itemBytes.clear();
    itemBytes.set(key, (t = Buffer.from(`{${JSON.stringify(op)}:{"_index":${JSON.stringify(index)},"_id":`, 'utf8')));
  }
  return t;
}
/** `"_id":"spoor-SEQ"` when the action gave none: its opening, and what follows the seq (the closing quote on). */
const SPOOR_ID = latin1('"spoor-');
const AFTER_SPOOR_ID = latin1(ID_MID);
/** What follows an `_id` the action gave (its JSON string). */
const AFTER_ID = latin1(ID_MID.slice(1));

/** Write `v` (a non-negative integer) in decimal at `at`; returns the index after it (no string made). */
function putInt(b: Buffer, at: number, v: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  const end = at + digits;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(v / 10);
    b[i] = 0x30 + (v - q * 10);
    v = q;
  }
  return end;
}

/**
 * The bulk answer, written as bytes: each successful item is its action's cached bytes around
 * its seq (twice: `_id` and `_seq_no`), not a string per item joined and encoded (~0.7 µs per item
 * before). Error items, rare, are rendered with JSON.stringify. The buffer comes from the body
 * pool and goes back once the answer is written out.
 */
function sendBulkAnswer(c: Ctx, took: number, items: readonly BulkItem[], seqs: readonly number[]): void {
  let errors = false;
  let size = 64;
  const rendered: (Buffer | null)[] = new Array<Buffer | null>(items.length).fill(null);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.error) {
      errors = true;
      const item: ItemResult = { [it.op]: { _index: it.index, _id: it.id ?? null, status: it.error.status, error: { type: it.error.type, reason: it.error.reason } } };
      const b = Buffer.from(JSON.stringify(item), 'utf8');
      rendered[i] = b;
      size += b.length + 1;
      continue;
    }
    const id = it.id !== undefined ? Buffer.byteLength(JSON.stringify(it.id)) : SPOOR_ID.length + 17;
    size += it.n * (itemHead(it.op, it.index).length + id + AFTER_SPOOR_ID.length + 17 + ITEM_TAIL.length + 1);
  }
  const out = answerBuffer(size);
  let at = out.write(`{"took":${took},"errors":${errors},"items":[`, 0, 'latin1');
  let k = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const r = rendered[i];
    if (r) {
      if (i > 0) out[at++] = 0x2c;
      out.set(r, at);
      at += r.length;
      continue;
    }
    const head = itemHead(it.op, it.index);
    for (let j = 0; j < it.n; j++) {
      if (i > 0 || j > 0) out[at++] = 0x2c;
      const seq = seqs[k] ?? 0;
      k += it.run ? 1 : it.events!;
      out.set(head, at);
      at += head.length;
      if (it.id !== undefined) {
        at += out.write(JSON.stringify(it.id), at, 'utf8');
        out.set(AFTER_ID, at);
        at += AFTER_ID.length;
      } else {
        out.set(SPOOR_ID, at);
        at = putInt(out, at + SPOOR_ID.length, seq);
        out.set(AFTER_SPOOR_ID, at);
        at += AFTER_SPOOR_ID.length;
      }
      at = putInt(out, at, seq);
      out.set(ITEM_TAIL, at);
      at += ITEM_TAIL.length;
    }
  }
  out[at++] = 0x5d;
  out[at++] = 0x7d;
  sendJsonBytes(c.res, 200, out.subarray(0, at), () => releaseBody(out));
}

/** One item of the answer, or a run of `n` consecutive items (see bulkBody). */
interface BulkItem {
  op: string;
  index: string;
  id?: string;
  /** Events its documents hold (recorded in the request's RequestEvents, in item order); a run's items hold one each. */
  events?: number;
  error?: { status: number; type: string; reason: string };
  /** Items it stands for (1 unless `run`). */
  n: number;
  /** Successful items of one event each, without an `_id`: more may join it. */
  run: boolean;
}

const ACTIONS_WITH_SOURCE = new Set(['index', 'create', 'update']);

function checkContentType(ctx: Ctx): void {
  const ct = (ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (ct === '') return;
  const ok = ['application/json', 'application/x-ndjson', 'application/vnd.elasticsearch+json', 'application/vnd.elasticsearch+x-ndjson', 'text/plain', 'application/octet-stream'];
  if (!ok.some((t) => ct.startsWith(t))) throw new ServeError('SPOOR_UNSUPPORTED_MEDIA_TYPE', `Content-Type '${ct}' (send application/x-ndjson)`);
}

/** A body's size before it is read: Content-Length (× 8 when compressed: JSON inflates ~10×), 1 MiB when not declared; at most the body limit. */
function bodyEstimate(c: Ctx, max: number): number {
  const declared = Number(c.req.headers['content-length'] ?? NaN);
  const enc = (c.req.headers['content-encoding'] ?? '').toLowerCase();
  const est = !Number.isFinite(declared) || declared < 0 ? 1 << 20 : enc.includes('gzip') || enc.includes('deflate') ? declared * 8 : declared;
  return Math.min(est, max);
}

const NO_ADMISSION: Admission = { resize: () => {}, release: () => {} };

/**
 * 429 before the body is read when the events waiting reach `maxQueue` or, where the context keeps
 * a byte budget, when the bytes held in memory would pass `maxQueueBytes` (queue-budget.ts). The
 * admission returned counts the body until released (when the request is answered).
 */
function backPressure(ctx: IngestContext, c: Ctx): Admission {
  if (ctx.shuttingDown) throw new ServeError('SPOOR_SHUTTING_DOWN');
  if (ctx.queueDepth() >= ctx.config.maxQueue) {
    ctx.counters.rejected429++;
    throw new ServeError('SPOOR_TOO_MANY_REQUESTS', `${ctx.queueDepth()} events waiting`);
  }
  if (!ctx.admitBytes) return NO_ADMISSION;
  const a = ctx.admitBytes(bodyEstimate(c, ctx.config.maxBodyBytes));
  if (!a) {
    ctx.counters.rejected429++;
    throw new ServeError('SPOOR_TOO_MANY_REQUESTS', `ingest memory budget (${ctx.config.maxQueueBytes} bytes) in use`);
  }
  return a;
}

/** A number per connection: the source whose order the reorder buffer may trust (reorder.ts sourceOrder). */
const connIds = new WeakMap<object, number>();
let nextConn = 1;
function connectionOf(c: Ctx): number {
  const sock = c.req.socket;
  let id = connIds.get(sock);
  if (id === undefined) connIds.set(sock, (id = nextConn++));
  return id;
}

/** Append every event of the request, durably; returns each event's seq in order. */
async function appendAll(ctx: IngestContext, req: RequestEvents, src: number): Promise<number[]> {
  if (req.n === 0) return [];
  req.src = src;
  const seqs = await ctx.stream.append(req);
  ctx.counters.eventsIn += req.n;
  countHosts(ctx, req);
  return seqs;
}

/** Per-host ingest health: one update per host of the request (the name read once per host). */
function countHosts(ctx: IngestContext, req: RequestEvents): void {
  const stats = ctx.ingestStats;
  if (!stats) return;
  const h = req.hosts.length;
  const n = new Uint32Array(h);
  const newest = new Float64Array(h).fill(NaN);
  const first = new Int32Array(h).fill(-1);
  for (let i = 0; i < req.n; i++) {
    const x = req.hostIx[i]!;
    if (first[x] === -1) first[x] = i;
    n[x]!++;
    const t = req.timeMs[i]!; // NaN: no time
    if (t === t && !(t <= newest[x]!)) newest[x] = t;
  }
  const now = Date.now();
  for (let x = 0; x < h; x++) {
    const t = newest[x]!;
    stats.host(req.hosts[x]!, n[x]!, t === t ? t : null, () => hostNameOf(req.raw(first[x]!)), now);
  }
}

/** Asked once per new host: the event is parsed from its text (requests hold only bytes). */
function hostNameOf(raw: string): string | undefined {
  try {
    const p = parseDocument(raw);
    const first = 'events' in p ? p.events[0] : undefined;
    if (!first) return undefined;
    const ecs = toEcs(first.se.event);
    return str(ecs, 'host.name') ?? str(ecs, 'host.hostname') ?? str(ecs, 'winlog.computer_name');
  } catch {
    return undefined;
  }
}

/** Whether body[a, b) holds the bytes of `line[0, n)`. */
function sameBytes(body: Buffer, a: number, b: number, line: Uint8Array, n: number): boolean {
  if (b - a !== n) return false;
  for (let i = 0; i < n; i++) if (body[a + i] !== line[i]) return false;
  return true;
}

function remoteOf(c: Ctx): string {
  return c.req.socket.remoteAddress ?? 'unknown';
}

export function registerIngest(r: Router, ctx: IngestContext): void {
  const bulk = async (c: Ctx): Promise<void> => {
    const admitted = backPressure(ctx, c);
    try {
      checkContentType(c);
      ctx.counters.bulkRequests++;
      const started = Date.now();
      const body = await readBody(c.req, { maxBodyBytes: ctx.config.maxBodyBytes, maxLineBytes: ctx.config.maxLineBytes });
      admitted.resize(body.length);
      try {
        await bulkBody(c, body, started);
      } finally {
        releaseBody(body);
      }
    } finally {
      admitted.release();
    }
  };
  const bulkBody = async (c: Ctx, body: Buffer, started: number): Promise<void> => {
    const defaultIndex = c.params.index ?? 'spoor';
    // Items in request order, as runs: consecutive successful one-event items of the same action
    // and index and without an `_id` share one entry (a run of 1000 for a shipper's usual batch),
    // so a request holds no object per document while it waits for its commit.
    const items: BulkItem[] = [];
    /** The action line read and not yet matched with its document. */
    let expectOp: string | null = null;
    let expectIndex = '';
    let expectId: string | undefined;
    let lineNo = 0;
    let lastAction: unknown;
    // Sized for ~1 KB per item (Defend events with their action line are ~1.25 KB): typed arrays
    // are array buffers outside the heap, whose turnover brings full collections sooner.
    const req = new RequestEvents(body, Math.min(65_536, body.length >> 10));
    // The last distinct action line's bytes, copied: the body before the document being
    // recorded is overwritten (RequestEvents.addScanned packs the documents at its start).
    let lastLine = new Uint8Array(0);
    let lastLen = -1;
    /** The last distinct action line's action, index and id (read once per distinct line). */
    let lastMeta: { op: string; index: string; id: string | undefined } | null = null;
    /** The next line is an update's document (answered with its error, not stored). */
    let skipSource = false;
    const push = (op: string, index: string, id: string | undefined, events: number, error?: BulkItem['error']): void => {
      const prev = items[items.length - 1];
      if (events === 1 && id === undefined && error === undefined && prev !== undefined && prev.run && prev.op === op && prev.index === index) {
        prev.n++;
        prev.events!++;
        return;
      }
      const it: BulkItem = { op, index, n: 1, run: events === 1 && id === undefined && error === undefined };
      if (id !== undefined) it.id = id;
      if (error) it.error = error;
      else it.events = events;
      items.push(it);
    };
    forEachLine(body, (from, to) => {
      lineNo++;
      if (expectOp !== null) {
        const op = expectOp;
        expectOp = null;
        const got = ingestBytes(req, from, to);
        if (typeof got === 'string') {
          ctx.counters.parseErrors++;
          push(op, expectIndex, expectId, 0, { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse document (line ${lineNo}): ${got}` });
        } else push(op, expectIndex, expectId, got);
        return;
      }
      if (skipSource) {
        skipSource = false; // an update's document: not stored
        return;
      }
      // Shippers repeat one action line for every document: parse it once per request.
      let action: unknown;
      if (lastLen >= 0 && sameBytes(body, from, to, lastLine, lastLen)) action = lastAction;
      else {
        const line = body.toString('utf8', from, to);
        try {
          action = JSON.parse(line);
        } catch {
          throw new ServeError('SPOOR_BAD_REQUEST', `Malformed action/metadata line [${lineNo}], expected a JSON object`);
        }
        if (lastLine.length < to - from) lastLine = new Uint8Array(to - from);
        lastLine.set(body.subarray(from, to));
        lastLen = to - from;
        lastAction = action;
        lastMeta = null;
      }
      if (lastMeta === null) {
        const keys = action && typeof action === 'object' && !Array.isArray(action) ? Object.keys(action) : [];
        if (keys.length !== 1) throw new ServeError('SPOOR_BAD_REQUEST', `Malformed action/metadata line [${lineNo}], expected one action`);
        const op = keys[0]!;
        const meta = (action as Record<string, unknown>)[op];
        const m = meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
        lastMeta = { op, index: typeof m._index === 'string' ? m._index : defaultIndex, id: typeof m._id === 'string' ? m._id : undefined };
      }
      const { op, index, id } = lastMeta;
      if (op === 'index' || op === 'create') {
        expectOp = op;
        expectIndex = index;
        expectId = id;
      } else if (ACTIONS_WITH_SOURCE.has(op) || op === 'delete') {
        if (op === 'update') skipSource = true;
        push(op, index, id, 0, { status: 400, type: 'illegal_argument_exception', reason: `spoor accepts only index and create actions, not ${op}` });
      } else throw new ServeError('SPOOR_BAD_REQUEST', `Malformed action/metadata line [${lineNo}], unknown action [${op}]`);
    });
    const ended = { status: 400, type: 'illegal_argument_exception', reason: 'action without a document (body ended)' };
    if (expectOp !== null) push(expectOp, expectIndex, expectId, 0, ended);
    else if (skipSource) items[items.length - 1]!.error = ended; // an update whose document never came
    if (items.length === 0) throw new ServeError('SPOOR_BAD_REQUEST', 'request body is required (action/metadata and document lines)');
    const seqs = await appendAll(ctx, req, connectionOf(c));
    const perIndex = new Map<string, { events: number; errors: number }>();
    for (const it of items) {
      const x = perIndex.get(it.index) ?? { events: 0, errors: 0 };
      x.events += it.events ?? 0;
      if (it.error?.type === 'mapper_parsing_exception') x.errors++;
      perIndex.set(it.index, x);
    }
    const shipper = shipperOf(c.req.headers['user-agent']);
    for (const [index, x] of perIndex) ctx.ingestStats?.source(shipper, index, remoteOf(c), x.events, x.errors);
    sendBulkAnswer(c, Date.now() - started, items, seqs);
  };
  r.add(['POST', 'PUT'], '/_bulk', 'ingest', bulk);
  r.add(['POST', 'PUT'], '/:index/_bulk', 'ingest', bulk);

  r.add('POST', '/ingest', 'ingest', async (c) => {
    const admitted = backPressure(ctx, c);
    try {
      await plainIngest(c, admitted);
    } finally {
      admitted.release();
    }
  });
  const plainIngest = async (c: Ctx, admitted: Admission): Promise<void> => {
    checkContentType(c);
    const errors: { line: number; reason: string }[] = [];
    let lineNo = 0;
    let rejected = 0;
    const body = await readBody(c.req, { maxBodyBytes: ctx.config.maxBodyBytes, maxLineBytes: ctx.config.maxLineBytes });
    admitted.resize(body.length);
    try {
      const req = new RequestEvents(body, Math.min(65_536, body.length >> 10));
      forEachLine(body, (from, to) => {
        lineNo++;
        const got = ingestBytes(req, from, to);
        if (typeof got === 'string') {
          ctx.counters.parseErrors++;
          rejected++;
          if (errors.length < 100) errors.push({ line: lineNo, reason: got });
        }
      });
      const seqs = await appendAll(ctx, req, connectionOf(c));
      ctx.ingestStats?.source(shipperOf(c.req.headers['user-agent']), '-', remoteOf(c), seqs.length, rejected);
      sendJson(c.res, 200, { accepted: seqs.length, rejected, errors, firstSeq: seqs[0] ?? null, lastSeq: seqs[seqs.length - 1] ?? null });
    } finally {
      releaseBody(body);
    }
  };
}

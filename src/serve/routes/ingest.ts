/**
 * `POST /_bulk`, `POST /{index}/_bulk` (Elasticsearch bulk API: NDJSON action/document pairs,
 * gzip, `create` and `index` actions, per-item results in request order) and `POST /ingest`
 * (plain NDJSON, one event per line).
 *
 * The body is streamed under the byte limits (http.ts) and parsed line by line; the events are
 * appended to the log with group commit, and the answer is sent only after that commit: a 2xx
 * item means the event is durable. A document that is not a JSON object fails alone (status 400
 * item, `mapper_parsing_exception`), as in Elasticsearch; a malformed action line fails the whole
 * request (400), as in Elasticsearch. `delete`/`update` items get a 400 item each.
 * Back-pressure: when the events waiting for commit or detection reach `maxQueue`, the request is
 * answered 429 before its body is read (Beats, Logstash and Fluent Bit retry with backoff).
 */
import type { Router, Ctx } from '../http.js';
import { readBodyLines, sendJson, sendJsonText } from '../http.js';
import { ServeError } from '../errors.js';
import type { IngestContext } from '../context.js';
import { ingestDocument, parseDocument, type LoggedEvent } from '../ingest-parse.js';
import type { LogRow } from '../store/stream.js';
import { toEcs } from '../../normalize/index.js';
import { str } from '../../alert/ecs-fields.js';
import { shipperOf } from './ingest-stats.js';

type ItemResult = Record<string, Record<string, unknown>>;

interface BulkItem {
  op: string;
  index: string;
  id?: string;
  events?: LoggedEvent[];
  error?: { status: number; type: string; reason: string };
}

const ACTIONS_WITH_SOURCE = new Set(['index', 'create', 'update']);

function checkContentType(ctx: Ctx): void {
  const ct = (ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (ct === '') return;
  const ok = ['application/json', 'application/x-ndjson', 'application/vnd.elasticsearch+json', 'application/vnd.elasticsearch+x-ndjson', 'text/plain', 'application/octet-stream'];
  if (!ok.some((t) => ct.startsWith(t))) throw new ServeError('SPOOR_UNSUPPORTED_MEDIA_TYPE', `Content-Type '${ct}' (send application/x-ndjson)`);
}

function backPressure(ctx: IngestContext): void {
  if (ctx.shuttingDown) throw new ServeError('SPOOR_SHUTTING_DOWN');
  if (ctx.queueDepth() >= ctx.config.maxQueue) {
    ctx.counters.rejected429++;
    throw new ServeError('SPOOR_TOO_MANY_REQUESTS', `${ctx.queueDepth()} events waiting`);
  }
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

/** Append every event of the items, durably; returns each event's seq in order. */
async function appendAll(ctx: IngestContext, evs: LoggedEvent[], src: number): Promise<number[]> {
  if (evs.length === 0) return [];
  for (const e of evs) e.src = src;
  const rows: LogRow[] = evs.map((e) => ({ host: e.host, timeMs: e.time ? e.time.ms : null, raw: e.raw }));
  const seqs = await ctx.stream.append(rows, evs);
  ctx.counters.eventsIn += evs.length;
  countHosts(ctx, evs);
  return seqs;
}

/** Per-host ingest health: one update per host of the request (the name read once per host). */
function countHosts(ctx: IngestContext, evs: LoggedEvent[]): void {
  if (!ctx.ingestStats) return;
  const by = new Map<string, { n: number; newest: number | null; first: LoggedEvent }>();
  for (const e of evs) {
    let h = by.get(e.host);
    if (!h) by.set(e.host, (h = { n: 0, newest: null, first: e }));
    h.n++;
    const t = e.time?.ms;
    if (t !== undefined && (h.newest === null || t > h.newest)) h.newest = t;
  }
  for (const [host, h] of by) ctx.ingestStats?.host(host, h.n, h.newest, () => hostNameOf(h.first));
}

/** Asked once per new host: the event is parsed again from its text (requests hold only text). */
function hostNameOf(e: LoggedEvent): string | undefined {
  try {
    const p = parseDocument(e.raw);
    const first = 'events' in p ? p.events[0] : undefined;
    if (!first) return undefined;
    const ecs = toEcs(first.se.event);
    return str(ecs, 'host.name') ?? str(ecs, 'host.hostname') ?? str(ecs, 'winlog.computer_name');
  } catch {
    return undefined;
  }
}

function remoteOf(c: Ctx): string {
  return c.req.socket.remoteAddress ?? 'unknown';
}

export function registerIngest(r: Router, ctx: IngestContext): void {
  const bulk = async (c: Ctx): Promise<void> => {
    backPressure(ctx);
    checkContentType(c);
    ctx.counters.bulkRequests++;
    const started = Date.now();
    const defaultIndex = c.params.index ?? 'spoor';
    const items: BulkItem[] = [];
    let expectSource: BulkItem | null = null;
    let lineNo = 0;
    let lastActionText: string | null = null;
    let lastAction: unknown;
    await readBodyLines(c.req, { maxBodyBytes: ctx.config.maxBodyBytes, maxLineBytes: ctx.config.maxLineBytes }, (line) => {
      lineNo++;
      if (expectSource) {
        const it = expectSource;
        expectSource = null;
        if (it.op === 'update') return;
        const p = ingestDocument(line);
        if ('error' in p) {
          ctx.counters.parseErrors++;
          it.error = { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse document (line ${lineNo}): ${p.error}` };
        } else it.events = p.events;
        return;
      }
      // Shippers repeat one action line for every document: parse it once per request.
      let action: unknown;
      if (line === lastActionText) action = lastAction;
      else {
        try {
          action = JSON.parse(line);
        } catch {
          throw new ServeError('SPOOR_BAD_REQUEST', `Malformed action/metadata line [${lineNo}], expected a JSON object`);
        }
        lastActionText = line;
        lastAction = action;
      }
      const keys = action && typeof action === 'object' && !Array.isArray(action) ? Object.keys(action) : [];
      if (keys.length !== 1) throw new ServeError('SPOOR_BAD_REQUEST', `Malformed action/metadata line [${lineNo}], expected one action`);
      const op = keys[0]!;
      const meta = (action as Record<string, unknown>)[op];
      const m = meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
      const it: BulkItem = { op, index: typeof m._index === 'string' ? m._index : defaultIndex };
      if (typeof m._id === 'string') it.id = m._id;
      if (op === 'index' || op === 'create') expectSource = it;
      else if (ACTIONS_WITH_SOURCE.has(op) || op === 'delete') {
        if (op === 'update') expectSource = it;
        it.error = { status: 400, type: 'illegal_argument_exception', reason: `spoor accepts only index and create actions, not ${op}` };
      } else throw new ServeError('SPOOR_BAD_REQUEST', `Malformed action/metadata line [${lineNo}], unknown action [${op}]`);
      items.push(it);
    });
    if (expectSource) {
      const it: BulkItem = expectSource;
      it.error = { status: 400, type: 'illegal_argument_exception', reason: 'action without a document (body ended)' };
    }
    if (items.length === 0) throw new ServeError('SPOOR_BAD_REQUEST', 'request body is required (action/metadata and document lines)');
    const evs: LoggedEvent[] = [];
    for (const it of items) if (it.events) evs.push(...it.events);
    const seqs = await appendAll(ctx, evs, connectionOf(c));
    const perIndex = new Map<string, { events: number; errors: number }>();
    for (const it of items) {
      const x = perIndex.get(it.index) ?? { events: 0, errors: 0 };
      x.events += it.events?.length ?? 0;
      if (it.error?.type === 'mapper_parsing_exception') x.errors++;
      perIndex.set(it.index, x);
    }
    const shipper = shipperOf(c.req.headers['user-agent']);
    for (const [index, x] of perIndex) ctx.ingestStats?.source(shipper, index, remoteOf(c), x.events, x.errors);
    // The answer is rendered as text: one object tree per item cost more than the scan of its event.
    let k = 0;
    let errors = false;
    const parts: string[] = new Array<string>(items.length);
    const quoted = new Map<string, string>();
    const q = (x: string): string => {
      let t = quoted.get(x);
      if (t === undefined) quoted.set(x, (t = JSON.stringify(x)));
      return t;
    };
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (it.error) {
        errors = true;
        const item: ItemResult = { [it.op]: { _index: it.index, _id: it.id ?? null, status: it.error.status, error: { type: it.error.type, reason: it.error.reason } } };
        parts[i] = JSON.stringify(item);
        continue;
      }
      const first = seqs[k] ?? 0;
      k += it.events!.length;
      const id = it.id !== undefined ? JSON.stringify(it.id) : `"spoor-${first}"`;
      parts[i] = `{${q(it.op)}:{"_index":${q(it.index)},"_id":${id},"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":${first},"_primary_term":1,"status":201}}`;
    }
    sendJsonText(c.res, 200, `{"took":${Date.now() - started},"errors":${errors},"items":[${parts.join(',')}]}`);
  };
  r.add(['POST', 'PUT'], '/_bulk', 'ingest', bulk);
  r.add(['POST', 'PUT'], '/:index/_bulk', 'ingest', bulk);

  r.add('POST', '/ingest', 'ingest', async (c) => {
    backPressure(ctx);
    checkContentType(c);
    const evs: LoggedEvent[] = [];
    const errors: { line: number; reason: string }[] = [];
    let lineNo = 0;
    let rejected = 0;
    await readBodyLines(c.req, { maxBodyBytes: ctx.config.maxBodyBytes, maxLineBytes: ctx.config.maxLineBytes }, (line) => {
      lineNo++;
      const p = ingestDocument(line);
      if ('error' in p) {
        ctx.counters.parseErrors++;
        rejected++;
        if (errors.length < 100) errors.push({ line: lineNo, reason: p.error });
      } else for (const e of p.events) evs.push(e);
    });
    const seqs = await appendAll(ctx, evs, connectionOf(c));
    ctx.ingestStats?.source(shipperOf(c.req.headers['user-agent']), '-', remoteOf(c), seqs.length, rejected);
    sendJson(c.res, 200, { accepted: seqs.length, rejected, errors, firstSeq: seqs[0] ?? null, lastSeq: seqs[seqs.length - 1] ?? null });
  });
}

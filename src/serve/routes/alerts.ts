/**
 * The alerts API (JSON contract in api-types.ts): list with filters and paging, one alert with its
 * events and its host's surrounding events, workflow status, and a Server-Sent Events stream of
 * new alerts (`GET /api/alerts/stream`, with `Last-Event-ID`/`?after=seq` to resume).
 */
import type { Router } from '../http.js';
import { readJsonBody, sendJson } from '../http.js';
import { ServeError } from '../errors.js';
import type { ServeContext } from '../context.js';
import type { AlertStatus, ApiAlertDetail, ApiAlertSummary, ApiEvent } from '../api-types.js';
import { ALERT_STATUSES, ASSIGNEE_MAX, NOTE_MAX } from '../store/alerts.js';
import { callerName } from '../auth.js';
import { toEcsAlert } from '../ecs-alert.js';
import { parseStored } from '../ingest-parse.js';
import { formatInstant, parseIso } from '../../events/timestamp.js';

const SURROUNDING = 10;

function list(v: string | null): string[] | undefined {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function int(v: string | null, what: string): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ServeError('SPOOR_BAD_REQUEST', `${what} must be a non-negative integer`);
  return n;
}

export function registerAlerts(r: Router, ctx: ServeContext): void {
  r.add('GET', '/api/alerts', 'read', ({ res, url }) => {
    const q = url.searchParams;
    for (const k of ['from', 'to']) {
      const v = q.get(k);
      if (v && !parseIso(v)) throw new ServeError('SPOOR_BAD_REQUEST', `${k} must be an ISO-8601 time`);
    }
    const status = list(q.get('status'));
    if (status?.some((s) => !ALERT_STATUSES.includes(s as AlertStatus))) throw new ServeError('SPOOR_BAD_REQUEST', `status must be among ${ALERT_STATUSES.join(', ')}`);
    sendJson(
      res,
      200,
      ctx.alerts.list({
        from: q.get('from') ?? undefined,
        to: q.get('to') ?? undefined,
        severity: list(q.get('severity')),
        rule: list(q.get('rule')),
        host: q.get('host') ?? undefined,
        status,
        q: q.get('q') ?? undefined,
        after: int(q.get('after'), 'after'),
        before: int(q.get('before'), 'before'),
        limit: int(q.get('limit'), 'limit'),
      }),
    );
  });

  r.add('GET', '/api/alerts/stream', 'read', ({ req, res, url }) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': spoor alert stream\n\n');
    const last = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? NaN);
    if (Number.isInteger(last) && last >= 0) {
      let after = last;
      for (;;) {
        const page = ctx.alerts.list({ after, limit: 500 });
        for (const a of page.alerts) writeSse(res, a);
        if (page.next === null) break;
        after = page.next;
      }
    }
    ctx.sse.add(res);
    const ping = setInterval(() => res.write(`event: ping\ndata: ${JSON.stringify({ time: new Date().toISOString() })}\n\n`), 15000);
    ping.unref();
    req.on('close', () => {
      clearInterval(ping);
      ctx.sse.delete(res);
    });
  });

  r.add('GET', '/api/alerts/:id', 'read', ({ res, params, url }) => {
    const got = ctx.alerts.get(params.id!);
    if (!got) throw new ServeError('SPOOR_NO_SUCH_ALERT', params.id);
    if (url.searchParams.get('format') === 'ecs') {
      sendJson(res, 200, toEcsAlert(got.alert, got.summary));
      return;
    }
    const events: ApiEvent[] = got.alert.events.map((e) => ({
      seq: e.position ?? 0,
      time: typeof e.event['@timestamp'] === 'string' ? e.event['@timestamp'] : '',
      host: got.alert.host,
      event: e.event as Record<string, unknown>,
    }));
    const t = parseIso(got.alert.firstTime);
    const firstSeq = got.alert.events[0]?.position;
    const hostKey = firstSeq !== undefined ? ctx.stream.get([firstSeq])[0]?.host : undefined;
    const surrounding: ApiEvent[] = [];
    if (t && hostKey !== undefined) {
      for (const row of ctx.stream.around(hostKey, t.ms, SURROUNDING)) {
        const ev = parseStored(row.raw, row.seq);
        surrounding.push({ seq: row.seq, time: ev?.time ? formatInstant(ev.time) : '', host: row.host, event: (ev?.se.event ?? {}) as Record<string, unknown> });
      }
    }
    const detail: ApiAlertDetail = { ...got.summary, events, surrounding, notes: ctx.alerts.notes(got.summary.id) };
    sendJson(res, 200, detail);
  });

  r.add('POST', '/api/alerts/:id/status', 'triage', async ({ req, res, params }) => {
    const raw = await readJsonBody(req);
    const body = (raw !== null && typeof raw === 'object' ? raw : {}) as { status?: unknown; reason?: unknown };
    if (typeof body.status !== 'string' || !ALERT_STATUSES.includes(body.status as AlertStatus)) {
      throw new ServeError('SPOOR_BAD_REQUEST', `status must be one of ${ALERT_STATUSES.join(', ')}`);
    }
    if (body.reason !== undefined && typeof body.reason !== 'string') throw new ServeError('SPOOR_BAD_REQUEST', 'reason must be a string');
    if (!ctx.alerts.setStatus(params.id!, body.status as AlertStatus, body.reason as string | undefined)) throw new ServeError('SPOOR_NO_SUCH_ALERT', params.id);
    sendJson(res, 200, ctx.alerts.get(params.id!)!.summary);
  });

  r.add('POST', '/api/alerts/:id/note', 'triage', async ({ req, res, params }) => {
    const body = await readJsonBody(req);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ServeError('SPOOR_BAD_REQUEST', 'body must be {"text": "…"} and/or {"assignee": "…"}');
    const b = body as { text?: unknown; assignee?: unknown };
    if (b.text === undefined && b.assignee === undefined) throw new ServeError('SPOOR_BAD_REQUEST', 'give text (a note) and/or assignee');
    if (b.text !== undefined && (typeof b.text !== 'string' || b.text.trim() === '' || b.text.length > NOTE_MAX)) throw new ServeError('SPOOR_BAD_REQUEST', `text must be a non-empty string of at most ${NOTE_MAX} characters`);
    if (b.assignee !== undefined && b.assignee !== null && (typeof b.assignee !== 'string' || b.assignee.length > ASSIGNEE_MAX)) throw new ServeError('SPOOR_BAD_REQUEST', `assignee must be a string of at most ${ASSIGNEE_MAX} characters, or null`);
    const change: { text?: string; assignee?: string | null } = {};
    if (typeof b.text === 'string') change.text = b.text;
    if (b.assignee !== undefined) change.assignee = typeof b.assignee === 'string' ? b.assignee.trim() : null;
    if (!ctx.alerts.annotate(params.id!, change, callerName(req, ctx.tokens))) throw new ServeError('SPOOR_NO_SUCH_ALERT', params.id);
    sendJson(res, 200, { ...ctx.alerts.get(params.id!)!.summary, notes: ctx.alerts.notes(params.id!) });
  });
}

export function writeSse(res: import('node:http').ServerResponse, a: ApiAlertSummary): void {
  res.write(`id: ${a.seq}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
}

/**
 * `GET /api/shares` (read scope): the share-write review of `spoor shares` (src/shares) over the
 * newest events of the log: which account and source address wrote which executable files to
 * which hosts' shares, first/last seen, how often, and whether the file was started afterwards.
 * `?limit=N` events (default 100 000, at most 2 000 000); `?all_files=1` keeps non-executables.
 * It parses the events again on the main thread (about a second per 100k events), so it is an
 * on-demand review, not a live counter.
 */
import type { Router } from '../http.js';
import { sendJson } from '../http.js';
import { ServeError } from '../errors.js';
import type { ServeContext } from '../context.js';
import type { ApiShares } from '../api-types.js';
import { ShareWriteCollector } from '../../shares/index.js';
import { parseStored } from '../ingest-parse.js';
import { eventTime, toEcs } from '../../normalize/index.js';

const DEFAULT_LIMIT = 100_000;
const MAX_LIMIT = 2_000_000;
const PAGE = 5_000;

export function shareReviewOfLog(ctx: ServeContext, limit: number, allFiles: boolean): ApiShares {
  const collector = new ShareWriteCollector({ allFiles });
  const max = ctx.stream.maxSeq();
  const from = Math.max(1, max - limit + 1);
  let read = 0;
  for (let seq = from; seq <= max; ) {
    const rows = ctx.stream.readFrom(seq, PAGE);
    if (rows.length === 0) break;
    for (const r of rows) {
      const ev = parseStored(r.raw, r.seq);
      read++;
      if (!ev) continue;
      collector.observe(toEcs(ev.se.event), eventTime(ev.se.event));
    }
    seq = rows[rows.length - 1]!.seq + 1;
  }
  const review = collector.finish();
  return { rows: review.rows, eventsRead: read, truncated: from > 1 && ctx.stream.count() > read };
}

export function registerShares(r: Router, ctx: ServeContext): void {
  r.add('GET', '/api/shares', 'read', ({ res, url }) => {
    const l = url.searchParams.get('limit');
    const limit = l === null || l === '' ? DEFAULT_LIMIT : Number(l);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ServeError('SPOOR_BAD_REQUEST', `limit must be an integer 1-${MAX_LIMIT}`);
    const all = url.searchParams.get('all_files');
    sendJson(res, 200, shareReviewOfLog(ctx, limit, all === '1' || all === 'true'));
  });
}

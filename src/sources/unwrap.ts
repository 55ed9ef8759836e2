/**
 * Turning parsed JSON values into events.
 *
 * - a plain object is one event;
 * - an Elasticsearch `_search` response (`{hits: {hits: [...]}}`) yields each hit's `_source`;
 * - an Elasticsearch hit / elasticdump line (`{_index, _id, _source}`) yields its `_source`, and
 *   the hit's `_index`/`_id` go to the side field `SourceEvent.hit`, not into the event;
 * - an Elasticsearch `_bulk` action line (`{"index": {"_index": …}}` or `create`) is metadata for
 *   the document on the next line and yields nothing;
 * - an array yields each of its elements by the same rules (one level deep);
 * - anything else (a number, a string, null) is reported as `malformed-json` and skipped.
 */
import type { Event } from '../events/field.js';
import type { SourceEvent } from './types.js';

/** Where an event came from in Elasticsearch, kept beside the event (never inside it). */
export interface EsHitRef {
  index?: string;
  id?: string;
}

/** A SourceEvent read from an Elasticsearch hit carries the hit's index and id. */
export interface EsSourceEvent extends SourceEvent {
  hit?: EsHitRef;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isEsHit(v: Record<string, unknown>): boolean {
  return isObject(v._source) && (typeof v._index === 'string' || v._id !== undefined);
}

/** An Elasticsearch `_bulk` action line (`{"index":{"_index":"logs","_id":"1"}}`): metadata, no event. */
function isBulkAction(v: Record<string, unknown>): boolean {
  let keys = 0;
  for (const k in v) {
    if (++keys > 1 || (k !== 'index' && k !== 'create')) return false;
    const meta = v[k];
    if (!isObject(meta)) return false;
    for (const m in meta) if (!m.startsWith('_') && m !== 'pipeline' && m !== 'routing') return false;
  }
  return keys === 1;
}

function isEsResponse(v: Record<string, unknown>): v is { hits: { hits: unknown[] } } {
  return isObject(v.hits) && Array.isArray(v.hits.hits);
}

/**
 * Append the events found in `value` to `out`. Returns a message when (part of) the value is not
 * an event, so the caller can report it with its own location.
 */
export function valueToEvents(
  value: unknown,
  file: string,
  position: number,
  out: SourceEvent[],
  depth = 0,
): string | undefined {
  if (isObject(value)) {
    if (isEsHit(value)) {
      out.push(hitEvent(value, file, position));
      return undefined;
    }
    if (isBulkAction(value)) return undefined;
    if (isEsResponse(value)) {
      let bad = 0;
      for (const h of value.hits.hits) {
        if (isObject(h) && isObject(h._source)) out.push(hitEvent(h, file, position));
        else bad++;
      }
      return bad ? `${bad} search hit(s) without a _source object` : undefined;
    }
    out.push({ event: value as Event, file, position });
    return undefined;
  }
  if (Array.isArray(value) && depth === 0) {
    let bad = 0;
    for (const el of value) if (valueToEvents(el, file, position, out, 1) !== undefined) bad++;
    return bad ? `${bad} array element(s) are not JSON objects` : undefined;
  }
  return `expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'a nested array' : typeof value}`;
}

function hitEvent(h: Record<string, unknown>, file: string, position: number): EsSourceEvent {
  const hit: EsHitRef = {};
  if (typeof h._index === 'string') hit.index = h._index;
  if (typeof h._id === 'string' || typeof h._id === 'number') hit.id = String(h._id);
  return { event: h._source as Event, file, position, hit };
}

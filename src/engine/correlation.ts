/**
 * Sigma correlation rules (event_count, value_count, temporal, temporal_ordered, value_sum/avg/percentile).
 * Owned by the Sigma work; the engine dispatches `kind: 'correlation'` queries here.
 */
import type { Correlation } from '../ir/types.js';

export function correlationNotReady(q: Correlation): Error {
  return new Error(`correlation rules (${q.type}) are not implemented yet`);
}

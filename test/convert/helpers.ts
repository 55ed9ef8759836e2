/** Running a source rule and its conversion side by side on the same events (each in its view). */
import { runBatch } from '../../src/engine/index.js';
import { readInputs } from '../../src/sources/index.js';
import { eventTime } from '../../src/normalize/index.js';
import type { Event } from '../../src/events/field.js';
import type { parseEql } from '../../src/eql/index.js';

export async function events(paths: string[]): Promise<Event[]> {
  const out: Event[] = [];
  for await (const batch of readInputs(paths, () => {})) for (const se of batch) out.push(se.event);
  return out;
}

/** Views carry the time of the event they came from (a flat native view has no time field of its own). */
const times = new WeakMap<Event, ReturnType<typeof eventTime>>();
export const view = (evs: Event[], to: (e: Event) => Event): Event[] =>
  evs.map((e) => {
    const v = to(e);
    times.set(v, eventTime(e));
    return v;
  });
export const run = (query: ReturnType<typeof parseEql>, evs: Event[]) => runBatch(query, evs, { timestamp: (e) => times.get(e) ?? null }).length;


/** Each match as the positions of its events in `evs` (a view keeps its source's position). */
export const matched = (query: ReturnType<typeof parseEql>, evs: Event[]): string[] => {
  const at = new Map(evs.map((e, i) => [e, i]));
  return runBatch(query, evs, { timestamp: (e) => times.get(e) ?? null })
    .map((m) => m.events.map((e) => at.get(e) ?? -1).join(','))
    .sort();
};

/**
 * Learning each host's clock before a run (see normalize/clock.ts).
 *
 * A learned offset must hold for every event of the host, also for those read before the first
 * event that carries both a zone-less and a UTC time; and a host's events may be merged from
 * several files or split over parts that run in different threads. So offsets are learned once,
 * before any event is timed: the start of every JSON input is read (EVTX and XML always carry UTC
 * and are not read) until every host whose events have zone-less times has shown its offset,
 * or the per-file cap is reached. The offsets then go with the run to every thread.
 * Limit: a host whose first event carrying both lies beyond the cap is not learned (the summary
 * says which assumption was made instead).
 */
import type { InputFile } from '../sources/index.js';
import { readInput } from '../sources/index.js';
import type { ProblemSink } from '../sources/types.js';
import { clockObservation, eventHost, hasWallClockTime, type Clock } from '../normalize/index.js';

/** Reading stops once every host seen is learned and no new host has appeared for this many events. */
export const QUIET_EVENTS = 10_000;

/** At most this many events are read per file to learn offsets. */
export const CLOCK_SCAN_EVENTS = 100_000;

/** Read the start of each JSON input and settle `clock`'s per-host offsets. Stdin is not read twice. */
export async function learnClock(files: InputFile[], clock: Clock, maxEvents = CLOCK_SCAN_EVENTS): Promise<void> {
  const quiet: ProblemSink = () => {}; // the real read reports problems
  for (const file of files) {
    // A spooled text input (a zip entry) is a file: read twice like any other.
    if (file.format === 'evtx' || file.format === 'xml' || file.path === '-') continue;
    const needed = new Set<string>();
    const seen = new Set<string>();
    let read = 0;
    let lastNewHost = 0;
    try {
      for await (const batch of readInput(file, quiet)) {
        for (const se of batch) {
          read++;
          if (!hasWallClockTime(se.event)) continue;
          const host = eventHost(se.event) ?? '';
          if (!seen.has(host)) {
            seen.add(host);
            lastNewHost = read;
          }
          const o = clockObservation(se.event);
          if (o) clock.observe(o.host, o.wall, o.utc);
          else if (!clock.hasObserved(host)) needed.add(host);
        }
        for (const h of needed) if (clock.hasObserved(h)) needed.delete(h);
        // Done with this file when nothing is zone-less, or every host seen is learned and no new
        // host has shown up for a while (a fleet's hosts appear gradually: stopping as soon as the
        // first batch's hosts are learned would leave later hosts on UTC), or at the cap.
        if (seen.size === 0 || (needed.size === 0 && read - lastNewHost >= QUIET_EVENTS) || read >= maxEvents) break;
      }
    } catch {
      /* unreadable: reported when the file is really read */
    }
  }
  clock.settle();
}

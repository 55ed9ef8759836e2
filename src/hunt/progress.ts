/**
 * A progress bar on stderr for long hunts; silent when stderr is not a terminal.
 * Units report events, not bytes, so a running unit's share is estimated from its events times
 * the bytes per event of its format (learned from finished units, a typical size until then).
 */
import cliProgress from 'cli-progress';
import type { SourceFormat } from '../sources/types.js';
import type { WorkUnit } from './plan.js';

const TYPICAL_BYTES_PER_EVENT: Record<SourceFormat, number> = { evtx: 400, ndjson: 1200, json: 1200, xml: 1500, 'es-search': 1300, 'syslog-json': 1300 };

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly units = new Map<number, { bytes: number; format: SourceFormat; events: number }>();
  private readonly learned = new Map<SourceFormat, { bytes: number; events: number }>();
  private doneBytes = 0;
  private doneEvents = 0;
  private readonly started = Date.now();
  private readonly totalBytes: number;

  constructor(enabled: boolean, units: WorkUnit[]) {
    for (const u of units) this.units.set(u.id, { bytes: u.bytes, format: u.parts[0]?.file.format ?? 'ndjson', events: 0 });
    this.totalBytes = Math.max(1, units.reduce((a, u) => a + u.bytes, 0));
    this.bar = enabled
      ? new cliProgress.SingleBar(
          {
            format: 'hunting {bar} {percentage}% | {events} events | {rate} ev/s | {left}',
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(this.totalBytes, 0, { events: '0', rate: '0', left: 'time left –' });
  }

  unitEvents(unitId: number, events: number): void {
    const u = this.units.get(unitId);
    if (u) u.events = events;
    this.render();
  }

  unitDone(unitId: number, bytes: number): void {
    const u = this.units.get(unitId);
    if (u) {
      this.doneEvents += u.events;
      const l = this.learned.get(u.format) ?? { bytes: 0, events: 0 };
      if (u.events > 0) this.learned.set(u.format, { bytes: l.bytes + bytes, events: l.events + u.events });
      this.units.delete(unitId);
    }
    this.doneBytes += bytes;
    this.render();
  }

  private bytesPerEvent(format: SourceFormat): number {
    const l = this.learned.get(format);
    return l && l.events > 0 ? l.bytes / l.events : TYPICAL_BYTES_PER_EVENT[format];
  }

  private render(): void {
    if (!this.bar) return;
    let events = this.doneEvents;
    let bytes = this.doneBytes;
    for (const u of this.units.values()) {
      events += u.events;
      bytes += Math.min(u.bytes, u.events * this.bytesPerEvent(u.format));
    }
    bytes = Math.min(bytes, this.totalBytes);
    const secs = (Date.now() - this.started) / 1000;
    const left = bytes > 0 && secs > 1 ? formatSeconds((secs * (this.totalBytes - bytes)) / bytes) : '–';
    this.bar.update(bytes, {
      events: events.toLocaleString('en-US'),
      rate: secs > 0 ? Math.round(events / secs).toLocaleString('en-US') : '0',
      left: `time left ${left}`,
    });
  }

  stop(): void {
    this.bar?.stop();
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/**
 * A one-line status on stderr while zip archives are unpacked before a hunt (discovery copies
 * every entry first: gigabytes take a while), at most every 200 ms; `end` clears it. Silent when
 * not enabled (stderr not a terminal, --no-progress).
 */
export function unpackStatus(enabled: boolean): { onUnpack?: (archive: string, done: number, total: number, bytes: number) => void; clear: () => void; end: () => void } {
  if (!enabled) return { clear: () => {}, end: () => {} };
  let last = 0;
  let shown = false;
  const clear = (): void => {
    if (shown) process.stderr.write('\r\u001b[K');
    shown = false;
  };
  return {
    // Before a problem is printed, so it does not land on the status line.
    clear,
    onUnpack: (archive, done, total, bytes) => {
      const now = Date.now();
      if (now - last < 200 && done < total) return;
      last = now;
      shown = true;
      const name = archive.length > 50 ? `…${archive.slice(-49)}` : archive;
      process.stderr.write(`\r\u001b[Kunpacking ${name}: ${done}/${total} entries, ${(bytes / 1048576).toFixed(0)} MB`);
    },
    end: clear,
  };
}

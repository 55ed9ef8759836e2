/** A progress bar on stderr for long hunts; silent when stderr is not a terminal. */
import cliProgress from 'cli-progress';

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private doneBytes = 0;
  private readonly unitEventCounts = new Map<number, number>();
  private doneEvents = 0;
  private readonly started = Date.now();

  constructor(enabled: boolean, private readonly totalBytes: number) {
    this.bar = enabled
      ? new cliProgress.SingleBar(
          {
            format: 'hunting {bar} {percentage}% | {events} events | {rate} ev/s | {eta_formatted} left',
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(Math.max(1, totalBytes), 0, { events: 0, rate: 0 });
  }

  unitEvents(unitId: number, events: number): void {
    this.unitEventCounts.set(unitId, events);
    this.render();
  }

  unitDone(unitId: number, bytes: number): void {
    this.doneEvents += this.unitEventCounts.get(unitId) ?? 0;
    this.unitEventCounts.delete(unitId);
    this.doneBytes += bytes;
    this.render();
  }

  private render(): void {
    if (!this.bar) return;
    let events = this.doneEvents;
    for (const n of this.unitEventCounts.values()) events += n;
    const secs = (Date.now() - this.started) / 1000;
    this.bar.update(Math.min(this.doneBytes, this.totalBytes), { events, rate: secs > 0 ? Math.round(events / secs) : 0 });
  }

  stop(): void {
    this.bar?.stop();
  }
}

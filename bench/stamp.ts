/**
 * Writing `YYYY-MM-DDTHH:MM:SS.ffffffZ` timestamps (microseconds since the epoch, UTC) into a
 * buffer in place, as bench/serve.ts does for every pooled event each round it re-sends them: digit
 * by digit, the date part cached per day, the separators left as they are (the buffer already
 * holds a timestamp of this shape there). It replaces `new Date(…).toISOString()` plus string
 * building per event, most of the bench client's CPU in the paced phase.
 */

const US_PER_DAY = 86_400_000_000;

export class StampWriter {
  private day = NaN;
  private readonly date = Buffer.alloc(10);

  /** Write the timestamp of `us` (≥ 0) at `at` of `b`, over the one already there (27 bytes). */
  write(b: Buffer, at: number, us: number): void {
    const day = Math.floor(us / US_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      this.date.write(new Date(day * 86_400_000).toISOString().slice(0, 10), 'latin1');
    }
    const d = this.date;
    for (let i = 0; i < 10; i++) b[at + i] = d[i]!;
    let r = us - day * US_PER_DAY;
    const frac = r % 1_000_000;
    r = (r - frac) / 1_000_000; // second of the day
    const s = r % 60;
    r = (r - s) / 60;
    const m = r % 60;
    const h = (r - m) / 60;
    two(b, at + 11, h);
    two(b, at + 14, m);
    two(b, at + 17, s);
    let f = frac;
    for (let i = at + 25; i >= at + 20; i--) {
      const d = f % 10;
      b[i] = 48 + d;
      f = (f - d) / 10;
    }
  }
}

function two(b: Buffer, at: number, v: number): void {
  const lo = v % 10;
  b[at] = 48 + (v - lo) / 10;
  b[at + 1] = 48 + lo;
}

/** The same timestamp the slow way (the reference). */
export function isoMicros(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(us % 1e6).padStart(6, '0')}Z`;
}

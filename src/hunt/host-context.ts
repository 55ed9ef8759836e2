/**
 * The surrounding events of each alert's host, for the report's timeline: a small ring of the
 * last events per host, snapshotted when an alert fires, then topped up with the events that
 * follow on that host. Holds references only, bounded by `size` per host.
 */
import type { Alert } from '../alert/types.js';

type Entry = NonNullable<Alert['context']>[number];

interface Ring {
  items: Entry[];
  next: number;
  /** Alerts still collecting events that follow them. */
  waiting: { alert: Alert; remaining: number }[];
}

export class HostContext {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly size: number) {}

  get enabled(): boolean {
    return this.size > 0;
  }

  observe(host: string, entry: Entry): void {
    if (this.size <= 0) return;
    let r = this.rings.get(host);
    if (!r) {
      r = { items: [], next: 0, waiting: [] };
      this.rings.set(host, r);
    }
    if (r.items.length < this.size) r.items.push(entry);
    else {
      r.items[r.next] = entry;
      r.next = (r.next + 1) % this.size;
    }
    if (r.waiting.length > 0) {
      for (const w of r.waiting) {
        if (!w.alert.context!.some((e) => e.event === entry.event)) w.alert.context!.push(entry);
        w.remaining--;
      }
      r.waiting = r.waiting.filter((w) => w.remaining > 0);
    }
  }

  /** Give `alert` the recent events of its host and have it collect the next ones. */
  attach(alert: Alert, host: string): void {
    if (this.size <= 0) return;
    const r = this.rings.get(host);
    const before = r ? [...r.items.slice(r.next), ...r.items.slice(0, r.next)] : [];
    alert.context = before;
    if (r) r.waiting.push({ alert, remaining: Math.max(1, Math.floor(this.size / 2)) });
  }

  /**
   * The rings (recent events per host) for a detector snapshot; alerts still collecting events
   * are not included (they were handed out already). `ref` encodes an entry's event.
   */
  exportState<R>(ref: (ev: Entry['event']) => R): { host: string; next: number; items: { file: string; position?: number; event: R }[] }[] {
    return [...this.rings].map(([host, r]) => ({
      host,
      next: r.next,
      items: r.items.map((e) => ({ file: e.file, ...(e.position !== undefined ? { position: e.position } : {}), event: ref(e.event) })),
    }));
  }

  importState<R>(rows: { host: string; next: number; items: { file: string; position?: number; event: R }[] }[], deref: (r: R) => Entry['event']): void {
    this.rings.clear();
    for (const row of rows) {
      const items: Entry[] = row.items.map((e) => {
        // Keys in the order observe() got them (alerts are compared and stored as JSON text).
        return (e.position !== undefined ? { file: e.file, position: e.position, event: deref(e.event) } : { file: e.file, event: deref(e.event) }) as Entry;
      });
      this.rings.set(row.host, { items, next: row.next, waiting: [] });
    }
  }

  finish(): void {
    for (const r of this.rings.values()) r.waiting = [];
  }
}

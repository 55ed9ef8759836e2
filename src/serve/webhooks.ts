/**
 * Webhooks: each new alert is queued per destination in SQLite (in the transaction that stores
 * the alert, so a crash loses none) and POSTed as JSON; failures are retried with exponential
 * backoff (1 s doubling to 5 min), at least once, in order per destination, across restarts.
 */
import type { Alert } from '../alert/types.js';
import type { WebhookTarget } from './config.js';
import type { Counters } from './context.js';
import type { Db } from './store/db.js';
import type { AlertStore } from './store/alerts.js';
import { toEcsAlert } from './ecs-alert.js';

const MAX_BACKOFF_MS = 5 * 60_000;
const TIMEOUT_MS = 10_000;

export class Webhooks {
  private timer: NodeJS.Timeout | null = null;
  private readonly busy = new Set<string>();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly targets: WebhookTarget[],
    private readonly alerts: AlertStore,
    private readonly counters: Counters,
  ) {
    if (targets.length > 0) {
      this.timer = setInterval(() => void this.tick(), 250);
      this.timer.unref();
    }
  }

  /** Inside the alert's transaction. */
  enqueue(a: Alert): void {
    if (this.targets.length === 0) return;
    const got = this.alerts.get(a.id);
    if (!got) return;
    const ins = this.db.prepare('INSERT OR IGNORE INTO webhook_queue (dest, alert_id, body, next_ms) VALUES (?, ?, ?, ?)');
    for (const t of this.targets) {
      const body = t.format === 'ecs' ? toEcsAlert(got.alert, got.summary) : { ...got.summary, events: got.alert.events };
      ins.run(t.url, a.id, JSON.stringify(body), 0);
    }
  }

  pending(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM webhook_queue').get() as { n: number }).n;
  }

  async tick(): Promise<void> {
    if (this.closed) return;
    const now = Date.now();
    await Promise.all(
      this.targets.map(async (t) => {
        if (this.busy.has(t.url)) return;
        this.busy.add(t.url);
        try {
          for (;;) {
            if (this.closed) return;
            const row = this.db.prepare('SELECT id, body, attempts, next_ms FROM webhook_queue WHERE dest = ? ORDER BY id LIMIT 1').get(t.url) as
              | { id: number; body: string; attempts: number; next_ms: number }
              | undefined;
            if (!row || row.next_ms > now) return;
            const err = await post(t, row.body);
            if (this.closed) return;
            if (err === null) {
              this.db.prepare('DELETE FROM webhook_queue WHERE id = ?').run(row.id);
              this.counters.webhookDelivered++;
            } else {
              const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** row.attempts);
              this.db.prepare('UPDATE webhook_queue SET attempts = attempts + 1, next_ms = ?, last_error = ? WHERE id = ?').run(Date.now() + delay, err, row.id);
              this.counters.webhookFailed++;
              return;
            }
          }
        } finally {
          this.busy.delete(t.url);
        }
      }),
    );
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }
}

async function post(t: WebhookTarget, body: string): Promise<string | null> {
  try {
    const r = await fetch(t.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'spoor-serve', ...(t.headers ?? {}) },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await r.arrayBuffer().catch(() => undefined);
    return r.ok ? null : `HTTP ${r.status}`;
  } catch (e) {
    return (e as Error).message;
  }
}

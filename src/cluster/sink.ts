/**
 * The alert sink: a durable, explicitly acknowledged consumer of the alert stream that stores
 * each alert in serve's alert store (insert-or-ignore by the deterministic `Alert.id`), acking
 * only after the insert. Alerts re-published after a failover carry the same id: JetStream's
 * duplicate window drops most, the store ignores the rest.
 */
import type { Alert } from '../alert/types.js';
import type { AlertStore } from '../serve/store/alerts.js';
import type { Bus, Reader } from './nats.js';
import { CLUSTER } from './subjects.js';

export interface AlertSink {
  stats: { received: number; stored: number; duplicate: number; suppressed: number; bad: number };
  close(): Promise<void>;
}

const dec = new TextDecoder();

export async function startAlertSink(bus: Bus, store: AlertStore, log: (line: string) => void = () => undefined): Promise<AlertSink> {
  const stats = { received: 0, stored: 0, duplicate: 0, suppressed: 0, bad: 0 };
  const reader: Reader = await bus.durableRead(CLUSTER.alertStream, CLUSTER.alertSinkDurable, (m) => {
    stats.received++;
    let a: Alert;
    try {
      a = JSON.parse(dec.decode(m.data)) as Alert;
    } catch (e) {
      stats.bad++;
      log(`alert sink: message ${m.seq} is not JSON (${(e as Error).message}), dropped`);
      return;
    }
    const r = store.insert(a);
    if (r === 'new') stats.stored++;
    else if (r === 'duplicate') stats.duplicate++;
    else stats.suppressed++;
  });
  return {
    stats,
    close: async () => {
      reader.stop();
      await reader.done.catch(() => undefined);
    },
  };
}

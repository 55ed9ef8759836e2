/**
 * Durable detection cursors. A checkpoint records how far detection has read the log (`read_seq`)
 * and where a restart must begin replaying (`replay_from`: the oldest event that live detection
 * state or the reorder buffer may still reference; see detect-loop.ts), plus counters.
 */
import type { Db } from './db.js';

export interface Checkpoint {
  readSeq: number;
  replayFrom: number;
  savedMs: number;
  stats: Record<string, number>;
}

export class Checkpoints {
  constructor(private readonly db: Db) {}

  load(name: string): Checkpoint | null {
    const r = this.db.prepare('SELECT read_seq, replay_from, saved_ms, stats FROM checkpoints WHERE name = ?').get(name) as
      | { read_seq: number; replay_from: number; saved_ms: number; stats: string }
      | undefined;
    if (!r) return null;
    return { readSeq: r.read_seq, replayFrom: r.replay_from, savedMs: r.saved_ms, stats: JSON.parse(r.stats) as Record<string, number> };
  }

  /** Call inside the transaction that also stores the alerts found up to `readSeq`. */
  save(name: string, cp: Checkpoint): void {
    this.db
      .prepare('INSERT INTO checkpoints (name, read_seq, replay_from, saved_ms, stats) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET read_seq = excluded.read_seq, replay_from = excluded.replay_from, saved_ms = excluded.saved_ms, stats = excluded.stats')
      .run(name, cp.readSeq, cp.replayFrom, cp.savedMs, JSON.stringify(cp.stats));
  }
}

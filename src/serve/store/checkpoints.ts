/**
 * Durable detection cursors. A checkpoint records how far detection has read the log (`read_seq`)
 * and where a restart must begin replaying (`replay_from`: the oldest event that live detection
 * state or the reorder buffer may still reference; see detect-loop.ts), plus counters, and — when
 * the detection thread could export it — the engine state at `read_seq` (table detect_state: the
 * detectors' snapshot and the seqs the reorder buffer held, which a restore re-feeds). A
 * checkpoint saved without engine state deletes the older one, so a snapshot never pairs with
 * another checkpoint's position.
 */
import type { Db } from './db.js';

export interface EngineState {
  /** Seqs held by the reorder buffer at `readSeq` (arrived, not yet through the stateful rules). */
  held: number[];
  /** The detection thread's state (detect-worker.ts: both detectors' exportState), JSON. */
  snapshot: string;
}

export interface Checkpoint {
  readSeq: number;
  replayFrom: number;
  savedMs: number;
  stats: Record<string, number>;
  engine?: EngineState | null;
}

export class Checkpoints {
  constructor(private readonly db: Db) {}

  load(name: string): Checkpoint | null {
    const r = this.db.prepare('SELECT read_seq, replay_from, saved_ms, stats FROM checkpoints WHERE name = ?').get(name) as
      | { read_seq: number; replay_from: number; saved_ms: number; stats: string }
      | undefined;
    if (!r) return null;
    const cp: Checkpoint = { readSeq: r.read_seq, replayFrom: r.replay_from, savedMs: r.saved_ms, stats: JSON.parse(r.stats) as Record<string, number> };
    const e = this.db.prepare('SELECT held, snapshot FROM detect_state WHERE name = ?').get(name) as { held: string; snapshot: string } | undefined;
    if (e) {
      try {
        const held = JSON.parse(e.held) as unknown;
        if (Array.isArray(held) && held.every((x) => Number.isInteger(x))) cp.engine = { held: held as number[], snapshot: e.snapshot };
      } catch {
        /* unreadable: restart replays from replay_from */
      }
    }
    return cp;
  }

  /** Call inside the transaction that also stores the alerts found up to `readSeq`. */
  save(name: string, cp: Checkpoint): void {
    this.db
      .prepare('INSERT INTO checkpoints (name, read_seq, replay_from, saved_ms, stats) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET read_seq = excluded.read_seq, replay_from = excluded.replay_from, saved_ms = excluded.saved_ms, stats = excluded.stats')
      .run(name, cp.readSeq, cp.replayFrom, cp.savedMs, JSON.stringify(cp.stats));
    if (cp.engine) {
      this.db
        .prepare('INSERT INTO detect_state (name, held, snapshot) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET held = excluded.held, snapshot = excluded.snapshot')
        .run(name, JSON.stringify(cp.engine.held), cp.engine.snapshot);
    } else this.db.prepare('DELETE FROM detect_state WHERE name = ?').run(name);
  }
}

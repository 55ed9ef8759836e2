/** Helpers for the sources tests: temp files and collecting everything a reader yields. */
import { rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { tempDir as removedAtExit } from '../helpers/temp.js';
import type { SourceEvent, SourceProblem } from '../../src/sources/types.js';

/** A temp dir with a file writer; `cleanup()` removes it now, and it is removed at exit anyway. */
export function tempDir(): { dir: string; file: (name: string, content: string | Buffer) => string; cleanup: () => void } {
  const dir = removedAtExit('spoor-sources-');
  return {
    dir,
    file: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function collect(
  read: (sink: (p: SourceProblem) => void) => AsyncIterable<SourceEvent[]>,
): Promise<{ events: SourceEvent[]; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  const events: SourceEvent[] = [];
  for await (const batch of read((p) => problems.push(p))) {
    if (batch.length === 0) throw new Error('readers must not yield empty batches');
    events.push(...batch);
  }
  return { events, problems };
}

/** An async byte stream that delivers `text` in pieces of `size` bytes (to test chunk boundaries). */
export async function* pieces(data: string | Buffer, size: number): AsyncIterable<Buffer> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** A named pipe `dir/name` (mkfifo), or null after skipping the test where mkfifo is missing. */
export function makeFifo(t: TestContext, dir: string, name = 'pipe'): string | null {
  const fifo = join(dir, name);
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    t.skip('mkfifo is not available');
    return null;
  }
  return fifo;
}

/**
 * The spool: temporary copies of inputs that cannot be read where they are.
 *
 *   - an EVTX that arrives through a pipe or gzip-compressed: EVTX needs random access (a file
 *     header, then 64 KiB chunks read by index, split across workers), so it is copied — and
 *     decompressed — to a temporary file;
 *   - a zip archive from a pipe: its central directory sits at the end, so the archive is copied
 *     before it is opened (zip.ts);
 *   - every entry of a zip archive that is read: decompressed to a temporary file and read from
 *     there as if it were a file on disk (InputFile.spooled).
 *
 * Copies are streamed (never whole in memory), live in one `spoor-spool-XXXXXX` directory under
 * the system temp dir, and are removed when the process exits — also when it is killed by
 * SIGINT or SIGTERM (below) — or earlier, by `removeSpooled`, when a copy was only a step (a
 * nested archive whose entries have been spooled).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

let dir: string | null = null;
let count = 0;

function spoolDir(): string {
  if (dir === null) {
    const d = mkdtempSync(join(tmpdir(), 'spoor-spool-'));
    dir = d;
    const remove = (): void => rmSync(d, { recursive: true, force: true });
    process.once('exit', remove);
    // Killed by Ctrl-C or `kill`, a process emits no 'exit': the copies (gigabytes for a big
    // archive) would stay in the temp dir. When nothing else handles the signal, the copies are
    // removed and the signal raised again, so the process still dies of it. A command that
    // handles the signal itself (serve) decides, and 'exit' removes the copies.
    const onSignal = (signal: NodeJS.Signals): void => {
      if (process.listenerCount(signal) > 0) return;
      remove();
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return dir;
}

/** The spool directory when one was made (for tests), else null. */
export function spoolDirectory(): string | null {
  return dir;
}

/**
 * Copy `bytes` to a new temporary file; returns its path and size. When `bytes` fails (a read
 * error, a CRC mismatch found at the end of a zip entry), the partial copy is removed and the
 * error is thrown.
 */
export async function spoolToFile(bytes: AsyncIterable<Uint8Array>, extension = '.evtx'): Promise<{ path: string; size: number }> {
  const path = join(spoolDir(), `input-${++count}${extension}`);
  let size = 0;
  const counted = async function* (): AsyncIterable<Uint8Array> {
    for await (const b of bytes) {
      size += b.length;
      yield b;
    }
  };
  try {
    await pipeline(Readable.from(counted()), createWriteStream(path));
  } catch (e) {
    removeSpooled(path);
    throw e;
  }
  return { path, size };
}

/** Remove a spooled copy before exit (a step no longer needed); never throws. */
export function removeSpooled(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    /* removed at exit anyway */
  }
}

/**
 * EVTX needs random access (a file header, then 64 KiB chunks read by index, split across
 * workers), so an EVTX that arrives through a pipe or gzip-compressed is first copied — and
 * decompressed — to a temporary file, read from there and removed when the process exits.
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
    const d = mkdtempSync(join(tmpdir(), 'spoor-evtx-'));
    dir = d;
    process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return dir;
}

/** Copy `bytes` to a new temporary file; returns its path and size. */
export async function spoolToFile(bytes: AsyncIterable<Uint8Array>): Promise<{ path: string; size: number }> {
  const path = join(spoolDir(), `input-${++count}.evtx`);
  let size = 0;
  const counted = async function* (): AsyncIterable<Uint8Array> {
    for await (const b of bytes) {
      size += b.length;
      yield b;
    }
  };
  await pipeline(Readable.from(counted()), createWriteStream(path));
  return { path, size };
}

/** Streaming a feed file line by line (feeds can be hundreds of MB: never read whole). */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export async function forEachLine(path: string, onLine: (line: string, lineNo: number) => void): Promise<void> {
  const raw = createReadStream(path);
  const input = path.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) onLine(n === 0 ? line.replace(/^\uFEFF/, '') : line, ++n);
}

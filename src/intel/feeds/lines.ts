/** Reading feed files: line by line (feeds can be hundreds of MB: never read whole), or one JSON document. */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { FeedProblemSink } from '../types.js';

export async function forEachLine(path: string, onLine: (line: string, lineNo: number) => void): Promise<void> {
  const raw = createReadStream(path);
  const input = path.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) onLine(n === 0 ? line.replace(/^\uFEFF/, '') : line, ++n);
}

/** A whole-document JSON feed (MISP, STIX): the parsed document, or undefined after telling `onProblem` why. */
export async function readJsonFeed(path: string, onProblem: FeedProblemSink): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (e) {
    onProblem({ file: path, message: `not JSON: ${(e as Error).message}; nothing loaded` });
    return undefined;
  }
}

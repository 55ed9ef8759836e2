/**
 * Loading feeds: files or directories (every file below), each read by the first registered
 * reader that recognises it. Problems are reported with file and line/record, never thrown;
 * a file that cannot be read at all is reported and the others still load.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { listFiles } from '../sources/list-files.js';
import { FEED_READERS, feedReader } from './feeds/index.js';
import { HashIndex } from './hashes.js';
import type { FeedProblemSink, FeedStats, IntelEntry } from './types.js';

export interface LoadedFeeds {
  index: HashIndex;
  feeds: FeedStats[];
}

async function head(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Load `paths` (feed files or directories) into one index; `format` forces a reader. */
export async function loadFeeds(paths: readonly string[], onProblem: FeedProblemSink, opts: { format?: string; into?: HashIndex } = {}): Promise<LoadedFeeds> {
  const index = opts.into ?? new HashIndex();
  const feeds: FeedStats[] = [];
  const forced = opts.format ? feedReader(opts.format) : undefined;
  if (opts.format && !forced) throw new Error(`unknown feed format '${opts.format}' (${FEED_READERS.map((r) => r.name).join(', ')})`);
  for (const p of paths) {
    let files: string[];
    try {
      files = (await stat(p)).isDirectory() ? listFiles(p).filter((f) => !basename(f).startsWith('.')) : [p];
    } catch (e) {
      onProblem({ file: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    for (const file of files) {
      try {
        const text = /\.gz$/i.test(file) ? '' : await head(file);
        const reader = forced ?? FEED_READERS.find((r) => r.sniff(basename(file), text))!;
        const feed = basename(file);
        const before = index.size;
        let skipped = 0;
        const add = (hash: string, entry: IntelEntry): boolean => index.add(hash, entry);
        await reader.read(file, feed, add, (pr) => {
          skipped++;
          onProblem(pr);
        });
        feeds.push({ file, format: reader.name, hashes: index.size - before, skipped });
      } catch (e) {
        onProblem({ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      }
    }
  }
  return { index, feeds };
}

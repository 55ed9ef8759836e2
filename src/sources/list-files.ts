/** Every file below a directory, depth first, each directory's entries in name order. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `extension` (e.g. `.evtx`, compared ignoring case) keeps only the files that end with it. */
export function listFiles(dir: string, extension?: string, out: string[] = []): string[] {
  const ext = extension?.toLowerCase();
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listFiles(p, extension, out);
    else if (ext === undefined || name.toLowerCase().endsWith(ext)) out.push(p);
  }
  return out;
}

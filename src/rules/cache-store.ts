/**
 * The on-disk store behind both rule load caches (Sigma YAML → IR in sigma/load-cache.ts, Elastic
 * TOML → IR in rules/load-cache.ts): where entries live, the spoor version that names them, and
 * writing one entry atomically while keeping only the most recently used.
 *
 * Where: $SPOOR_CACHE_DIR, else $XDG_CACHE_HOME/spoor, ~/Library/Caches/spoor (macOS),
 * %LOCALAPPDATA%\spoor (Windows), ~/.cache/spoor; one folder per cache (`sigma/`, `toml/`).
 * SPOOR_NO_RULE_CACHE=1 turns both off. A cache that cannot be read or written is ignored.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Entries kept per cache folder (the most recently used). */
const KEEP = 8;

/** The folder of one cache (`sigma`, `toml`), or null when caching is off. */
export function cacheFolder(name: string): string | null {
  const env = process.env;
  if (env.SPOOR_NO_RULE_CACHE && env.SPOOR_NO_RULE_CACHE !== '0') return null;
  if (env.SPOOR_CACHE_DIR) return join(env.SPOOR_CACHE_DIR, name);
  let base: string;
  if (env.XDG_CACHE_HOME) base = env.XDG_CACHE_HOME;
  else if (process.platform === 'darwin') base = join(homedir(), 'Library', 'Caches');
  else if (process.platform === 'win32') base = env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
  else base = join(homedir(), '.cache');
  return join(base, 'spoor', name);
}

/** `version X` of the nearest package.json above `dir` (a code hash's release part). */
export function versionLine(dir: string): string {
  let d = dir;
  for (let i = 0; i < 6; i++) {
    try {
      return `version ${String((JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { version?: unknown }).version)}`;
    } catch {
      d = dirname(d);
    }
  }
  return 'version unknown';
}

/** An entry's bytes, marked as just used; null when missing or unreadable. */
export function readEntry(file: string): Buffer | null {
  try {
    const bytes = readFileSync(file);
    const now = new Date();
    utimesSync(file, now, now);
    return bytes;
  } catch {
    return null;
  }
}

/** Write `dir/key.ext` atomically (temp file, rename), then drop all but the KEEP newest `.ext` entries. */
export function writeEntry(dir: string, key: string, ext: string, data: string | Uint8Array): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${key}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, `${key}${ext}`));
    const entries = readdirSync(dir)
      .filter((n) => n.endsWith(ext))
      .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const e of entries.slice(KEEP)) unlinkSync(join(dir, e.n));
  } catch {
    // a read-only or full cache directory only costs the next load its time
  }
}

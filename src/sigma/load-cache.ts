/**
 * The loaded-rule cache: Sigma YAML → IR costs seconds for SigmaHQ's 2,407 Windows rules (YAML
 * parsing dominates), so a hunt keeps the result of a load under the OS cache directory, named by
 * a SHA-256 of everything the result depends on: each file's path and bytes, the load options,
 * the spoor version and the code that produced it — the Sigma front end, the IR, and the
 * multi-rule matcher's necessary-clause reader, whose output is kept too (derived.ts) — so a
 * changed front end never reads an old result. A hit costs reading the rule files (to hash them) and one JSON parse.
 *
 * Where: $SPOOR_CACHE_DIR, else $XDG_CACHE_HOME/spoor, ~/Library/Caches/spoor (macOS),
 * %LOCALAPPDATA%\spoor (Windows), ~/.cache/spoor; entries live in `sigma/`, the 8 most recently
 * used are kept. SPOOR_NO_RULE_CACHE=1 turns the cache off. A cache that cannot be read or
 * written is ignored (the rules are then loaded from YAML, as without a cache).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheFolder, readEntry, versionLine, writeEntry } from '../rules/cache-store.js';

/** Bump when the cached shape changes in a way the code hash would not show. */
const FORMAT = 1;

/** This cache's folder (`sigma/` in spoor's cache directory, rules/cache-store.ts), or null when off. */
export function ruleCacheDir(): string | null {
  return cacheFolder('sigma');
}

let codeHash: string | null = null;

/** The spoor version and a hash of the Sigma front end's code (this folder's files, compiled). */
function frontEndHash(): string {
  if (codeHash !== null) return codeHash;
  const h = createHash('sha256');
  const here = dirname(fileURLToPath(import.meta.url));
  h.update(`format ${FORMAT}\n`);
  // The front end, the IR, and what derived.ts derives from the IR with (necessary clauses).
  for (const dir of [here, join(here, '..', 'ir'), join(here, '..', 'engine', 'multi-match')]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => /\.(js|ts)$/.test(n)).sort();
    } catch {
      // a bundled build: the version below still separates releases
    }
    for (const n of names) {
      h.update(n);
      h.update(readFileSync(join(dir, n)));
    }
  }
  h.update(versionLine(here));
  codeHash = h.digest('hex');
  return codeHash;
}

/** The cache key of one load: its files (path and bytes, or the read error), in order, and its options. */
export function cacheKey(files: readonly { path: string; text: string | Error }[], options: unknown): string {
  const h = createHash('sha256');
  h.update(frontEndHash());
  h.update(JSON.stringify(options ?? null));
  for (const f of files) {
    h.update('\u0000');
    h.update(f.path);
    h.update('\u0000');
    h.update(f.text instanceof Error ? `error: ${f.text.message}` : f.text);
  }
  return h.digest('hex');
}

/** JSON with bigint literals kept exact ({"$bigint": "…"}). */
const replacer = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? { $bigint: v.toString() } : v);
/** Put bigints back (a walk, only when the text has any: a JSON.parse reviver costs seconds on 10 MB). */
function reviveBigints(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveBigints(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
  for (const k of Object.keys(o)) o[k] = reviveBigints(o[k]);
  return o;
}

export function readCached<T>(key: string): T | null {
  const dir = ruleCacheDir();
  if (!dir) return null;
  const bytes = readEntry(join(dir, `${key}.json`));
  if (bytes === null) return null;
  try {
    const text = bytes.toString('utf8');
    const parsed: unknown = JSON.parse(text);
    return (text.includes('"$bigint"') ? reviveBigints(parsed) : parsed) as T;
  } catch {
    return null;
  }
}

export function writeCached(key: string, value: unknown): void {
  const dir = ruleCacheDir();
  if (dir) writeEntry(dir, key, '.json', JSON.stringify(value, replacer));
}

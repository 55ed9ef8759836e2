/**
 * The Elastic TOML load cache: TOML → rule IR (TOML parse, EQL parse, index patterns) cost ~0.4
 * CPU-s of every hunt's start with Elastic's 592 Windows / cross-platform EQL rules (0.8 s while
 * V8 is still cold). A hunt keeps each TOML file's outcome — its rule as loaded, or the problems
 * it raised — under the OS cache directory, in one entry named by a SHA-256 of the files' paths and
 * bytes, the spoor version and the compiled code under src/ (any code change misses). A hit costs
 * reading the rule files (to hash them) and one v8.deserialize: the rules come back as the
 * structured clones hunt workers already run on.
 *
 * Where: as the Sigma load cache (sigma/load-cache.ts), in `toml/` beside its `sigma/`; the 8 most
 * recently used entries are kept; SPOOR_NO_RULE_CACHE=1 turns it off. A cache that cannot be
 * read or written is ignored (the files are then loaded as without a cache).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { cacheFolder, readEntry, versionLine, writeEntry } from './cache-store.js';
import type { Rule, RuleProblem } from '../ir/types.js';

/** Bump when the cached shape changes in a way the code hash would not show. */
const FORMAT = 1;

/** What loading one TOML file gave (before the pack's options apply: gates, exclusions, exceptions). */
export interface TomlOutcome {
  rule: Rule | null;
  problems: RuleProblem[];
}

let codeHash: string | null = null;

/** The spoor version and every compiled module under src/ (this file's grandparent folder). */
function codeHashOf(): string {
  if (codeHash !== null) return codeHash;
  const h = createHash('sha256');
  h.update(`format ${FORMAT}\n`);
  const here = dirname(fileURLToPath(import.meta.url));
  const src = dirname(here);
  const walk = (d: string): void => {
    let names: string[] = [];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (/\.(js|ts)$/.test(n) && !n.endsWith('.d.ts')) {
        h.update(p.slice(src.length));
        h.update(readFileSync(p));
      } else if (!n.includes('.')) walk(p);
    }
  };
  walk(src);
  h.update(versionLine(here));
  codeHash = h.digest('hex');
  return codeHash;
}

/** The outcomes of one load's TOML files: read from the cache when it has them, recorded otherwise. */
export class TomlCache {
  private recorded: { path: string; outcome: Uint8Array }[] = [];
  private constructor(
    private readonly key: string,
    private readonly dir: string,
    private readonly hit: Map<string, TomlOutcome> | null,
  ) {}

  /** For these files (path and text, in load order); null when the cache is off. */
  static open(files: readonly { path: string; text: string }[]): TomlCache | null {
    const dir = cacheFolder('toml');
    if (dir === null || files.length === 0) return null;
    const h = createHash('sha256');
    h.update(codeHashOf());
    for (const f of files) {
      h.update('\u0000');
      h.update(f.path);
      h.update('\u0000');
      h.update(f.text);
    }
    const key = h.digest('hex');
    let hit: Map<string, TomlOutcome> | null = null;
    const file = join(dir, `${key}.bin`);
    const bytes = readEntry(file);
    try {
      if (bytes !== null) {
        const entries = deserialize(bytes) as { path: string; outcome: Uint8Array }[];
        hit = new Map(entries.map((e) => [e.path, deserialize(e.outcome) as TomlOutcome]));
        if (hit.size !== files.length || files.some((f) => !hit!.has(f.path))) hit = null;
      }
    } catch {
      hit = null;
    }
    return new TomlCache(key, dir, hit);
  }

  /** The cached outcome of a file (a fresh copy, the caller's to change), or undefined on a miss. */
  get(path: string): TomlOutcome | undefined {
    return this.hit?.get(path);
  }

  /** Record a file's outcome as loaded (copied now: the pack changes the rule afterwards). */
  record(path: string, outcome: TomlOutcome): void {
    if (this.hit !== null) return;
    this.recorded.push({ path, outcome: serialize(outcome) });
  }

  /** Write what was recorded (a miss). */
  save(): void {
    if (this.hit !== null || this.recorded.length === 0) return;
    writeEntry(this.dir, this.key, '.bin', serialize(this.recorded));
  }
}

/**
 * `spoor serve --intel FILE|DIR`: threat-intel hash feeds (src/intel) held by the server, new
 * alerts enriched from them (store/alerts.ts), reloaded without a restart: on SIGHUP and
 * `POST /api/rules/reload` (with the rules), and when a feed file's modification time, size or
 * the set of files changes (checked every `intelCheckMs`, default 30 s; 0 turns it off). A reload
 * builds a new index and swaps it in only when done; a feed that fails to load is reported and
 * the others still load.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { loadFeeds, type HashIndex } from '../intel/index.js';
import { listFiles } from '../sources/list-files.js';
import type { ApiIntelStatus } from './api-types.js';

export class IntelFeeds {
  private index: HashIndex | null = null;
  private status: ApiIntelStatus;
  private stamp = '';
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<ApiIntelStatus> | null = null;

  constructor(
    readonly paths: readonly string[],
    private readonly onIndex: (index: HashIndex) => void,
    private readonly log: (line: string) => void,
    private readonly matched: () => number,
  ) {
    this.status = { paths: [...paths], hashes: 0, feeds: [], loadedAt: new Date(0).toISOString(), alertsMatched: 0, problems: 0 };
  }

  /** What the files look like now: names, sizes and modification times. */
  private fingerprint(): string {
    const parts: string[] = [];
    for (const p of this.paths) {
      try {
        const st = statSync(p);
        const files = st.isDirectory() ? listFiles(p).filter((f) => !basename(f).startsWith('.')) : [p];
        for (const f of files.sort()) {
          try {
            const s = f === p ? st : statSync(f);
            parts.push(`${f}\u0000${s.size}\u0000${s.mtimeMs}`);
          } catch {
            parts.push(`${f}\u0000gone`);
          }
        }
      } catch {
        parts.push(`${p}\u0000missing`);
      }
    }
    return parts.join('\n');
  }

  /** (Re)load every feed; the new index replaces the old one when complete. */
  reload(): Promise<ApiIntelStatus> {
    this.loading ??= (async () => {
      try {
        const stamp = this.fingerprint();
        let problems = 0;
        const got = await loadFeeds(this.paths, (p) => {
          problems++;
          this.log(`intel feed ${p.file}${p.where ? ` ${p.where}` : ''}: ${p.message}`);
        });
        this.index = got.index;
        this.stamp = stamp;
        this.onIndex(got.index);
        this.status = { paths: [...this.paths], hashes: got.index.size, feeds: got.feeds, loadedAt: new Date().toISOString(), alertsMatched: 0, problems };
        this.log(`intel: ${got.index.size} hashes from ${got.feeds.length} feed file(s)${problems ? `, ${problems} problem(s)` : ''}`);
        return this.current();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** Reload when the files changed since the last load. */
  async checkChanged(): Promise<boolean> {
    if (this.loading || this.fingerprint() === this.stamp) return false;
    await this.reload();
    return true;
  }

  /** Poll the files every `ms` (0: never). */
  watch(ms: number): void {
    if (ms <= 0) return;
    this.timer = setInterval(() => void this.checkChanged().catch((e: Error) => this.log(`intel reload failed: ${e.message}`)), ms);
    this.timer.unref();
  }

  current(): ApiIntelStatus {
    return { ...this.status, alertsMatched: this.matched() };
  }

  get loaded(): HashIndex | null {
    return this.index;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

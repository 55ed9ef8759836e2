/**
 * abuse.ch MalwareBazaar CSV exports (full/recent dumps and query results): `#` comment lines, a
 * header naming `sha256_hash`, `md5_hash`, `sha1_hash`, `signature`, `file_type_guess`, `tags`
 * (the dumps comment the header out: `# "first_seen_utc","sha256_hash",…`), then quoted values
 * separated by `, `. Any CSV with such a header works (columns found by name).
 */
import type { FeedReader, IntelEntry } from '../types.js';
import { forEachLine } from './lines.js';

/** One CSV record's cells (RFC 4180 quoting; spaces around separators ignored). */
export function splitCsv(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null; // unterminated quote
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(cell);
      while (line[i] === ' ' || line[i] === '\t') i++;
    } else {
      const c = line.indexOf(',', i);
      out.push((c < 0 ? line.slice(i) : line.slice(i, c)).trim());
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) return out;
    if (line[i] !== ',') return null;
    i++;
  }
}

const HASH_COLUMNS = ['sha256_hash', 'sha1_hash', 'md5_hash', 'sha256', 'sha1', 'md5'];
const NAME_COLUMNS = ['signature', 'malware', 'malware_family', 'name'];
const TAG_COLUMNS = ['tags', 'file_type_guess', 'file_type'];
const EMPTY = new Set(['', 'n/a', 'none', 'null', '-']);

export const csvFeed: FeedReader = {
  name: 'csv',
  sniff: (fileName, head) => /\.csv(\.gz)?$/i.test(fileName) || /"?sha256_hash"?\s*,/i.test(head),
  async read(path, feed, add, onProblem) {
    let header: string[] | null = null;
    await forEachLine(path, (line, n) => {
      const t = line.trim();
      if (t === '') return;
      if (t.startsWith('#')) {
        // The dumps' header is a comment; other comments are banners.
        const cells = /sha256_hash|md5_hash|sha1_hash/i.test(t) ? splitCsv(t.replace(/^#\s*/, '')) : null;
        if (cells) header = cells.map((c) => c.toLowerCase());
        return;
      }
      const cells = splitCsv(t);
      if (!cells) {
        onProblem({ file: path, where: `line ${n}`, message: 'malformed CSV (unterminated quote or stray text)' });
        return;
      }
      if (!header) {
        if (cells.some((c) => HASH_COLUMNS.includes(c.toLowerCase()))) {
          header = cells.map((c) => c.toLowerCase());
          return;
        }
        onProblem({ file: path, where: `line ${n}`, message: 'no header naming a hash column (sha256_hash, md5_hash, sha1_hash) before the first record' });
        return;
      }
      const h = header;
      const col = (names: string[]): string | undefined => {
        for (const name of names) {
          const i = h.indexOf(name);
          if (i >= 0 && cells[i] !== undefined && !EMPTY.has(cells[i]!.toLowerCase())) return cells[i];
        }
        return undefined;
      };
      const name = col(NAME_COLUMNS);
      const tags = TAG_COLUMNS.flatMap((c) => {
        const v = col([c]);
        return v ? v.split(/[,;]\s*/).map((x) => x.trim()).filter((x) => x !== '') : [];
      });
      const entry: IntelEntry = { feed, tags: [...new Set(tags)], ...(name ? { name } : {}) };
      let added = 0;
      for (const c of HASH_COLUMNS) {
        const i = h.indexOf(c);
        if (i >= 0 && cells[i] && !EMPTY.has(cells[i]!.toLowerCase()) && add(cells[i]!, entry)) added++;
      }
      if (added === 0) onProblem({ file: path, where: `line ${n}`, message: 'record with no valid md5/sha1/sha256 hash' });
    });
    if (!header) onProblem({ file: path, message: 'no CSV header naming a hash column: nothing loaded' });
  },
};

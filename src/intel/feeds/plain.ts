/**
 * Plain hash lists: one hash per line, `#` comments, blank lines; text after the hash (a space,
 * tab, comma or semicolon, then a name) is kept as the entry's name. Lines holding no hash are
 * reported and skipped.
 */
import type { FeedReader } from '../types.js';
import { forEachLine } from './lines.js';

export const plainFeed: FeedReader = {
  name: 'plain',
  sniff: () => true, // the fallback: registered last
  async read(path, feed, add, onProblem) {
    await forEachLine(path, (line, n) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#') || t.startsWith('//')) return;
      const m = /^([0-9A-Fa-f]+)(?:[\s,;]+(.*))?$/.exec(t);
      const name = m?.[2]?.trim();
      if (!m || !add(m[1]!, { feed, tags: [], ...(name ? { name } : {}) })) {
        onProblem({ file: path, where: `line ${n}`, message: `not an md5/sha1/sha256 hash: ${JSON.stringify(t.slice(0, 80))}` });
      }
    });
  },
};

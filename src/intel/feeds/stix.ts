/**
 * STIX 2.1 bundles: `indicator` objects whose STIX pattern compares `file:hashes.'SHA-256'`
 * (or MD5, SHA-1, `SHA256`…) with a hex literal. The entry's name is the indicator's name, or the
 * name of the malware it `indicates` (relationship objects); tags are its labels and
 * indicator_types. Patterns with no file hash are left alone (not a problem: other indicators).
 */
import type { FeedReader, IntelEntry } from '../types.js';
import { readJsonFeed } from './lines.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const HASH_IN_PATTERN = /file:hashes\s*\.\s*(?:'([^']+)'|"([^"]+)"|([A-Za-z0-9_-]+))\s*=\s*'([^']*)'/g;
const ALGORITHMS = new Set(['md5', 'sha1', 'sha-1', 'sha256', 'sha-256']);

export function patternHashes(pattern: string): { algorithm: string; value: string }[] {
  const out: { algorithm: string; value: string }[] = [];
  for (const m of pattern.matchAll(HASH_IN_PATTERN)) {
    const algorithm = (m[1] ?? m[2] ?? m[3] ?? '').toLowerCase();
    if (ALGORITHMS.has(algorithm)) out.push({ algorithm, value: m[4]! });
  }
  return out;
}

export const stixFeed: FeedReader = {
  name: 'stix',
  sniff: (_f, head) => /"type"\s*:\s*"bundle"/.test(head) || /"spec_version"\s*:\s*"2\./.test(head),
  async read(path, feed, add, onProblem) {
    const doc = await readJsonFeed(path, onProblem);
    if (doc === undefined) return;
    const objects = isObj(doc) && Array.isArray(doc['objects']) ? doc['objects'].filter(isObj) : isObj(doc) && doc['type'] === 'indicator' ? [doc] : [];
    if (objects.length === 0) {
      onProblem({ file: path, message: 'no STIX objects (a bundle with "objects" expected); nothing loaded' });
      return;
    }
    const byId = new Map(objects.filter((o) => typeof o['id'] === 'string').map((o) => [o['id'] as string, o]));
    const indicates = new Map<string, string>();
    for (const r of objects) {
      if (r['type'] !== 'relationship' || r['relationship_type'] !== 'indicates') continue;
      const target = byId.get(String(r['target_ref']));
      if (target && typeof target['name'] === 'string') indicates.set(String(r['source_ref']), target['name']);
    }
    objects.forEach((o, i) => {
      if (o['type'] !== 'indicator') return;
      if (typeof o['pattern'] !== 'string') {
        onProblem({ file: path, where: `object ${i + 1}`, message: 'indicator without a pattern' });
        return;
      }
      if (o['pattern_type'] !== undefined && o['pattern_type'] !== 'stix') return;
      const name = indicates.get(String(o['id'])) ?? (typeof o['name'] === 'string' ? o['name'] : undefined);
      const entry: IntelEntry = { feed, tags: [...new Set([...strings(o['labels']), ...strings(o['indicator_types'])])], ...(name ? { name } : {}) };
      for (const h of patternHashes(o['pattern'])) {
        if (!add(h.value, entry)) onProblem({ file: path, where: `object ${i + 1}`, message: `file:hashes.${h.algorithm} value is not a valid hash: ${JSON.stringify(h.value.slice(0, 80))}` });
      }
    });
  },
};

/**
 * MISP JSON exports: one event (`{"Event": {…}}`), a list of them, or a REST search response
 * (`{"response": [{"Event": …}]}`). Hash attributes (md5, sha1, sha256, `filename|<hash>`,
 * `malware-sample` = `name|md5`) at event level and inside objects; the entry's name is the
 * attribute's comment or the event's `info`; tags are the event's and the attribute's.
 */
import type { FeedReader, IntelEntry } from '../types.js';
import { readJsonFeed } from './lines.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const tagNames = (v: unknown): string[] => arr(v).flatMap((t) => (isObj(t) && typeof t['name'] === 'string' ? [t['name']] : []));

const HASH_TYPES = new Set(['md5', 'sha1', 'sha256', 'filename|md5', 'filename|sha1', 'filename|sha256', 'malware-sample']);

export function mispEvents(doc: unknown): Obj[] {
  if (Array.isArray(doc)) return doc.flatMap(mispEvents);
  if (!isObj(doc)) return [];
  if (isObj(doc['Event'])) return [doc['Event']];
  if (Array.isArray(doc['response'])) return mispEvents(doc['response']);
  if (Array.isArray(doc['Attribute']) || typeof doc['info'] === 'string') return [doc];
  return [];
}

export const mispFeed: FeedReader = {
  name: 'misp',
  sniff: (_f, head) => /^\s*[[{]/.test(head) && /"(Event|Attribute|response)"\s*:/.test(head) && !/"type"\s*:\s*"bundle"/.test(head),
  async read(path, feed, add, onProblem) {
    const doc = await readJsonFeed(path, onProblem);
    if (doc === undefined) return;
    const events = mispEvents(doc);
    if (events.length === 0) onProblem({ file: path, message: 'no MISP Event in the document; nothing loaded' });
    events.forEach((ev, ei) => {
      const info = typeof ev['info'] === 'string' ? ev['info'] : undefined;
      const evTags = tagNames(ev['Tag']);
      const attrs = [...arr(ev['Attribute']), ...arr(ev['Object']).flatMap((o) => (isObj(o) ? arr(o['Attribute']) : []))];
      attrs.forEach((a, ai) => {
        if (!isObj(a) || typeof a['type'] !== 'string' || !HASH_TYPES.has(a['type'])) return;
        const value = typeof a['value'] === 'string' ? a['value'] : '';
        const hash = value.includes('|') ? value.slice(value.lastIndexOf('|') + 1) : value;
        const comment = typeof a['comment'] === 'string' && a['comment'].trim() !== '' ? a['comment'].trim() : undefined;
        const name = comment ?? info;
        const entry: IntelEntry = { feed, tags: [...new Set([...evTags, ...tagNames(a['Tag'])])], ...(name ? { name } : {}) };
        if (!add(hash, entry)) onProblem({ file: path, where: `event ${ei + 1} attribute ${ai + 1}`, message: `${a['type']} attribute with no valid hash: ${JSON.stringify(value.slice(0, 80))}` });
      });
    });
  },
};

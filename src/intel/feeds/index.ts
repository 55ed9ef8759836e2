/** Feed readers, registered by format name; the first whose sniff accepts a file reads it (plain last). */
import type { FeedReader } from '../types.js';
import { csvFeed } from './csv.js';
import { mispFeed } from './misp.js';
import { plainFeed } from './plain.js';
import { stixFeed } from './stix.js';

export const FEED_READERS: readonly FeedReader[] = [stixFeed, mispFeed, csvFeed, plainFeed];

export function feedReader(name: string): FeedReader | undefined {
  return FEED_READERS.find((r) => r.name === name);
}

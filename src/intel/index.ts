/**
 * Threat-intel hash feeds, offline: MalwareBazaar CSV, plain lists, MISP JSON, STIX 2.1 bundles
 * loaded into one index; events' hashes (ECS view) matched against it. serve/ calls `loadFeeds`
 * again and swaps the index it holds to reload.
 */
export { loadFeeds, type LoadedFeeds } from './load.js';
export { HashIndex, normalizeHash, hashAlgorithm } from './hashes.js';
export { matchEvent } from './match.js';
export { HASH_FIELDS } from './fields.js';
export { FEED_READERS, feedReader } from './feeds/index.js';
export type { FeedProblem, FeedProblemSink, FeedReader, FeedStats, HashAlgorithm, IntelEntry, IntelMatch } from './types.js';

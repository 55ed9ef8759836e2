/** The contract of threat-intel hash feeds: what a listed hash says, and what a match carries. */

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';

/** What a feed says about one hash. */
export interface IntelEntry {
  /** Feed name (the file name it came from, without directory). */
  feed: string;
  /** Malware family / signature / indicator name, when the feed gives one. */
  name?: string;
  tags: string[];
}

/** One hash of an event found in a feed. */
export interface IntelMatch extends IntelEntry {
  hash: string;
  algorithm: HashAlgorithm;
  /** The ECS field that held it (`process.hash.sha256`, `file.hash.md5`, …). */
  field: string;
}

/** A feed format: parse one file's text, reporting bad records, adding entries. */
export interface FeedReader {
  name: string;
  /** Whether this reader recognises the file (by name and its first bytes). */
  sniff(fileName: string, head: string): boolean;
  /** Read the whole file; bad lines/records go to `onProblem` and are skipped. */
  read(path: string, feed: string, add: (hash: string, entry: IntelEntry) => boolean, onProblem: FeedProblemSink): Promise<void>;
}

export interface FeedProblem {
  file: string;
  where?: string;
  message: string;
}

export type FeedProblemSink = (p: FeedProblem) => void;

/** What was loaded, per feed file. */
export interface FeedStats {
  file: string;
  format: string;
  hashes: number;
  skipped: number;
}

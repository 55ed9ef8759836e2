/** The contract of share-write review (`spoor shares`): one row per (host, share, file, writer). */

export interface ShareWriteRow {
  /** The host written to, as its logs name it. */
  host: string;
  /** Share name (`ADMIN$`, `C$`, …): from a 5145's ShareName, else inferred from the local path. */
  share: string;
  /** True when `share` was inferred from the path (no 5145/5140 named it). */
  shareInferred: boolean;
  /** Local path of the written file, as first seen. */
  path: string;
  /** Writing account (`DOMAIN\user` when the domain is known); empty when no evidence names it. */
  account?: string;
  /** Source address of the SMB session. */
  sourceIp?: string;
  /** What named the writer (`Security 5145 …`, `Security 4624 …`), when anything did. */
  writerEvidence?: string;
  /** ISO-8601 times of the first and last write event. */
  firstSeen: string;
  lastSeen: string;
  /** Distinct writes: events of one file less than 5 s apart count as one write. */
  writes: number;
  /** Write events seen (several per write: a 5145 per access check, Sysmon 11 and Defend). */
  events: number;
  /** Where the writes were seen: `security-5145`, `file-event-pid4`. */
  sources: string[];
  /** A process was started from this path on this host at or after the first write. */
  executed: boolean;
  /** ISO-8601 time of the latest such start. */
  lastExecuted?: string;
}

export interface ShareReviewOptions {
  /** Keep every written file, not only executable ones (default false). */
  allFiles?: boolean;
}

export interface ShareReviewStats {
  files: number;
  events: number;
  /** Write events kept (5145 with write access, file events by PID 4). */
  writeEvents: number;
  /** 5145 events seen (any access), 5140 events seen: whether share auditing is on at all. */
  share5145: number;
  share5140: number;
  /** File events written by PID 4 (any extension). */
  pid4FileEvents: number;
  processStarts: number;
}

export interface ShareReview {
  rows: ShareWriteRow[];
  stats: ShareReviewStats;
}

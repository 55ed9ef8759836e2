/**
 * Where an event's hashes are, in the ECS view (data): Elastic Defend `process.hash.*`,
 * `file.hash.*`, `dll.hash.*`; Sysmon `Hashes` (normalize puts ProcessCreate's under
 * `process.hash.*`; other events keep the raw `winlog.event_data.Hashes` text, read here).
 */
export const HASH_FIELDS: readonly { path: readonly string[]; algorithm: 'md5' | 'sha1' | 'sha256' }[] = [
  { path: ['process', 'hash', 'sha256'], algorithm: 'sha256' },
  { path: ['process', 'hash', 'sha1'], algorithm: 'sha1' },
  { path: ['process', 'hash', 'md5'], algorithm: 'md5' },
  { path: ['file', 'hash', 'sha256'], algorithm: 'sha256' },
  { path: ['file', 'hash', 'sha1'], algorithm: 'sha1' },
  { path: ['file', 'hash', 'md5'], algorithm: 'md5' },
  { path: ['dll', 'hash', 'sha256'], algorithm: 'sha256' },
  { path: ['dll', 'hash', 'sha1'], algorithm: 'sha1' },
  { path: ['dll', 'hash', 'md5'], algorithm: 'md5' },
];

/** Sysmon's `Hashes` text: `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` (IMPHASH is not a file hash). */
export const SYSMON_HASHES_FIELD: readonly string[] = ['winlog', 'event_data', 'Hashes'];

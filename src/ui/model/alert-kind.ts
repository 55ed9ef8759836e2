/**
 * What kind of detection an alert is, read from the alert itself (alerts do not carry their rule's
 * query): this decides which detail view the UI draws. Pure; shared with Node tests.
 *
 * - `file-share`: a file written over SMB and then run — several matched events, and the alert names
 *   a writer (address or account) or its first matched event is a share/file write and a later one
 *   starts a process.
 * - `single`: one matched event (a Sigma or EQL single-event rule), even when that event names an
 *   SMB writer (a Sigma rule on Security 5145): it shows the event, never "written / executed".
 * - `multi`: several contributing events (EQL sequences, Sigma correlations) without a write → run.
 */
import type { Alert } from '../../alert/types.js';
import { describeEvent } from '../../output/describe.js';

export type AlertKind = 'file-share' | 'single' | 'multi';

export function hasWriter(a: Pick<Alert, 'writer'>): boolean {
  return Boolean(a.writer && (a.writer.ip || a.writer.user));
}

export function classifyAlert(a: Alert): AlertKind {
  if (a.events.length <= 1) return 'single';
  if (hasWriter(a)) return 'file-share';
  const first = a.events[0] ? describeEvent(a.events[0].event).kind : 'other';
  const startsLater = a.events.slice(1).some((e) => describeEvent(e.event).kind === 'process-start' || describeEvent(e.event).kind === 'service');
  return (first === 'share' || first === 'file') && startsLater && a.filePath ? 'file-share' : 'multi';
}

/** The account shown in the queue: the writer's, else the started process's user. */
export function alertUser(a: Pick<Alert, 'writer' | 'process'>): string {
  const w = a.writer;
  if (w?.user) return w.domain ? `${w.domain}\\${w.user}` : w.user;
  return a.process?.user ?? '';
}

/** The source address shown in the queue: the writer's address. */
export function alertSourceIp(a: Pick<Alert, 'writer'>): string {
  return a.writer?.ip ?? '';
}

/** The path shown in the queue: the written file, else the executable. */
export function alertPath(a: Pick<Alert, 'filePath' | 'process'>): string {
  return a.filePath ?? a.process?.executable ?? '';
}

/**
 * Alert building: from a rule's match (events in the ECS view, in sequence order) to an Alert with
 * what an analyst triages first: host, the file written then executed, exact first/last times and
 * the gap, the started process, and who wrote the file when any evidence says so.
 */
import type { Rule } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { diffNs, formatInstant, type Instant } from '../events/timestamp.js';
import type { Alert, AlertProcess, AlertWriter } from './types.js';
import { bool, ecsTime, eventCode, has, hostName, num, sharePath, str } from './ecs-fields.js';
import { hasWriteAccess } from './writer-context.js';
import { eventIdentity, sha256Hex } from './event-identity.js';
import { eventTime } from '../normalize/index.js';
import type { HashIndex } from '../intel/index.js';
import { applyIntel } from './intel.js';

/** What alert building needs of an engine match (structurally the engine's `Match`). */
export interface AlertMatch {
  events: Event[];
  keys?: unknown[];
}

export type AlertSource = { file: string; position?: number };

/**
 * `sources[i]` is where `match.events[i]` came from. `writer` comes from a WriterContext, if any;
 * `intel`, threat-intel hash feeds (alert/intel.ts), enriches the alert and raises its severity.
 */
export function buildAlert(rule: Rule, match: AlertMatch, sources: AlertSource[], writer?: AlertWriter, intel?: HashIndex): Alert {
  const events = match.events;
  const first = events[0] ?? {};
  const last = events[events.length - 1] ?? first;
  const firstAt = timeOf(first);
  const lastAt = timeOf(last) ?? firstAt;
  const host = hostName(first) ?? hostName(last) ?? 'unknown';
  const filePath = writtenPath(events);
  const startEv = [...events].reverse().find(isProcessStart);
  const alert: Alert = {
    id: alertId(rule.id, events),
    ruleId: rule.id,
    ruleName: rule.name,
    severity: rule.severity,
    host,
    firstTime: firstAt ? formatInstant(firstAt) : '',
    lastTime: lastAt ? formatInstant(lastAt) : '',
    gapMs: firstAt && lastAt ? diffNs(firstAt, lastAt) / 1e6 : 0,
    events: events.map((event, i) => ({ ...(sources[i] ?? { file: '?' }), event: plain(event) as Event })),
  };
  if (rule.riskScore !== undefined) alert.riskScore = rule.riskScore;
  if (rule.mitre?.length) alert.mitre = rule.mitre;
  if (filePath) alert.filePath = filePath;
  const w = shareWriter(events) ?? writer;
  if (w) alert.writer = w;
  if (startEv) alert.process = processOf(startEv);
  if (intel) applyIntel(alert, intel);
  return alert;
}

/** Exact event time: normalization's reading of the event, else the ECS view's @timestamp. */
function timeOf(ev: Event): Instant | null {
  return eventTime(ev) ?? ecsTime(ev);
}

function isProcessStart(ev: Event): boolean {
  return has(ev, 'event.category', 'process') && has(ev, 'event.type', 'start');
}

/** The written file: the first event's file.path (5145: share path), else the started executable. */
function writtenPath(events: Event[]): string | undefined {
  for (const ev of events) {
    const p = eventCode(ev) === '5145' ? sharePath(ev) : str(ev, 'file.path');
    if (p) return p;
  }
  for (const ev of events) {
    const p = str(ev, 'process.executable') ?? str(ev, 'service.executable');
    if (p) return p;
  }
  return undefined;
}

/** A 5145 in the match names the writer directly: source address and subject account. */
function shareWriter(events: Event[]): AlertWriter | undefined {
  const ev = events.find((e) => eventCode(e) === '5145' && hasWriteAccess(e));
  if (!ev) return undefined;
  return writerFrom5145(ev, 'Security 5145 (matched event)');
}

/** The writer a Security 5145 names: source address and subject account (also `spoor shares`). */
export function writerFrom5145(ev: Event, evidence: string): AlertWriter {
  const w: AlertWriter = { evidence };
  const ip = str(ev, 'source.ip') ?? str(ev, 'winlog.event_data.IpAddress');
  const user = str(ev, 'winlog.event_data.SubjectUserName') ?? str(ev, 'user.name');
  const domain = str(ev, 'winlog.event_data.SubjectDomainName') ?? str(ev, 'user.domain');
  if (ip && ip !== '-') w.ip = ip.replace(/^::ffff:/i, '');
  if (user) w.user = user;
  if (domain) w.domain = domain;
  return w;
}

function processOf(ev: Event): AlertProcess {
  const p: AlertProcess = {};
  const set = <K extends keyof AlertProcess>(k: K, v: AlertProcess[K] | undefined) => {
    if (v !== undefined) p[k] = v;
  };
  set('executable', str(ev, 'process.executable'));
  set('pid', num(ev, 'process.pid'));
  set('commandLine', str(ev, 'process.command_line'));
  set('parentExecutable', str(ev, 'process.parent.executable'));
  set('signer', str(ev, 'process.code_signature.subject_name'));
  set('signatureTrusted', bool(ev, 'process.code_signature.trusted'));
  const user = str(ev, 'user.name');
  const domain = str(ev, 'user.domain');
  set('user', user ? (domain ? `${domain}\\${user}` : user) : undefined);
  return p;
}

/**
 * Stable dedup key: a hash of the rule id and the identity of every matched event, in match order
 * (`event-identity.ts`: host + channel + record id + time, or time + content). One alert per
 * distinct matched event set; the same events read twice (the same log in two places) get the same
 * id, whatever file or position they came from. Documented in docs/engine.md ("Alert identity").
 */
export function alertId(ruleId: string, events: readonly Event[]): string {
  // The digest of the parts written one after the other (what Hash.update of each gave).
  let text = ruleId;
  for (const ev of events) text += '\u0000' + eventIdentity(ev, timeOf(ev));
  return sha256Hex(text).slice(0, 20);
}

/** A JSON-safe copy (bigint → number when exact, else decimal text) that survives worker threads. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  // Object.keys, not Object.entries: the same keys in the same order, without a pair per key.
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = o[k];
    if (x !== undefined && typeof x !== 'function') out[k] = plain(x);
  }
  return out;
}

/**
 * Incidents: alerts that belong together, merged (union–find over three rules). Pure; shared with
 * Node tests (test/ui/incidents.test.ts) and documented in docs/ui.md.
 *
 * Two alerts are in one incident when
 *  1. **same event** — they matched the same event (same file and record/line), e.g. one process
 *     start caught by two Sigma rules;
 *  2. **same write/execution** — same host and same file path (case-insensitive, as Windows) and
 *     their first events at most `sameExecutionWindowMs` apart (default 2 min), e.g. the file-share
 *     rule and the MZ-header variant on one PsExec run;
 *  3. **same writer** — the same SMB writer (address, else DOMAIN\account) and first events at most
 *     `writerWindowMs` apart (default 30 min), across hosts: one operator pushing to several hosts.
 * Windows chain: alerts sorted by time join while each is within the window of the previous one.
 * Only alerts with a writer take part in rule 3, so Sigma alerts are never merged by "unknown writer".
 */
import type { Alert } from '../../alert/types.js';
import type { Severity } from '../../ir/types.js';
import { alertPath, hasWriter } from './alert-kind.js';
import { timeKey } from './time.js';

export interface IncidentOptions {
  sameExecutionWindowMs?: number;
  writerWindowMs?: number;
}

export type MergeReason = 'same-event' | 'same-execution' | 'same-writer';

export interface Incident {
  /** `inc-` + the id of its earliest alert (stable across runs over the same data). */
  id: string;
  /** Indices into the input, by time. */
  members: number[];
  hosts: string[];
  writers: string[];
  rules: string[];
  firstTime: string;
  lastTime: string;
  severity: Severity;
  /** Which rules merged its alerts (empty for a single alert). */
  reasons: MergeReason[];
}

const RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

function writerKey(a: Alert): string {
  const w = a.writer!;
  if (w.ip) return `ip:${w.ip.toLowerCase()}`;
  return `acct:${(w.domain ?? '').toLowerCase()}\\${(w.user ?? '').toLowerCase()}`;
}

export function mergeIncidents(alerts: readonly Alert[], opts: IncidentOptions = {}): { incidents: Incident[]; incidentOf: Int32Array } {
  const execWindow = opts.sameExecutionWindowMs ?? 120_000;
  const writerWindow = opts.writerWindowMs ?? 30 * 60_000;
  const n = alerts.length;
  const parent = new Int32Array(n).map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const reasonsOf = new Map<number, Set<MergeReason>>();
  const union = (i: number, j: number, why: MergeReason): void => {
    let a = find(i);
    let b = find(j);
    if (a === b) {
      if (!reasonsOf.get(a)?.has(why)) (reasonsOf.get(a) ?? reasonsOf.set(a, new Set()).get(a)!).add(why);
      return;
    }
    if (b < a) [a, b] = [b, a];
    parent[b] = a;
    const merged = new Set([...(reasonsOf.get(a) ?? []), ...(reasonsOf.get(b) ?? []), why]);
    reasonsOf.delete(b);
    reasonsOf.set(a, merged);
  };
  const t = alerts.map((a) => timeKey(a.firstTime));

  // 1. same matched event
  const byEvent = new Map<string, number>();
  alerts.forEach((a, i) => {
    for (const e of a.events) {
      if (e.position === undefined) continue;
      const k = `${e.file}\u0000${e.position}`;
      const j = byEvent.get(k);
      if (j === undefined) byEvent.set(k, i);
      else union(j, i, 'same-event');
    }
  });

  // 2 and 3: chains within a window per key
  const chain = (keyOf: (a: Alert) => string | undefined, windowMs: number, why: MergeReason): void => {
    const groups = new Map<string, number[]>();
    alerts.forEach((a, i) => {
      const k = keyOf(a);
      if (k === undefined) return;
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    });
    for (const g of groups.values()) {
      if (g.length < 2) continue;
      g.sort((i, j) => t[i]! - t[j]! || i - j);
      for (let k = 1; k < g.length; k++) {
        const gap = t[g[k]!]! - t[g[k - 1]!]!;
        if (gap <= windowMs) union(g[k - 1]!, g[k]!, why);
      }
    }
  };
  chain((a) => {
    const p = alertPath(a);
    return p ? `${a.host.toLowerCase()}\u0000${p.toLowerCase()}` : undefined;
  }, execWindow, 'same-execution');
  chain((a) => (hasWriter(a) ? writerKey(a) : undefined), writerWindow, 'same-writer');

  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const m = members.get(r);
    if (m) m.push(i);
    else members.set(r, [i]);
  }
  const incidents: Incident[] = [];
  for (const [root, idx] of members) {
    idx.sort((i, j) => t[i]! - t[j]! || i - j);
    const list = idx.map((i) => alerts[i]!);
    const uniq = (xs: string[]): string[] => [...new Set(xs.filter(Boolean))].sort();
    let sev: Severity = 'informational';
    let last = list[0]!.lastTime;
    let lastT = timeKey(last);
    for (const a of list) {
      if (RANK[a.severity] > RANK[sev]) sev = a.severity;
      const lt = timeKey(a.lastTime);
      if (lt > lastT) [last, lastT] = [a.lastTime, lt];
    }
    incidents.push({
      id: `inc-${list[0]!.id}`,
      members: idx,
      hosts: uniq(list.map((a) => a.host)),
      writers: uniq(list.filter(hasWriter).map((a) => a.writer!.ip ?? `${a.writer!.domain ? `${a.writer!.domain}\\` : ''}${a.writer!.user ?? ''}`)),
      rules: uniq(list.map((a) => a.ruleId)),
      firstTime: list[0]!.firstTime,
      lastTime: last,
      severity: sev,
      reasons: [...(reasonsOf.get(root) ?? [])].sort(),
    });
  }
  incidents.sort((x, y) => t[x.members[0]!]! - t[y.members[0]!]! || (x.id < y.id ? -1 : 1));
  const incidentOf = new Int32Array(n);
  incidents.forEach((inc, k) => inc.members.forEach((i) => (incidentOf[i] = k)));
  return { incidents, incidentOf };
}

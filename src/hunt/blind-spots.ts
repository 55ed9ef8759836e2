/**
 * Blind spots: per rule stage and per host, whether the telemetry the stage needs was there at
 * all, so "0 alerts" is never mistaken for "no attack". Built from the tally (telemetry.ts) at the
 * end of a hunt; hints (which audit policy or Sysmon setting produces the telemetry) are data.
 */
import type { TelemetryNeed } from '../ir/analyze.js';
import { requiredEventIds, requiredValues } from '../ir/analyze.js';
import { someExpr } from '../ir/walk.js';
import type { Expr } from '../ir/types.js';
import { formatExpr } from '../eql/format.js';
import type { TelemetryCounts } from './telemetry.js';

export interface BlindSpot {
  ruleId: string;
  /** The rule's language: the summary lists the EQL pack's rules before a (large) Sigma set. */
  language: 'eql' | 'sigma';
  stage: string;
  /** What the stage needs, as an EQL-like condition (`file where process.pid == 4 …`). */
  needs: string;
  /** Hosts that sent any event; of them, those that sent none meeting the need (by name when one was seen). */
  hosts: number;
  hostsWithout: string[];
  /** Events meeting the need. */
  events: number;
  /** Lines of the need's category the prefilter left unparsed (host unknown). */
  unparsedLines: number;
  /** present: every host; partial: some hosts none; absent: no host; unknown: nothing read. */
  verdict: 'present' | 'partial' | 'absent' | 'unknown';
  /** Where such telemetry comes from, when the need is one we know. */
  hint?: string;
  /** One line for the summary. */
  message: string;
}

/** Telemetry facts of a need, read from its condition, matched against HINTS. */
interface NeedFacts {
  codes: Set<number>;
  /** The stage reads Sysmon events (its channel, or an ECS category, which Sysmon can provide). */
  sysmon: boolean;
  category: string | null;
  systemWriter: boolean;
}

/** Where each kind of telemetry comes from (first match wins). */
const HINTS: { when: (f: NeedFacts) => boolean; hint: string }[] = [
  { when: (f) => f.codes.has(5145), hint: 'Security 5145 needs object access auditing for file shares ("Audit Detailed File Share"), off by default' },
  { when: (f) => f.codes.has(5140), hint: 'Security 5140 needs "Audit File Share", off by default' },
  { when: (f) => f.codes.has(4688), hint: 'Security 4688 needs "Audit Process Creation" (and command lines by policy)' },
  { when: (f) => f.codes.has(7045), hint: 'System 7045 comes from the Service Control Manager (System log)' },
  {
    when: (f) => f.systemWriter && (f.category === 'file' || (f.codes.has(11) && f.sysmon)),
    hint: 'file creation by System (PID 4): Elastic Defend file events, or Sysmon FileCreate (11) — popular Sysmon configs exclude Image "System"; check with `spoor sysmon-check CONFIG.xml`',
  },
  { when: (f) => (f.codes.has(11) && f.sysmon) || f.category === 'file', hint: 'file creation events: Sysmon FileCreate (11) or Elastic Defend file events' },
  { when: (f) => (f.codes.has(1) && f.sysmon) || f.category === 'process', hint: 'process starts: Sysmon ProcessCreate (1), Security 4688 or Elastic Defend process events' },
];

function factsOf(need: TelemetryNeed): NeedFacts {
  const codes = new Set<number>();
  const c = need.condition;
  if (c) {
    for (const field of [['EventID'], ['event', 'code'], ['winlog', 'event_id']]) for (const n of requiredEventIds(c, field) ?? []) codes.add(n);
  }
  const isPid = (e: Expr): boolean => e.kind === 'field' && ['process.pid', 'ProcessId'].includes(e.path.join('.'));
  const isSystemName = (e: Expr): boolean => e.kind === 'field' && ['process.name', 'Image'].includes(e.path.join('.'));
  const systemWriter =
    c !== null &&
    someExpr(c, (e) => (e.kind === 'compare' || e.kind === 'wildcard' || e.kind === 'in') && (isPid('expr' in e ? e.expr : e.left) || isSystemName('expr' in e ? e.expr : e.left)));
  const channels = new Set<string>();
  if (c) for (const field of [['Channel'], ['winlog', 'channel']]) for (const v of requiredValues(c, field) ?? []) channels.add(String(v).toLowerCase());
  const sysmon = need.category !== null || channels.has('microsoft-windows-sysmon/operational') || (channels.size === 0 && need.view === 'ecs');
  return { codes, sysmon, category: need.category, systemWriter };
}

export function describeNeed(need: TelemetryNeed): string {
  const cat = need.category ?? 'any';
  if (!need.condition) return `${cat} events`;
  let cond: string;
  try {
    cond = formatExpr(need.condition);
  } catch {
    cond = '(condition)';
  }
  return `${cat} where ${cond}`;
}

/** The blind-spot report of a hunt: one entry per rule stage need. */
export function buildBlindSpots(needs: readonly TelemetryNeed[], counts: TelemetryCounts, prefilteredLines: number): BlindSpot[] {
  const hosts = Object.keys(counts.hosts).sort();
  // A host key that is a host.id is shown by the name seen with it elsewhere (TelemetryCounts.names).
  const names = counts.names ?? {};
  const shown = (h: string): string => names[h] ?? h;
  // Hosts in the order of their shown names, once: each group's list is then a filter of it.
  const byShown = hosts.map((h) => ({ h, s: shown(h) })).sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  const none = { byHost: {} as Record<string, number>, unparsed: 0 };
  // Hosts without and event totals once per distinct need (many rules share one).
  // (Shown names sorted once per group too: with 5,000 hosts and ~700 needs, per need was seconds.)
  const perGroup = new Map<number, { without: string[]; events: number }>();
  const tally = (g: number): { without: string[]; events: number } => {
    let t = perGroup.get(g);
    if (!t) {
      const c = g >= 0 ? (counts.groups[g] ?? none) : none;
      t = { without: byShown.filter((x) => !(c.byHost[x.h]! > 0)).map((x) => x.s), events: Object.values(c.byHost).reduce((a, b) => a + b, 0) };
      perGroup.set(g, t);
    }
    return t;
  };
  return needs.map((need, i) => {
    const g = counts.groupOf[i] ?? -1;
    const c = g >= 0 ? (counts.groups[g] ?? none) : none;
    const t = tally(g);
    const without = [...t.without];
    const events = t.events;
    const verdict: BlindSpot['verdict'] = hosts.length === 0 ? 'unknown' : without.length === 0 ? 'present' : events === 0 ? 'absent' : 'partial';
    const facts = factsOf(need);
    const hint = HINTS.find((h) => h.when(facts))?.hint;
    const spot: BlindSpot = { ruleId: need.ruleId, language: need.language, stage: need.stage, needs: describeNeed(need), hosts: hosts.length, hostsWithout: without, events, unparsedLines: c.unparsed, verdict, message: '' };
    if (hint && verdict !== 'present') spot.hint = hint;
    spot.message = messageOf(spot, prefilteredLines);
    return spot;
  });
}

function messageOf(s: BlindSpot, prefiltered: number): string {
  const head = `${s.ruleId} ${s.stage} needs ${s.needs}`;
  let m: string;
  switch (s.verdict) {
    case 'unknown':
      return `${head}: no events read`;
    case 'present':
      return `${head}: every host (${s.hosts}) sent some`;
    case 'absent':
      m = `${head}: none at all from ${s.hosts} host(s)`;
      break;
    case 'partial': {
      const names = s.hostsWithout.slice(0, 5).join(', ') + (s.hostsWithout.length > 5 ? ', …' : '');
      m = `${head}: ${s.hostsWithout.length} of ${s.hosts} hosts sent none (${names})`;
      break;
    }
  }
  if (s.hint) m += ` — ${s.hint}`;
  if (s.unparsedLines > 0) m += `; ${s.unparsedLines} line(s) of this category were not parsed (host unknown): --no-prefilter checks them`;
  else if (prefiltered > 0) m += `; ${prefiltered} line(s) no rule could use were not parsed: --no-prefilter makes this check exact`;
  return m;
}

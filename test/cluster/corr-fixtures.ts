/**
 * Cross-host correlation fixtures for the cluster tests: two Sigma correlations grouped by the
 * logon's source address (not by host, so they run in stage 2), and Winlogbeat-style 4625 events
 * planted across hosts so that only the whole fleet's view reaches each threshold.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedNetworkLogonRule, okLogonRule } from '../helpers/sigma-logon-rules.js';

export const SPRAY_ID = 'c0ffee00-0000-4000-8000-000000000002';
export const USERS_ID = 'c0ffee00-0000-4000-8000-000000000003';

export const CORR_SIGMA = `${failedNetworkLogonRule(undefined, 'status: test\nlevel: low\n')}---
title: Failed logons from one source across hosts
id: ${SPRAY_ID}
status: test
level: high
correlation:
    type: event_count
    rules: [failed_network_logon]
    group-by: [IpAddress]
    timespan: 5m
    condition:
        gte: 10
---
title: Many target users from one source
id: ${USERS_ID}
status: test
level: high
correlation:
    type: value_count
    rules: [failed_network_logon]
    group-by: [IpAddress]
    timespan: 5m
    condition:
        field: TargetUserName
        gte: 5
`;

export const ORDERED_ID = 'c0ffee00-0000-4000-8000-000000000005';

/** A per-host ordered correlation (stage 1): a failed network logon, then a successful one, on one host. */
export const ORDERED_SIGMA = `${failedNetworkLogonRule()}---
${okLogonRule()}---
title: Failed then successful logon on one host
id: ${ORDERED_ID}
level: medium
correlation:
    type: temporal_ordered
    rules: [failed_network_logon, ok_logon]
    group-by: [Computer]
    timespan: 5m
`;

/** Write the rule file into `dir/sigma` and return that directory. */
export function writeCorrRules(dir: string): string {
  const d = join(dir, 'sigma');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'cross-host.yml'), CORR_SIGMA);
  return d;
}

let record = 1;

/** One Winlogbeat 4625 (failed logon) document. */
export function failedLogon(host: string, atMs: number, ip: string, user: string): string {
  return logon(host, atMs, ip, user, 4625);
}

/** One Winlogbeat logon document (4624 success, 4625 failure). */
export function logon(host: string, atMs: number, ip: string, user: string, eventId: 4624 | 4625): string {
  const t = new Date(atMs).toISOString();
  return JSON.stringify({
    '@timestamp': t,
    host: { name: host },
    event: { code: String(eventId), provider: 'Microsoft-Windows-Security-Auditing', created: t },
    winlog: {
      channel: 'Security',
      event_id: String(eventId),
      record_id: String(record++),
      computer_name: host,
      provider_name: 'Microsoft-Windows-Security-Auditing',
      event_data: { IpAddress: ip, TargetUserName: user, LogonType: '3', TargetDomainName: 'CORP' },
    },
  });
}

export interface PlantedGroups {
  /** Documents with the host each belongs to, in time order per host. */
  docs: { host: string; line: string }[];
  /** Source addresses that must raise the event_count alert once (and those that must not). */
  sprays: string[];
  nearMisses: string[];
  /** Source addresses that must raise the value_count alert once (and those that must not). */
  userSweeps: string[];
  userNearMisses: string[];
}

/**
 * `groups` of each kind, spread over `hosts` round-robin (each group's events land on several
 * hosts, hence in several partitions), starting at `startMs`, one group per 10 minutes (so groups
 * never share a window), events 5 s apart.
 */
export function plantGroups(hosts: string[], groups: number, startMs: number): PlantedGroups {
  const out: PlantedGroups = { docs: [], sprays: [], nearMisses: [], userSweeps: [], userNearMisses: [] };
  let h = 0;
  let t = startMs;
  const emit = (ip: string, users: string[]): void => {
    for (const u of users) {
      const host = hosts[h++ % hosts.length]!;
      out.docs.push({ host, line: failedLogon(host, t, ip, u) });
      t += 5000;
    }
    t += 10 * 60_000;
  };
  for (let g = 0; g < groups; g++) {
    const a = `10.${g >> 8}.${g & 255}.1`;
    out.sprays.push(a);
    emit(a, Array.from({ length: 10 }, () => 'administrator'));
    const b = `10.${g >> 8}.${g & 255}.2`;
    out.nearMisses.push(b);
    emit(b, Array.from({ length: 9 }, () => 'administrator'));
    const c = `10.${g >> 8}.${g & 255}.3`;
    out.userSweeps.push(c);
    emit(c, ['alice', 'bob', 'carol', 'dave', 'erin']);
    const d = `10.${g >> 8}.${g & 255}.4`;
    out.userNearMisses.push(d);
    emit(d, ['alice', 'bob', 'carol', 'dave', 'alice', 'bob']);
  }
  return out;
}

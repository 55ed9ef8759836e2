/**
 * Which rules a host-partitioned detector node can run exactly (stage 1), and which need every
 * host's matches in one place (stage 2: correlations whose group-by is not the host).
 *
 * Stage 1: every non-correlation rule (per-event rules; EQL sequences/samples/joins, which spoor
 * evaluates per host), and Sigma correlations grouped by a host field for every base rule — all
 * of a group's events live in one partition, so the partition's window is the whole window.
 * Stage 2: Sigma correlations grouped by anything else (source IP across hosts, target user…).
 * Running those per host partition would split a group's count over nodes (Wazuh's bug,
 * wazuh/wazuh#34181). Instead the host-partition workers match their base rules and forward the
 * matching events by group key (corr.ts) to group-key partitions, where one worker runs the
 * correlation (docs/scale-out.md "Stages"). A correlation whose base rules are not single-event
 * rules cannot be matched per event and is refused with the reason.
 */
import type { Rule, Expr } from '../ir/types.js';
import { stage2Refusal } from './corr.js';

/** Field paths that identify the host (data: extend here). */
export const HOST_FIELDS: readonly string[] = ['host.name', 'host.hostname', 'host.id', 'agent.hostname', 'computer', 'computer_name', 'computername', 'hostname', 'system.computer', 'event.system.computer'];

function isHostField(e: Expr): boolean {
  if (e.kind !== 'field') return false;
  const path = e.path.map(String).join('.').toLowerCase();
  return HOST_FIELDS.includes(path);
}

export type Stage = 1 | 2;

export function ruleStage(r: Rule): Stage {
  const q = r.query;
  if (q.kind !== 'correlation') return 1;
  if (q.groupBy.length === 0) return 2;
  return q.groupBy.every((keys) => keys.some(isHostField)) ? 1 : 2;
}

/** Split loaded rules: stage 1 (per host partition), stage 2 (per group-key partition), refused (with the reason). */
export function splitStages(rules: Rule[]): { stage1: Rule[]; stage2: Rule[]; refused: { rule: Rule; reason: string }[] } {
  const stage1: Rule[] = [];
  const stage2: Rule[] = [];
  const refused: { rule: Rule; reason: string }[] = [];
  for (const r of rules) {
    if (ruleStage(r) === 1) {
      stage1.push(r);
      continue;
    }
    const why = stage2Refusal(r);
    if (why) refused.push({ rule: r, reason: `correlation not grouped by host needs the cross-host stage 2, but ${why}; run it on a single-node serve` });
    else stage2.push(r);
  }
  return { stage1, stage2, refused };
}

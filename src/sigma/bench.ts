/**
 * Sigma benchmark: load and compile a Sigma rule directory, then run every rule over EVTX files,
 * each event handed only to the rules its EventID gate admits (as `spoor hunt` dispatches).
 *
 *   node dist/src/sigma/bench.js [RULES_DIR] [EVTX_DIR]
 *   (defaults: ../shared/conformance/sigma/rules/windows and ../shared/datasets/evtx-attack-samples)
 */


import { pathToFileURL } from 'node:url';
import type { Event } from '../events/field.js';
import type { Rule } from '../ir/types.js';
import { compileQuery, type QueryRunner } from '../engine/index.js';
import { eventTime, toNative } from '../normalize/index.js';
import { readEvtxFile } from '../sources/evtx/index.js';
import { loadSigmaDir } from './index.js';
import { listFiles } from '../sources/list-files.js';

/** Compiled rules indexed by the EventIDs their logsource admits, as `spoor hunt` dispatches them. */
export function indexByEventId(rules: Rule[], compiled: QueryRunner[]): { byEventId: Map<number, QueryRunner[]>; ungated: QueryRunner[] } {
  const byEventId = new Map<number, QueryRunner[]>();
  const ungated: QueryRunner[] = [];
  rules.forEach((r, i) => {
    const ids = r.gate?.eventIds;
    if (!ids || ids.length === 0) ungated.push(compiled[i]!);
    else for (const id of ids) byEventId.set(id, [...(byEventId.get(id) ?? []), compiled[i]!]);
  });
  return { byEventId, ungated };
}

export async function benchSigma(rulesDir: string, evtxDir: string): Promise<Record<string, number>> {
  let t = performance.now();
  const { rules, problems } = await loadSigmaDir(rulesDir);
  const loadMs = performance.now() - t;
  t = performance.now();
  const compiled = rules.map((r) => compileQuery(r.query, { timestamp: eventTime }));
  const compileMs = performance.now() - t;

  const { byEventId, ungated } = indexByEventId(rules, compiled);

  const events: Event[] = [];
  for (const f of listFiles(evtxDir, '.evtx')) for await (const b of readEvtxFile(f, () => {})) for (const se of b) events.push(toNative(se.event));

  t = performance.now();
  let ruleTests = 0;
  let matches = 0;
  for (const ev of events) {
    const gated = byEventId.get(Number(ev.EventID)) ?? [];
    for (const list of [gated, ungated]) {
      for (const run of list) {
        ruleTests++;
        run.push(ev);
        matches += run.drain().length;
      }
    }
  }
  for (const run of compiled) matches += run.end().length;
  const matchMs = performance.now() - t;
  return {
    rules: rules.length,
    problems: problems.length,
    loadMs: Math.round(loadMs),
    compileMs: Math.round(compileMs),
    events: events.length,
    matchMs: Math.round(matchMs),
    ruleTests,
    ruleTestsPerSecond: Math.round((ruleTests / matchMs) * 1000),
    eventsPerSecond: Math.round((events.length / matchMs) * 1000),
    matches,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [rulesDir = '../shared/conformance/sigma/rules/windows', evtxDir = '../shared/datasets/evtx-attack-samples'] = process.argv.slice(2);
  console.log(await benchSigma(rulesDir, evtxDir));
}

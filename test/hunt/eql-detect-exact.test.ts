/**
 * The detector's shortcuts with Elastic's EQL pack give exactly the matches of running every rule,
 * every stage, on every event: stages selected by the multi-rule matcher (hunt/eql-match.ts) and
 * keyed by a field value (event.type, event.action, event.code), only the selected stages of a
 * sequence evaluated, alert identities remembered per event. The reference feeds each rule's own
 * compiled query every event of its flavours, on generated Elastic Defend events and real EVTX
 * records (time-ordered together).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listFiles } from '../../src/sources/list-files.js';
import { loadRulePack } from '../../src/rules/index.js';
import { generateEvents } from '../../src/demo/generate.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';
import { detectFlavour, eventTime, toEcs } from '../../src/normalize/index.js';
import { markIfNested, type Event } from '../../src/events/field.js';
import { compareInstants, type Instant } from '../../src/events/timestamp.js';
import { compileQuery, type EngineOptions } from '../../src/engine/index.js';
import { CompiledRuleSet, Detector } from '../../src/hunt/detector.js';
import { EcsRuleMatcher } from '../../src/hunt/eql-match.js';
import { sharedOrSkip } from '../helpers/shared.js';

test("Elastic's pack: the detector's selected stages give the matches of evaluating every rule on every event", async (t) => {
  const repo = sharedOrSkip(t, 'reference/elastic-detection-rules/repo');
  const samples = sharedOrSkip(t, 'datasets/evtx-attack-samples');
  if (!repo || !samples) return;
  const pack = loadRulePack([join(repo, 'rules'), join(repo, 'rules_building_block')], { builtin: false, buildingBlocks: true });
  const rules = pack.rules.filter((r) => EcsRuleMatcher.accepts(r) && r.meta?.deprecated !== true && (r.tags ?? []).some((x) => x === 'OS: Windows'));
  assert.ok(rules.length > 400, `${rules.length} Windows EQL rules`);

  const raw: Event[] = [...generateEvents({ events: 3000, hosts: 20, seed: 5 }).events] as Event[];
  const files = listFiles(samples, '.evtx');
  for (const f of files.slice(0, 60)) for await (const batch of readEvtxFile(f, () => {})) for (const se of batch) raw.push(se.event);
  const timed = raw.map((ev, i) => ({ ev, i, t: eventTime(structuredClone(ev)) })).filter((x): x is typeof x & { t: Instant } => x.t !== null);
  timed.sort((a, b) => compareInstants(a.t, b.t) || a.i - b.i);

  // The detector, as a hunt runs it (matches named by rule and the input positions of their events).
  const got = new Set<string>();
  const det = new Detector(new CompiledRuleSet(rules), { contextEvents: 0 });
  const take = (): void => {
    for (const a of det.takeAlerts()) got.add(`${a.ruleId} ${a.events.map((e) => e.position).join(',')}`);
  };
  timed.forEach((x, pos) => {
    const ev = structuredClone(x.ev);
    det.push({ event: ev, file: 'mixed', position: pos }, eventTime(ev)!, false);
    take();
  });
  for (const a of det.end()) got.add(`${a.ruleId} ${a.events.map((e) => e.position).join(',')}`);
  assert.deepEqual(det.problems, []);

  // The reference: every rule gets every event of its flavours, every stage evaluated.
  const want = new Set<string>();
  const views = timed.map((x) => {
    const ev = structuredClone(x.ev);
    eventTime(ev);
    const ecs = toEcs(ev);
    markIfNested(ecs);
    return { ecs, flavour: detectFlavour(ev), t: x.t };
  });
  const pos = new Map<Event, number>(views.map((v, i) => [v.ecs, i]));
  const timeOf = new Map<Event, Instant>(views.map((v) => [v.ecs, v.t]));
  for (const rule of rules) {
    const opts: EngineOptions = { dialect: 'elasticsearch', timestamp: (ev) => timeOf.get(ev) ?? null };
    if (typeof rule.meta?.categoryField === 'string') opts.category = rule.meta.categoryField.split('.');
    const run = compileQuery(rule.query, opts);
    const flavours = rule.gate?.flavours ? new Set<string>(rule.gate.flavours) : null;
    const add = (ms: { events: Event[] }[]): void => {
      for (const m of ms) if (m.events.length > 0) want.add(`${rule.id} ${m.events.map((e) => pos.get(e)).join(',')}`);
    };
    for (const v of views) {
      if (flavours && !flavours.has(v.flavour)) continue;
      run.push(v.ecs);
      add(run.drain());
    }
    add(run.end());
  }
  assert.ok(want.size > 50, `${want.size} matches to compare`);
  const missing = [...want].filter((k) => !got.has(k));
  const extra = [...got].filter((k) => !want.has(k));
  assert.deepEqual({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }, { missing: [], extra: [] });
  t.diagnostic(`${views.length} events, ${rules.length} rules, ${want.size} matches, equal`);
});

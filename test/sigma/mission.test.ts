/**
 * The mission rule in Sigma (rules/sigma/remote_execution_file_share.yml) on the ground-truth files:
 * P1 alerts exactly once (host 04246w-win10.threebeesco.com, C:\Windows\PSEXESVC.exe); N1 and N2 never.
 * Events come from spoor's EVTX reader and the native view, as in a hunt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigmaDir } from '../../src/sigma/index.js';
import { compileQuery, type Match } from '../../src/engine/index.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';
import { readInputs } from '../../src/sources/index.js';
import type { Instant } from '../../src/events/timestamp.js';
import { eventTime, toNative } from '../../src/normalize/index.js';
import type { Event } from '../../src/events/field.js';
import type { Rule } from '../../src/ir/types.js';
import { repoRoot, sharedOrSkip } from '../helpers/shared.js';

/** Time of each native view, taken from its raw event (as the hunt runner tags them). */
const timeOf = new WeakMap<Event, Instant | null>();

async function nativeEvents(path: string): Promise<Event[]> {
  const out: Event[] = [];
  const read = path.endsWith('.evtx') ? readEvtxFile(path, () => {}) : readInputs([path], () => {});
  for await (const batch of read) {
    for (const se of batch) {
      const native = toNative(se.event);
      timeOf.set(native, eventTime(se.event));
      out.push(native);
    }
  }
  out.sort((a, b) => {
    const ta = timeOf.get(a);
    const tb = timeOf.get(b);
    return ta && tb ? ta.ms - tb.ms || ta.ns - tb.ns : 0;
  });
  return out;
}

function run(rule: Rule, events: Event[]): Match[] {
  const runner = compileQuery(rule.query, { timestamp: (ev) => timeOf.get(ev) ?? null });
  const out: Match[] = [];
  for (const ev of events) {
    runner.push(ev);
    out.push(...runner.drain());
  }
  out.push(...runner.end());
  return out;
}

async function missionRule(): Promise<Rule> {
  const loaded = await loadSigmaDir(join(repoRoot, 'rules', 'sigma'));
  assert.deepEqual(loaded.problems, []);
  const rule = loaded.rules.find((r) => r.id === '93820dc7-8c6d-4fb9-9558-ad0f09a2d1b8');
  assert.ok(rule, 'the correlation rule loads');
  // The base rules run inside the correlation only (generate: false): they are not standalone rules.
  assert.equal(loaded.rules.some((r) => r.id === 'd3f84ab4-827f-4484-b351-e46e061f69e4'), false);
  assert.deepEqual(rule.mitre, ['TA0008', 'T1021.002', 'T1570']);
  assert.equal(rule.severity, 'high');
  assert.deepEqual(rule.gate, { eventIds: [11, 1, 4688], channels: ['Microsoft-Windows-Sysmon/Operational', 'Security'] });
  return rule;
}

const LM = ['datasets', 'evtx-attack-samples', 'Lateral Movement'];

test('P1: one alert, host 04246w-win10.threebeesco.com, C:\\Windows\\PSEXESVC.exe', async (t) => {
  const file = sharedOrSkip(t, ...LM, 'remote_file_copy_system_proc_file_write_sysmon_11.evtx');
  if (!file) return;
  const rule = await missionRule();
  const matches = run(rule, await nativeEvents(file));
  assert.equal(matches.length, 1);
  const [m] = matches;
  assert.deepEqual(m!.keys, ['04246w-win10.threebeesco.com', 'C:\\Windows\\PSEXESVC.exe']);
  assert.deepEqual(
    m!.events.map((e) => [e.EventID, e.EventRecordID]),
    [
      [11, 263572],
      [1, 263573],
    ],
  );
});

test('N1 and N2: no alert', async (t) => {
  const n1 = sharedOrSkip(t, ...LM, 'smbmap_upload_exec_sysmon.evtx');
  const n2 = sharedOrSkip(t, ...LM, 'lateral_movement_startup_3_11.evtx');
  if (!n1 || !n2) return;
  const rule = await missionRule();
  assert.equal(run(rule, await nativeEvents(n1)).length, 0);
  assert.equal(run(rule, await nativeEvents(n2)).length, 0);
});

test('D1 (P1 as Elastic Defend and Winlogbeat ECS): one alert each; N3/N4 ECS negatives: none', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'ecs-derived');
  if (!dir) return;
  const rule = await missionRule();
  for (const flavour of ['defend', 'winlogbeat']) {
    const m = run(rule, await nativeEvents(join(dir, `POS_psexesvc_remote_copy.${flavour}.ndjson`)));
    assert.equal(m.length, 1, flavour);
    assert.equal(m[0]!.keys![1], 'C:\\Windows\\PSEXESVC.exe');
    for (const neg of ['NEG_local_psexec_writer_not_pid4', 'NEG_covenant_copy_smb_write_no_exec', 'NEG_smbmap_dll_upload_rundll32', 'NEG_startup_folder_write_no_exec']) {
      assert.equal(run(rule, await nativeEvents(join(dir, `${neg}.${flavour}.ndjson`))).length, 0, `${neg}.${flavour}`);
    }
  }
});

test('every other EVTX-ATTACK-SAMPLES and DeepBlueCLI file (N7 included): no alert', async (t) => {
  const root = sharedOrSkip(t, 'datasets', 'evtx-attack-samples');
  const deepblue = sharedOrSkip(t, 'datasets', 'deepbluecli');
  if (!root || !deepblue) return;
  const rule = await missionRule();
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.evtx') && !name.startsWith('remote_file_copy_system_proc_file_write')) files.push(p);
    }
  };
  walk(root);
  walk(deepblue);
  const alerted: string[] = [];
  for (const f of files) if (run(rule, await nativeEvents(f)).length > 0) alerted.push(f);
  console.log(`mission rule (Sigma) on ${files.length} other EVTX files: ${alerted.length} alerting`);
  assert.deepEqual(alerted, []);
});

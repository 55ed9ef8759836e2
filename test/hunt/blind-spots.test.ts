/** Blind spots in the hunt summary (src/hunt/blind-spots.ts, telemetry.ts): per rule stage, per host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHunt } from '../../src/hunt/run.js';
import { formatSummary } from '../../src/output/summary.js';
import { ndjson, sysmon1, sysmon11, share5145, process4688 } from '../shares/fixtures.js';
import { runCli } from '../cli/run-cli.js';

const A = 'WS01.corp.example';
const B = 'WS02.corp.example';
const C = 'WS03.corp.example';

function logs(withShareAudit: boolean): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-blind-'));
  // A: Sysmon with file creation by System and process starts. B and C: process starts only
  // (their Sysmon config drops FileCreate by System).
  writeFileSync(join(dir, 'a.ndjson'), ndjson([
    sysmon11(A, '2024-03-05T10:00:00.000Z', 'C:\\Windows\\Temp\\update.txt'),
    sysmon1(A, '2024-03-05T10:00:01.000Z', 'C:\\Windows\\System32\\notepad.exe'),
  ]));
  writeFileSync(join(dir, 'b.ndjson'), ndjson([sysmon1(B, '2024-03-05T10:00:02.000Z', 'C:\\Windows\\System32\\cmd.exe')]));
  writeFileSync(join(dir, 'c.ndjson'), ndjson([
    sysmon1(C, '2024-03-05T10:00:03.000Z', 'C:\\Windows\\System32\\cmd.exe'),
    ...(withShareAudit ? [share5145(C, '2024-03-05T10:00:04.000Z', 'x.txt'), process4688(C, '2024-03-05T10:00:05.000Z', 'C:\\Windows\\x.exe')] : []),
  ]));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

for (const workers of [0, 2]) {
  test(`blind spots per rule stage and host (workers ${workers})`, async () => {
    const f = logs(false);
    try {
      const r = await runHunt({ inputs: [f.dir], workers });
      const spots = r.summary.blindSpots ?? [];
      const get = (rule: string, stage: string) => spots.find((s) => s.ruleId === rule && s.stage === stage);
      const s1 = get('file-share-remote-exec', 'stage 1')!;
      assert.equal(s1.verdict, 'partial');
      assert.equal(s1.hosts, 3);
      assert.deepEqual(s1.hostsWithout, ['ws02.corp.example', 'ws03.corp.example']);
      assert.equal(s1.events, 1, 'a .txt written by System is still the telemetry the stage needs');
      assert.match(s1.message, /2 of 3 hosts sent none/);
      assert.match(s1.hint ?? '', /sysmon-check/);
      assert.equal(get('file-share-remote-exec', 'stage 2')!.verdict, 'present');
      const audit = get('file-share-remote-exec-security-audit', 'stage 1')!;
      assert.equal(audit.verdict, 'absent');
      assert.match(audit.message, /none at all/);
      assert.match(audit.hint ?? '', /Audit Detailed File Share/);
      const text = formatSummary(r.summary);
      assert.match(text, /telemetry .* rule stages lack telemetry/);
      assert.match(text, /file-share-remote-exec stage 1 needs file where .*process\.pid == 4.*: 2 of 3 hosts sent none/);
    } finally {
      f.done();
    }
  });
}

test('blind spots: share auditing on one host turns "absent" into "partial"; --summary-json carries them', async () => {
  const f = logs(true);
  try {
    const out = join(f.dir, 'summary.json');
    const run = await runCli(['hunt', f.dir, '--summary-json', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /file-share-remote-exec-security-audit stage 1 needs any where event\.code : "5145": 2 of 3 hosts sent none/);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as { blindSpots: { ruleId: string; stage: string; verdict: string; hostsWithout: string[] }[] };
    const audit = summary.blindSpots.find((s) => s.ruleId === 'file-share-remote-exec-security-audit' && s.stage === 'stage 1')!;
    assert.equal(audit.verdict, 'partial');
    assert.deepEqual(audit.hostsWithout, ['ws01.corp.example', 'ws02.corp.example']);
  } finally {
    f.done();
  }
});

for (const workers of [0, 2]) {
  test(`blind spots name a host keyed by host.id by the host name seen with that id elsewhere (workers ${workers})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spoor-blind-names-'));
    try {
      const id = '010a0892-04b5-475a-a4ba-d65acf330928';
      // Defend events of one host: the first carries only host.id, a later one also host.name.
      const ev = (t: string, name?: string): Record<string, unknown> => ({
        '@timestamp': t,
        host: { id, ...(name ? { name } : {}) },
        event: { category: ['process'], type: ['start'], kind: 'event' },
        process: { pid: 100, executable: 'C:\\Windows\\System32\\cmd.exe', name: 'cmd.exe' },
      });
      const other = { '@timestamp': '2024-03-05T10:00:00.000Z', host: { id: 'ws-other', name: 'ws-other' }, event: { category: ['file'], type: ['creation'], kind: 'event' }, process: { pid: 4, name: 'System' }, file: { path: 'C:\\Windows\\x.txt' } };
      writeFileSync(join(dir, 'a.ndjson'), [ev('2024-03-05T10:00:01.000Z'), other, ev('2024-03-05T10:00:02.000Z', 'WS-0006')].map((e) => JSON.stringify(e)).join('\n') + '\n');
      const r = await runHunt({ inputs: [dir], workers, prefilter: false });
      const s1 = r.summary.blindSpots!.find((s) => s.ruleId === 'file-share-remote-exec' && s.stage === 'stage 1')!;
      assert.deepEqual(s1.hostsWithout, ['WS-0006']);
      assert.match(s1.message, /1 of 2 hosts sent none \(WS-0006\)/);
      assert.doesNotMatch(s1.message, /010a0892/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the blind-spot tally's memo (per categories and telemetry-field values) counts exactly what testing every need does", async (t) => {
  const { sharedOrSkip } = await import('../helpers/shared.js');
  const { loadRulePack } = await import('../../src/rules/index.js');
  const { CompiledNeeds, TelemetryTally } = await import('../../src/hunt/telemetry.js');
  const { generateEvents } = await import('../../src/demo/generate.js');
  const { readEvtxFile } = await import('../../src/sources/evtx/index.js');
  const { toEcs, toNative, eventHost } = await import('../../src/normalize/index.js');
  const { markIfNested } = await import('../../src/events/field.js');
  const repo = sharedOrSkip(t, 'reference/elastic-detection-rules/repo');
  const samples = sharedOrSkip(t, 'datasets/evtx-attack-samples');
  if (!repo || !samples) return;
  const pack = loadRulePack([join(repo, 'rules', 'windows'), join(repo, 'rules', 'cross-platform')], { buildingBlocks: true });
  const needs = new CompiledNeeds(pack.rules);
  assert.ok(needs.keyed, 'the pack needs only telemetry fields');
  const memo = new TelemetryTally(needs);
  const naive = new TelemetryTally(needs, { memo: false });
  const raws: Record<string, unknown>[] = [...generateEvents({ events: 3000, hosts: 30, seed: 9 }).events] as Record<string, unknown>[];
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(samples, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.evtx')).sort().slice(0, 30);
  for (const f of files) for await (const batch of readEvtxFile(join(samples, f), () => {})) for (const se of batch) raws.push(se.event);
  // Values the memo keys by whether they can equal a rule's (PID 4, `System`): case, non-ASCII
  // texts whose lower case differs (İ, K), numbers written as texts.
  const files0 = raws.filter((r) => JSON.stringify((r.event as { category?: unknown } | undefined)?.category) === '["file"]').slice(0, 12);
  const names = ['System', 'SYSTEM', 'system.exe', 'İSYSTEM', 'ſystem', 'Ksystem', 'sys', 'notepad.exe'];
  const pids: unknown[] = [4, '4', 4.0, '04', 44, Number.NaN, 4n, null];
  files0.forEach((r, i) => {
    for (let j = 0; j < names.length; j++) {
      const copy = structuredClone(r) as { process?: Record<string, unknown> };
      copy.process = { ...(copy.process ?? {}), name: names[(i + j) % names.length], pid: pids[j % pids.length] };
      raws.push(copy as Record<string, unknown>);
    }
  });
  for (const raw of raws) {
    const ecs = toEcs(raw);
    markIfNested(ecs);
    const c = (ecs.event as { category?: unknown } | undefined)?.category;
    const cats = typeof c === 'string' ? [c] : Array.isArray(c) ? (c as string[]) : [];
    for (const tally of [memo, naive]) tally.observe(ecs, cats, () => toNative(raw), eventHost(raw));
  }
  const a = memo.counts();
  const b = naive.counts();
  assert.deepEqual(a, b);
  const met = a.groups.reduce((n, g) => n + Object.values(g.byHost).reduce((x, y) => x + y, 0), 0);
  assert.ok(met > 1000, `${met} need hits over ${raws.length} events`);
});

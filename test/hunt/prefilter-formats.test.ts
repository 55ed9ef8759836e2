/**
 * The prefilter is sound on every JSON format spoor reads, not only Elastic Defend NDJSON: the
 * generated fleet is written as Elasticsearch hits, Winlogbeat/Agent ECS, evtx_dump JSONL and flat
 * nxlog JSON (demo/formats.ts), each also rewritten the ways other writers write it (spaces, keys
 * reordered, pids as hex text, EventIDs as text or evtx_dump's Qualifiers object, pids missing).
 * Every line a filter rejects is parsed and run through every rule stage; and a hunt with the
 * prefilter gives the same alerts as one without, for each format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { matcher, stageQueries, wronglySkipped } from '../helpers/prefilter-check.js';
import { keepLine, ruleLineFilters } from '../../src/hunt/prefilter.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { runHunt } from '../../src/hunt/run.js';
import { writeNdjson } from '../../src/demo/generate.js';
import type { DemoFormat } from '../../src/demo/formats.js';

const FORMATS: DemoFormat[] = ['es-hits', 'winlogbeat', 'evtx-json', 'nxlog'];

function reorder(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse().map(([k, x]) => [k, reorder(x)]));
}

/** Each line as other writers of its format would write it. */
function rewrites(line: string): string[] {
  const doc = JSON.parse(line) as unknown;
  const out = [JSON.stringify(doc, null, 1).replace(/\n */g, ' '), JSON.stringify(reorder(doc))];
  out.push(line.replace(/"(\w*Process[Ii]d)":"?(\d+)"?/g, (_m, k: string, n: string) => `"${k}":"0x${Number(n).toString(16)}"`));
  out.push(line.replace(/"(\w*Process[Ii]d)":"?\d+"?,?/g, ''));
  out.push(line.replace(/"EventID":(\d+)/g, '"EventID":"$1"'));
  out.push(line.replace(/"EventID":(\d+)/g, '"EventID":{"#attributes":{"Qualifiers":0},"#text":$1}'));
  return out;
}

async function fleet(dir: string, format: DemoFormat, events: number, seed: number): Promise<string> {
  const file = join(dir, `${format}.ndjson`);
  await writeNdjson({ events, hosts: 12, seed, format }, file);
  return file;
}

test('the prefilter skips no line of any generated format that a rule or the writer context takes', async () => {
  const dir = tempDir('spoor-formats-');
  const pack = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: true });
  const filters = ruleLineFilters(pack.rules, 0);
  assert.ok(filters);
  for (const format of FORMATS) {
    const lines = readFileSync(await fleet(dir, format, 1_500, 11), 'utf8').split('\n').filter((l) => l.length > 0);
    const all = [...lines, ...lines.flatMap(rewrites)];
    const main = wronglySkipped(filters.main(), all, stageQueries(pack.rules, false).map(matcher), true);
    assert.deepEqual(main.bad.slice(0, 2), [], `${format}: ${main.bad.length} lines skipped by the main filter would match`);
    const overlap = wronglySkipped(filters.overlap(), all, stageQueries(pack.rules, true).map(matcher), false);
    assert.deepEqual(overlap.bad.slice(0, 2), [], `${format}: ${overlap.bad.length} lines skipped by the overlap filter would match`);
    // Not vacuous: most lines of every format are skipped.
    assert.ok(main.skipped > all.length / 2, `${format}: main filter skipped ${main.skipped} of ${all.length}`);
  }
});

test('hunts give the same alerts with and without the prefilter in every format; Windows formats agree', async () => {
  const dir = tempDir('spoor-formats-');
  const byFormat = new Map<string, string[]>();
  for (const format of ['defend', ...FORMATS] as DemoFormat[]) {
    const file = await fleet(dir, format, 3_000, 3);
    const on = await runHunt({ inputs: [file], workers: 0 });
    const off = await runHunt({ inputs: [file], workers: 0, prefilter: false });
    const ids = (r: typeof on): string[] => r.alerts.map((a) => `${a.ruleId} ${a.host.split(".")[0]} ${a.filePath ?? ''}`).sort();
    assert.deepEqual(ids(on), ids(off), format);
    assert.ok((on.summary.prefiltered ?? 0) > on.summary.events / 2, `${format}: prefiltered ${on.summary.prefiltered} of ${on.summary.events}`);
    assert.equal(on.summary.events, off.summary.events, `${format}: every line counted`);
    assert.ok(on.alerts.length >= 2, `${format}: the planted attacks are found (${on.alerts.length})`);
    byFormat.set(format, ids(on));
  }
  assert.deepEqual(byFormat.get('es-hits'), byFormat.get('defend'), 'Elasticsearch hits hold the Defend documents');
  assert.deepEqual(byFormat.get('evtx-json'), byFormat.get('nxlog'), 'evtx_dump and nxlog hold the same records');
  assert.deepEqual(byFormat.get('winlogbeat'), byFormat.get('nxlog'), 'Winlogbeat and nxlog hold the same records');
});

test('Windows records are never skipped when their raw fields can meet a stage', () => {
  const want = new Set(['file']);
  // Through ProcessId → int:process.pid: decimal, hex text, a number; and a pid too big to read here.
  const sysmon11 = (pid: string, name: string): string =>
    `{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"h","ProcessId":${pid},"Image":"${name}","TargetFilename":"C:\\\\Windows\\\\x.exe"}`;
  const pack = loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  return pack.then((p) => {
    const f = ruleLineFilters(p.rules, 0)!.main();
    const keeps = (line: string): boolean => keepWith(f, line);
    assert.equal(keeps(sysmon11('"4"', 'System')), true, 'pid 4 as text');
    assert.equal(keeps(sysmon11('"0x4"', 'C:\\\\x.exe')), true, 'pid 4 as hex text');
    assert.equal(keeps(sysmon11('4', 'C:\\\\x.exe')), true, 'pid 4 as a number');
    assert.equal(keeps(sysmon11('"2128"', 'System')), true, 'no pid 4, but the image is System');
    assert.equal(keeps(sysmon11('"2128"', 'C:\\\\x.exe')), false, 'neither: skipped');
    assert.equal(keeps(sysmon11('12345678901234567890', 'C:\\\\x.exe')), true, 'a pid the text test cannot read');
    assert.equal(keeps(sysmon11('"\\u0034"', 'C:\\\\x.exe')), true, 'an escaped pid');
    // evtx_dump's "System" key is not a process name.
    const evtx = (pid: number): string =>
      `{"Event":{"System":{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h"},"EventData":{"ProcessId":${pid},"Image":"C:\\\\y.exe","TargetFilename":"C:\\\\Windows\\\\x.exe"}}}`;
    assert.equal(keeps(evtx(4)), true);
    assert.equal(keeps(evtx(5)), false);
    // A category some stage wants only through the table row (Security 4688 → process start).
    assert.equal(keepLine('{"EventID":4688,"Channel":"Security","Hostname":"h"}', new Set(['process'])), true);
    assert.equal(keepLine('{"EventID":4688,"Channel":"Security","Hostname":"h"}', want), false);
  });
});

function keepWith(f: { needles: readonly string[]; keep: (line: string, found: number) => number }, line: string): boolean {
  let found = 0;
  f.needles.forEach((n, k) => {
    if (line.includes(n)) found |= 1 << k;
  });
  return f.keep(line, found) !== 0;
}

test('demo formats: every line parses, and the 64-bit Keywords of nxlog stay exact', async () => {
  const dir = tempDir('spoor-formats-');
  const file = await fleet(dir, 'nxlog', 200, 1);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /"Keywords":-9223372036854775808,/);
  const { parseJsonExact } = await import('../../src/events/json.js');
  const first = parseJsonExact(text.split('\n')[0]!) as Record<string, unknown>;
  assert.equal(first['Keywords'], -9223372036854775808n);
});

test('process starts of every format wait for the join gate (Winlogbeat, hits, evtx_dump, nxlog); stripped of ECS fields, starts still join', async () => {
  const dir = tempDir('spoor-formats-');
  const ids = (r: Awaited<ReturnType<typeof runHunt>>): string[] => r.alerts.map((a) => `${a.ruleId} ${a.host.split('.')[0]} ${a.filePath ?? ''}`).sort();
  for (const format of ['winlogbeat', 'es-hits', 'evtx-json', 'nxlog'] as DemoFormat[]) {
    const file = await fleet(dir, format, 3_000, 5);
    const on = await runHunt({ inputs: [file], workers: 0 });
    const off = await runHunt({ inputs: [file], workers: 0, prefilter: false });
    assert.deepEqual(ids(on), ids(off), format);
    assert.ok(on.alerts.length >= 2, `${format}: the planted attacks are found (${on.alerts.length})`);
    // Process starts (~14% of lines) are deferred and most never parsed: before, 85.7% were prefiltered.
    assert.ok((on.summary.prefiltered ?? 0) > on.summary.events * 0.95, `${format}: prefiltered ${on.summary.prefiltered} of ${on.summary.events}`);
    if (format !== 'winlogbeat') continue;
    // Winlogbeat without its ingest pipeline: process starts carry only winlog.event_data.Image.
    const stripped = join(dir, 'winlogbeat-raw.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => {
      const doc = JSON.parse(l) as { winlog?: { event_id?: string }; process?: unknown };
      if (doc.winlog?.event_id === '1' || doc.winlog?.event_id === '4688') delete doc.process;
      return JSON.stringify(doc);
    });
    writeFileSync(stripped, lines.join('\n') + '\n');
    const rawOn = await runHunt({ inputs: [stripped], workers: 0 });
    const rawOff = await runHunt({ inputs: [stripped], workers: 0, prefilter: false });
    assert.deepEqual(ids(rawOn), ids(rawOff), 'Winlogbeat without process.*');
    assert.deepEqual(ids(rawOn), ids(on), 'the same attacks found from the raw Image');
    assert.ok((rawOn.summary.prefiltered ?? 0) > rawOn.summary.events * 0.95, `raw: prefiltered ${rawOn.summary.prefiltered} of ${rawOn.summary.events}`);
  }
});

test('a Winlogbeat process start whose Image is a path System wrote over a share is found; other starts are not parsed', async () => {
  const dir = tempDir('spoor-formats-');
  const host = 'ws-9.corp.example.com';
  const line = (time: string, id: string, category: string, type: string, data: Record<string, string>): string =>
    JSON.stringify({
      '@timestamp': time,
      host: { name: host },
      event: { kind: 'event', code: id, module: 'sysmon', category: [category], type: [type] },
      winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', computer_name: host, event_id: id, provider_name: 'Microsoft-Windows-Sysmon', record_id: time.slice(-7, -1), event_data: data },
    });
  const write = line('2026-03-02T08:00:00.000Z', '11', 'file', 'creation', { ProcessId: '4', Image: 'System', TargetFilename: 'C:\\Windows\\Temp\\payload.exe' });
  const decoys = [1, 2, 3].map((i) => line(`2026-03-02T08:00:0${i}.000Z`, '1', 'process', 'start', { ProcessId: String(3000 + i), Image: `C:\\Windows\\System32\\other${i}.exe` }));
  const start = line('2026-03-02T08:00:05.000Z', '1', 'process', 'start', { ProcessId: '4242', Image: 'C:\\Windows\\Temp\\payload.exe' });
  const file = join(dir, 'share.ndjson');
  writeFileSync(file, [write, ...decoys, start].join('\n') + '\n');
  const on = await runHunt({ inputs: [file], workers: 0 });
  const off = await runHunt({ inputs: [file], workers: 0, prefilter: false });
  const found = (r: typeof on): string[] => r.alerts.filter((a) => a.ruleId.includes('file-share')).map((a) => a.filePath ?? '').sort();
  assert.deepEqual(found(off), ['C:\\Windows\\Temp\\payload.exe'], 'the sequence matches without the prefilter');
  assert.deepEqual(found(on), found(off), 'and with it');
  assert.equal(on.summary.prefiltered, 3, 'the three unrelated starts are deferred and never parsed');
});

test('evtx_dump and flat process starts are timed exactly while unparsed; only the host and path System wrote are parsed', async () => {
  const dir = tempDir('spoor-formats-');
  const host = 'WS-9.corp.example.com';
  const other = 'WS-8.corp.example.com';
  const payload = 'C:\\Windows\\Temp\\payload.exe';
  // Sysmon times come from UtcTime (the table's time field), not from the envelope's other times.
  const evtx = (computer: string, utc: string, id: number, data: Record<string, string | number>): string =>
    JSON.stringify({
      Event: {
        System: { Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } }, EventID: id, TimeCreated: { '#attributes': { SystemTime: '2020-01-01T00:00:00.000000Z' } }, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: computer },
        EventData: { UtcTime: utc, ...data },
      },
    });
  const flat = (computer: string, utc: string, id: number, data: Record<string, string | number>): string =>
    JSON.stringify({ '@timestamp': '2020-01-01T00:00:00.000Z', EventTime: '2020-01-01 00:00:00', Hostname: computer, EventID: id, SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', UtcTime: utc, ...data });
  for (const [shape, line] of [['evtx', evtx], ['flat', flat]] as const) {
    const write = line(host, '2026-03-02 08:00:00.000', 11, { ProcessId: 4, Image: 'System', TargetFilename: payload });
    // Same path on another host, other paths on the same host, one start after the rule's minute.
    const decoys = [
      line(other, '2026-03-02 08:00:01.000', 1, { ProcessId: 3001, Image: payload }),
      line(host, '2026-03-02 08:00:02.000', 1, { ProcessId: 3002, Image: 'C:\\Windows\\System32\\other.exe' }),
    ];
    const start = line(host, '2026-03-02 08:00:05.000', 1, { ProcessId: 4242, Image: payload });
    const late = line(host, '2026-03-02 08:01:30.000', 1, { ProcessId: 4243, Image: payload });
    const file = join(dir, `${shape}.ndjson`);
    // The late start comes first in the file: only its exact (UtcTime) time puts it after the write.
    writeFileSync(file, [late, write, ...decoys, start].join('\n') + '\n');
    const on = await runHunt({ inputs: [file], workers: 0 });
    const off = await runHunt({ inputs: [file], workers: 0, prefilter: false });
    const found = (r: typeof on): string[] => r.alerts.filter((a) => a.ruleId.startsWith('file-share-remote-exec')).map((a) => `${a.ruleId} ${a.lastTime}`).sort();
    assert.deepEqual(found(off), ['file-share-remote-exec 2026-03-02T08:00:05.000Z'], `${shape}: the sequence matches without the prefilter`);
    assert.deepEqual(found(on), found(off), `${shape}: and with it`);
    assert.equal(on.summary.prefiltered, 3, `${shape}: the other host's start, the other path and the late start are never parsed`);
    // The blind-spot tally still knows the other host (it sent process starts, left unparsed).
    const stage2 = on.summary.blindSpots?.find((b) => b.ruleId === 'file-share-remote-exec' && b.stage === 'stage 2');
    assert.equal(stage2?.hosts, 2, `${shape}: both hosts seen`);
    assert.equal(stage2?.verdict, 'present', `${shape}: both hosts sent process starts`);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedOrSkip } from '../helpers/shared.js';
import { compiled, runCli } from './run-cli.js';

const P1 = ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx'];
const D1 = ['datasets', 'ecs-derived', 'POS_psexesvc_remote_copy.defend.ndjson'];
const N3 = ['datasets', 'ecs-derived', 'NEG_local_psexec_writer_not_pid4.defend.ndjson'];

interface AlertJson {
  id: string;
  ruleId: string;
  ruleName: string;
  host: string;
  filePath?: string;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'spoor-cli-hunt-'));
}

test('hunt EVTX (P1): exit 1, the alert on stdout as a table, the summary with rule id and name on stderr', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const r = await runCli(['hunt', p1]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^TIME \(UTC\)\s+SEVERITY\s+RULE/m);
  assert.match(r.stdout, /file-share-remote-exec\s.*C:\\Windows\\PSEXESVC\.exe/);
  assert.match(r.stderr, /^Summary$/m);
  assert.match(r.stderr, /files read\s+1\b/);
  assert.match(r.stderr, /file-share-remote-exec\s+Remote Execution via File Shares – Creation by System\s+1$/m);
  assert.doesNotMatch(r.stdout, /Summary/, 'the summary goes to stderr only');
});

test('hunt --format json | ndjson | csv: machine-readable alerts, same alerts in each', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const [json, ndjson, csv] = await Promise.all(['json', 'ndjson', 'csv'].map((f) => runCli(['hunt', p1, '--format', f])));
  for (const r of [json, ndjson, csv]) assert.equal(r.code, 1, r.stderr);
  const fromJson = JSON.parse(json.stdout) as AlertJson[];
  assert.equal(fromJson.length, 1);
  assert.equal(fromJson[0]!.ruleId, 'file-share-remote-exec');
  assert.equal(fromJson[0]!.filePath, 'C:\\Windows\\PSEXESVC.exe');
  const lines = ndjson.stdout.trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as AlertJson).id), fromJson.map((a) => a.id));
  const rows = csv.stdout.trimEnd().split('\n');
  assert.match(rows[0]!, /^first_time,last_time,gap_ms,severity,/);
  assert.equal(rows.length, 2);
  assert.ok(rows[1]!.includes(`,${fromJson[0]!.id},`), rows[1]);
});

test('hunt --summary-json writes the run summary as JSON: counts, alerts per rule, what was skipped and why', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.ndjson'), '{"truncated": \n');
  const out = join(dir, 'summary.json');
  const r = await runCli(['hunt', p1, join(dir, 'bad.ndjson'), '--summary-json', out, '-q']);
  assert.equal(r.code, 1, r.stderr);
  const s = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  assert.equal(s.files, 2);
  assert.equal(s.events, 2);
  assert.equal(s.alerts, 1);
  assert.deepEqual(s.skipped, { 'malformed-json': 1 });
  assert.deepEqual(s.alertsByRule, { 'file-share-remote-exec': 1 });
  assert.deepEqual(s.ruleNames, { 'file-share-remote-exec': 'Remote Execution via File Shares – Creation by System' });
  assert.equal(typeof s.eventsPerSecond, 'number');
  const bad = await runCli(['hunt', p1, '--summary-json', join(dir, 'no-such-dir', 's.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--summary-json/);
});

test('hunt - reads stdin, and .gz files are decompressed', async (t) => {
  const d1 = sharedOrSkip(t, ...D1);
  if (!d1) return;
  const text = readFileSync(d1);
  const dir = tempDir();
  try {
    const gz = join(dir, 'd1.ndjson.gz');
    writeFileSync(gz, gzipSync(text));
    const [stdin, gzipped] = await Promise.all([
      runCli(['hunt', '-', '-f', 'ndjson'], { stdin: text }),
      runCli(['hunt', gz, '-f', 'ndjson']),
    ]);
    for (const r of [stdin, gzipped]) {
      assert.equal(r.code, 1, r.stderr);
      const alerts = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AlertJson);
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.ruleId, 'file-share-remote-exec');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hunt with no alert (N3: writer is not PID 4) exits 0; json output is an empty array', async (t) => {
  const n3 = sharedOrSkip(t, ...N3);
  if (!n3) return;
  const r = await runCli(['hunt', n3, '-f', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
  assert.match(r.stderr, /alerts\s+0/);
});

test('hunt a path that does not exist: exit 2, the path named, nothing on stdout', async () => {
  const r = await runCli(['hunt', 'no/such/dir-xyz']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no\/such\/dir-xyz: ENOENT/);
  assert.match(r.stderr, /nothing hunted/);
});

test('hunt an empty directory: exit 2 (nothing was hunted), not a silent "no alerts"', async () => {
  const dir = tempDir();
  try {
    const r = await runCli(['hunt', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing hunted: no readable log file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hunt a directory with junk files and a malformed line: each named with file (and line), the run goes on', async (t) => {
  const d1 = sharedOrSkip(t, ...D1);
  if (!d1) return;
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'sub'));
    copyFileSync(d1, join(dir, 'sub', 'good.ndjson'));
    writeFileSync(join(dir, 'notes.txt'), 'just some notes\n');
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 3, 255, 254]));
    const n3Text = readFileSync(N3Path(d1), 'utf8');
    writeFileSync(join(dir, 'broken.ndjson'), n3Text + '{"event": \n');
    const brokenLine = n3Text.split('\n').length;
    const r = await runCli(['hunt', dir, '-f', 'json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal((JSON.parse(r.stdout) as AlertJson[]).length, 1);
    assert.match(r.stderr, /notes\.txt: .*not JSON, XML or EVTX/);
    assert.match(r.stderr, new RegExp(`broken\\.ndjson:line ${brokenLine}: `));
    assert.match(r.stderr, /malformed-json\s+1/);
    assert.match(r.stderr, /unknown-format\s+2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** N3 sits beside D1. */
function N3Path(d1: string): string {
  return join(d1, '..', N3[N3.length - 1]!);
}

test('each input problem is printed once on stderr, naming stdin as -', async (t) => {
  const d1 = sharedOrSkip(t, ...D1);
  if (!d1) return;
  const r = await runCli(['hunt', '-'], { stdin: readFileSync(d1, 'utf8') + 'not json\n' });
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('spoor: -:line 3')).length, 1, r.stderr);
});

test('hunt -q prints no problem lines, only the counts', async (t) => {
  const d1 = sharedOrSkip(t, ...D1);
  if (!d1) return;
  const r = await runCli(['hunt', '-', '-q'], { stdin: readFileSync(d1, 'utf8') + 'not json\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /malformed-json\s+1/);
});

test('--exceptions and --exclude-rule remove the alert; an unknown rule id to exclude is an error', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const dir = tempDir();
  try {
    const exc = join(dir, 'tuning.yml');
    writeFileSync(exc, "rules:\n  file-share-remote-exec:\n    paths: ['?:\\Windows\\PSEXESVC.exe']\n");
    const [excepted, excluded, typo] = await Promise.all([
      runCli(['hunt', p1, '--exceptions', exc, '-f', 'json']),
      runCli(['hunt', p1, '--exclude-rule', 'file-share-remote-exec', '-f', 'json']),
      runCli(['hunt', p1, '--exclude-rule', 'no-such-rule', '-f', 'json']),
    ]);
    assert.equal(excepted.code, 0, excepted.stderr);
    assert.deepEqual(JSON.parse(excepted.stdout), []);
    assert.equal(excluded.code, 0, excluded.stderr);
    assert.deepEqual(JSON.parse(excluded.stdout), []);
    assert.match(excluded.stderr, /rules loaded\s+3/);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /no-such-rule/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments exit 2 before hunting, naming the option', async () => {
  const cases: [string[], RegExp][] = [
    [['hunt', '.', '--format', 'xml'], /unknown --format 'xml'/],
    [['hunt', '.', '-w', 'two'], /--workers takes a whole number/],
    [['hunt', '.', '--sigma', 'no/such/sigma'], /--sigma no\/such\/sigma: no such file or directory/],
    [['hunt', '.', '--exceptions', 'no/such.yml'], /--exceptions no\/such\.yml: no such file/],
    [['hunt', '.', '--report', 'no/such/dir/r.html'], /--report .*directory no\/such\/dir does not exist/],
    [['hunt', '.', '--bogus'], /unknown option '--bogus'/],
    [['hunt'], /missing required argument 'paths'/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  runs.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, cases[i]![1]);
    assert.doesNotMatch(r.stderr, /^Summary/m, 'no hunt was run');
  });
});

test('--report writes a self-contained HTML file', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const dir = tempDir();
  try {
    const report = join(dir, 'report.html');
    const r = await runCli(['hunt', p1, '--report', report]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /report: .*report\.html/);
    const html = readFileSync(report, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /PSEXESVC\.exe/);
    assert.doesNotMatch(html, /<script[^>]+src=/i, 'no external script');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-w 0 (main thread) and -w 2 (workers) find the same alerts', async (t) => {
  const dir = sharedOrSkip(t, 'datasets', 'ecs-derived');
  const p1 = sharedOrSkip(t, ...P1);
  if (!dir || !p1) return;
  if (!compiled) return t.skip('worker threads load dist/src/hunt/worker.js: run from dist (npm test)');
  const [w0, w2] = await Promise.all([runCli(['hunt', dir, p1, '-w', '0', '-f', 'json']), runCli(['hunt', dir, p1, '-w', '2', '-f', 'json'])]);
  assert.equal(w0.code, 1, w0.stderr);
  assert.equal(w2.code, 1, w2.stderr);
  const ids = (s: string): string[] => (JSON.parse(s) as AlertJson[]).map((a) => a.id).sort();
  assert.ok(ids(w0.stdout).length >= 1);
  assert.deepEqual(ids(w2.stdout), ids(w0.stdout));
});

test('--hunting loads the hunting-level rules too', async (t) => {
  const n3 = sharedOrSkip(t, ...N3);
  if (!n3) return;
  const [plain, hunting] = await Promise.all([runCli(['hunt', n3]), runCli(['hunt', n3, '--hunting'])]);
  const loaded = (s: string): number => Number(/rules loaded\s+(\d+)/.exec(s)?.[1]);
  assert.ok(loaded(hunting.stderr) > loaded(plain.stderr), `${loaded(hunting.stderr)} vs ${loaded(plain.stderr)}`);
});

test('--sigma: Sigma alerts are counted by id with the rule title beside it', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const r = await runCli(['hunt', p1, '--sigma', 'rules/sigma', '-f', 'ndjson']);
  assert.equal(r.code, 1, r.stderr);
  const alerts = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AlertJson);
  const sigma = alerts.find((a) => /^[0-9a-f]{8}-/.test(a.ruleId));
  assert.ok(sigma, 'the Sigma correlation rule fires on P1');
  assert.match(r.stderr, new RegExp(`${sigma.ruleId}\\s+${sigma.ruleName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+1$`, 'm'));
});

test('the summary counts events without a timestamp (processed, not dropped)', async () => {
  const lines = [
    '{"@timestamp":"2020-01-01T00:00:01Z","event":{"category":"process","type":"start"}}',
    '{"event":{"category":"process","type":"start"}}',
    '{"@timestamp":"2020-01-01T00:00:02Z","event":{"category":"process","type":"start"}}',
  ];
  const r = await runCli(['hunt', '-'], { stdin: lines.join('\n') + '\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /events\s+3 in/);
  assert.match(r.stderr, /no timestamp\s+1 event\b/);
});

test('the terminal table names Sigma rules by title (their ids are UUIDs); json keeps the id', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const r = await runCli(['hunt', p1, '--sigma', 'rules/sigma']);
  assert.equal(r.code, 1, r.stderr);
  const rows = r.stdout.split('\n').slice(2).filter((l) => l !== '');
  assert.ok(rows.some((l) => /\s{2}Remote Execution via File Shares\s{2}/.test(l)), r.stdout);
  assert.ok(!rows.some((l) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(l)), r.stdout);
});

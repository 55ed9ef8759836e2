/** Threat-intel hash feeds (src/intel/) and alert enrichment (src/alert/intel.ts): one table per format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFeeds, matchEvent, HashIndex, type FeedProblem } from '../../src/intel/index.js';
import { splitCsv } from '../../src/intel/feeds/csv.js';
import { runHunt } from '../../src/hunt/run.js';
import { runCli } from '../cli/run-cli.js';
import { ndjson, sysmon1, sysmon11 } from '../shares/fixtures.js';

const SHA256 = '141b2190f51397dbd0dfde0e3904b264c91b6f81febc823ff0c33da980b69944';
const MD5 = '75b55bb34dac9d02740b9ad6b6820360';
const SHA1 = 'a17c21b909c56d93d978014e63fb06926eaea8e7';
const OTHER = 'ff'.repeat(32);

const MALWAREBAZAAR = `################################################################
# MalwareBazaar full malware samples dump (CSV)                #
# Last updated: 2024-03-05 10:00:00 UTC                        #
################################################################
# "first_seen_utc","sha256_hash","md5_hash","sha1_hash","reporter","file_name","file_type_guess","mime_type","signature","clamav","vtpercent","imphash","ssdeep","tlsh"
"2024-03-01 08:00:00", "${SHA256.toUpperCase()}", "${MD5}", "${SHA1}", "abuse_ch", "PSEXESVC.exe", "exe", "application/x-dosexec", "CobaltStrike", "n/a", "12.5", "67012475995fb9027f4511245b57ddea", "n/a", "n/a"
"2024-03-01 08:00:01", "not-a-hash", "n/a", "n/a", "abuse_ch", "x.exe", "exe", "application/x-dosexec", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"
"2024-03-01 08:00:02", "unterminated
`;

const PLAIN = `# our own block list\n${OTHER}  lab sample\n\n${MD5.toUpperCase()}\nzzzz\n`;

const MISP = JSON.stringify({
  Event: {
    info: 'PsExec service dropped by intrusion set X',
    Tag: [{ name: 'tlp:amber' }],
    Attribute: [
      { type: 'sha256', value: SHA256, category: 'Payload delivery', Tag: [{ name: 'kill-chain:installation' }] },
      { type: 'ip-dst', value: '10.0.0.1' },
      { type: 'md5', value: 'xyz' },
    ],
    Object: [{ name: 'file', Attribute: [{ type: 'filename|sha1', value: `PSEXESVC.exe|${SHA1}`, comment: 'the service binary' }] }],
  },
});

const STIX = JSON.stringify({
  type: 'bundle',
  id: 'bundle--1',
  objects: [
    { type: 'indicator', spec_version: '2.1', id: 'indicator--a', name: 'bad hash', pattern_type: 'stix', labels: ['malicious-activity'], indicator_types: ['malicious-activity'], pattern: `[file:hashes.'SHA-256' = '${SHA256}'] OR [file:hashes.MD5 = '${MD5}']` },
    { type: 'indicator', spec_version: '2.1', id: 'indicator--b', pattern_type: 'stix', pattern: "[ipv4-addr:value = '10.0.0.1']" },
    { type: 'indicator', spec_version: '2.1', id: 'indicator--c', pattern_type: 'stix', pattern: "[file:hashes.'SHA-1' = 'nothex']" },
    { type: 'malware', spec_version: '2.1', id: 'malware--m', name: 'Impacket psexec', is_family: false },
    { type: 'relationship', spec_version: '2.1', id: 'relationship--r', relationship_type: 'indicates', source_ref: 'indicator--a', target_ref: 'malware--m' },
  ],
});

const formats: { file: string; text: string; format: string; hashes: number; skipped: number; lookup: string; name?: string; tags: string[] }[] = [
  { file: 'full.csv', text: MALWAREBAZAAR, format: 'csv', hashes: 3, skipped: 2, lookup: SHA256, name: 'CobaltStrike', tags: ['exe'] },
  { file: 'blocklist.txt', text: PLAIN, format: 'plain', hashes: 2, skipped: 1, lookup: OTHER, name: 'lab sample', tags: [] },
  { file: 'misp-event.json', text: MISP, format: 'misp', hashes: 2, skipped: 1, lookup: SHA256, name: 'PsExec service dropped by intrusion set X', tags: ['tlp:amber', 'kill-chain:installation'] },
  { file: 'bundle.json', text: STIX, format: 'stix', hashes: 2, skipped: 1, lookup: MD5, name: 'Impacket psexec', tags: ['malicious-activity'] },
];

for (const f of formats) {
  test(`feed ${f.format}: ${f.file}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spoor-intel-'));
    try {
      writeFileSync(join(dir, f.file), f.text);
      const problems: FeedProblem[] = [];
      const { index, feeds } = await loadFeeds([join(dir, f.file)], (p) => problems.push(p));
      assert.equal(feeds.length, 1);
      assert.equal(feeds[0]!.format, f.format);
      assert.equal(feeds[0]!.hashes, f.hashes);
      assert.equal(feeds[0]!.skipped, f.skipped, JSON.stringify(problems));
      assert.equal(problems.length, f.skipped);
      assert.ok(problems.every((p) => p.file.endsWith(f.file)));
      const hit = index.lookup(f.lookup.toUpperCase());
      assert.equal(hit.length, 1);
      assert.equal(hit[0]!.feed, f.file);
      assert.equal(hit[0]!.name, f.name);
      assert.deepEqual(hit[0]!.tags, f.tags);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('CSV cells: quotes, doubled quotes, spaces after commas, malformed', () => {
  assert.deepEqual(splitCsv('"a", "b ""c""",d , '), ['a', 'b "c"', 'd', '']);
  assert.equal(splitCsv('"a'), null);
  assert.equal(splitCsv('"a"x'), null);
});

test('matchEvent: Defend fields, Sysmon Hashes text, IMPHASH ignored, several feeds kept', () => {
  const index = new HashIndex();
  index.add(SHA256, { feed: 'a', tags: [] });
  index.add(SHA256, { feed: 'b', name: 'x', tags: ['t'] });
  index.add(MD5, { feed: 'a', tags: [] });
  const defend = { process: { hash: { sha256: SHA256.toUpperCase() } }, file: { hash: { md5: MD5 } } };
  assert.deepEqual(matchEvent(defend, index).map((m) => [m.field, m.feed, m.algorithm]), [
    ['process.hash.sha256', 'a', 'sha256'], ['process.hash.sha256', 'b', 'sha256'], ['file.hash.md5', 'a', 'md5'],
  ]);
  const sysmon = { winlog: { event_data: { Hashes: `SHA1=${SHA1},MD5=${MD5},IMPHASH=${MD5}` } } };
  assert.deepEqual(matchEvent(sysmon, index).map((m) => m.field), ['winlog.event_data.Hashes.MD5']);
  assert.deepEqual(matchEvent({}, index), []);
});

test('a directory of feeds in every format loads into one index; unreadable paths and broken JSON documents are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-intel-'));
  try {
    mkdirSync(join(dir, 'sub'));
    for (const f of formats) writeFileSync(join(dir, 'sub', f.file), f.text);
    writeFileSync(join(dir, 'cut-misp.json'), MISP.slice(0, 60));
    writeFileSync(join(dir, 'cut-stix.json'), '{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator"');
    const problems: FeedProblem[] = [];
    const { index, feeds } = await loadFeeds([dir, join(dir, 'missing')], (p) => problems.push(p));
    assert.equal(feeds.filter((f) => !f.file.includes('cut-')).length, 4);
    assert.deepEqual(feeds.filter((f) => f.file.includes('cut-')).map((f) => [f.format, f.hashes]).sort(), [['misp', 0], ['stix', 0]]);
    assert.equal(index.lookup(SHA256).length, 3);
    assert.ok(problems.some((p) => p.file.endsWith('missing') && /cannot read/.test(p.message)));
    for (const cut of ['cut-misp.json', 'cut-stix.json']) assert.ok(problems.some((p) => p.file.endsWith(cut) && /^not JSON: .*nothing loaded$/.test(p.message)), `${cut}: ${JSON.stringify(problems)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const HOST = 'WS05.corp.example';
function attack(dir: string): string {
  const logs = join(dir, 'logs.ndjson');
  writeFileSync(logs, ndjson([
    sysmon11(HOST, '2024-03-05T10:00:00.000Z', 'C:\\Windows\\PSEXESVC.exe'),
    sysmon1(HOST, '2024-03-05T10:00:00.200Z', 'C:\\Windows\\PSEXESVC.exe', `SHA1=${SHA1},MD5=${MD5},SHA256=${SHA256}`),
  ]));
  return logs;
}

test('hunt --intel: the alert carries feed, name and tags, severity raised one level', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-intel-'));
  try {
    const logs = attack(dir);
    const feed = join(dir, 'full.csv');
    writeFileSync(feed, MALWAREBAZAAR);
    const plain = await runHunt({ inputs: [logs], workers: 0 });
    const base = plain.alerts.find((a) => a.ruleId === 'file-share-remote-exec')!;
    assert.ok(base);
    assert.equal(base.intel, undefined);
    const r = await runHunt({ inputs: [logs], workers: 0, intel: [feed] });
    const a = r.alerts.find((x) => x.ruleId === 'file-share-remote-exec')!;
    assert.equal(a.severity, 'high');
    assert.equal(a.intel?.severityBefore, 'medium');
    assert.equal(a.riskScore, 73);
    assert.deepEqual([...new Set(a.intel!.matches.map((m) => m.name))], ['CobaltStrike']);
    assert.ok(a.intel!.matches.some((m) => m.hash === SHA256 && m.field === 'process.hash.sha256' && m.feed === 'full.csv'));
    assert.equal(r.summary.intel?.alertsMatched, 1);
    assert.equal(r.summary.intel?.hashes, 3);
    assert.equal(r.summary.skipped.other, 2, 'bad feed lines are counted as skipped input');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spoor intel lookup / load and hunt --intel from the CLI', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-intel-'));
  try {
    const logs = attack(dir);
    writeFileSync(join(dir, 'bundle.json'), STIX);
    const found = await runCli(['intel', 'lookup', SHA256, '--intel', join(dir, 'bundle.json')]);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, new RegExp(`${SHA256}  bundle\\.json  Impacket psexec  malicious-activity`));
    const missing = await runCli(['intel', 'lookup', SHA256, OTHER, '--intel', join(dir, 'bundle.json'), '--json']);
    assert.equal(missing.code, 1);
    assert.equal((JSON.parse(missing.stdout) as { matches: unknown[] }[])[1]!.matches.length, 0);
    assert.equal((await runCli(['intel', 'lookup', 'xyz', '--intel', join(dir, 'bundle.json')])).code, 2);
    const load = await runCli(['intel', 'load', join(dir, 'bundle.json'), '--json']);
    assert.equal(load.code, 0);
    assert.equal((JSON.parse(load.stdout) as { hashes: number }).hashes, 2);
    const hunt = await runCli(['hunt', logs, '--intel', join(dir, 'bundle.json'), '-f', 'json']);
    assert.equal(hunt.code, 1, hunt.stderr);
    const alerts = JSON.parse(hunt.stdout) as { ruleId: string; severity: string; intel?: { matches: { name: string }[] } }[];
    assert.equal(alerts.find((a) => a.ruleId === 'file-share-remote-exec')!.intel!.matches[0]!.name, 'Impacket psexec');
    assert.match(hunt.stderr, /intel +2 hashes from 1 feed file\(s\); 1 alert\(s\) matched/);
    assert.equal((await runCli(['hunt', logs, '--intel', join(dir, 'nope')])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

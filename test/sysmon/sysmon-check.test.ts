/** Sysmon configuration checks (src/sysmon/): conditions, include/exclude rules, the CLI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSysmonConfig, evaluateSysmon, parseSysmonConfig, type SysmonCheckReport } from '../../src/sysmon/index.js';
import { testCondition } from '../../src/sysmon/conditions.js';
import { runCli } from '../cli/run-cli.js';

const conditionCases: [string, string, string, boolean][] = [
  ['is', 'System', 'system', true],
  ['is', 'System', 'Systemx', false],
  ['is not', 'System', 'x', true],
  ['is any', 'b', 'a;b;c', true],
  ['contains', 'C:\\Windows\\Temp\\x.exe', '\\temp\\', true],
  ['contains any', 'C:\\x\\y.ps1', '.exe;.ps1', true],
  ['contains all', 'net view', 'net;view', true],
  ['contains all', 'net use', 'net;view', false],
  ['excludes', 'abc', 'd', true],
  ['excludes all', 'abc', 'x;y', true],
  ['excludes all', 'abc', 'x;b', false],
  ['begin with', 'C:\\Windows\\x', 'c:\\windows\\', true],
  ['not begin with', 'C:\\Windows\\x', 'C:\\Users', true],
  ['end with', 'x.EXE', '.exe', true],
  ['not end with', 'x.exe', '.exe', false],
  ['less than', '3', '4', true],
  ['more than', '0x10', '15', true],
  ['image', 'C:\\Windows\\System32\\lsass.exe', 'lsass.exe', true],
  ['image', 'System', 'System', true],
  ['image', 'C:\\Windows\\System32\\lsass.exe', 'C:\\Windows\\lsass.exe', false],
];
for (const [cond, value, operand, want] of conditionCases) {
  test(`condition ${cond}: ${value} vs ${operand} → ${want}`, () => {
    assert.equal(testCondition(cond as Parameters<typeof testCondition>[0], value, operand), want);
  });
}

/** sysmon-modular / SwiftOnSecurity style: RuleGroups with groupRelation "or", named rules. */
const MODULAR = `<Sysmon schemaversion="4.50">
  <HashAlgorithms>SHA256,IMPHASH</HashAlgorithms>
  <EventFiltering>
    <RuleGroup name="" groupRelation="or">
      <ProcessCreate onmatch="exclude">
        <Image condition="begin with">C:\\Program Files\\</Image>
        <Rule groupRelation="and" name="Noise: svchost from services">
          <Image condition="is">C:\\Windows\\System32\\svchost.exe</Image>
          <ParentImage condition="is">C:\\Windows\\System32\\services.exe</ParentImage>
        </Rule>
      </ProcessCreate>
    </RuleGroup>
    <RuleGroup name="" groupRelation="or">
      <FileCreate onmatch="include">
        <TargetFilename name="technique_id=T1105" condition="end with">.exe</TargetFilename>
        <TargetFilename condition="end with">.scr</TargetFilename>
      </FileCreate>
    </RuleGroup>
    <RuleGroup name="noise" groupRelation="or">
      <FileCreate onmatch="exclude">
        <Image condition="is">C:\\Windows\\System32\\svchost.exe</Image>
        <Image name="System writes are too noisy" condition="is">System</Image>
      </FileCreate>
    </RuleGroup>
  </EventFiltering>
</Sysmon>`;

test('a config excluding Image System drops every FileCreate by PID 4, naming the exclusion', () => {
  const r = checkSysmonConfig(MODULAR) as SysmonCheckReport;
  assert.ok(!('error' in r));
  assert.equal(r.schemaVersion, '4.50');
  assert.equal(r.ok, false);
  const files = r.checks.filter((c) => c.probe.event === 'FileCreate');
  assert.ok(files.length >= 4);
  for (const c of files) {
    assert.equal(c.verdict.logged, false, c.probe.label);
    assert.ok(c.verdict.exclude, c.verdict.reason);
    assert.match(c.verdict.reason, /line 22: RuleGroup "noise" \/ <FileCreate onmatch="exclude"> <Image condition="is">System<\/Image> \(name "System writes are too noisy"\)/);
  }
  for (const c of r.checks.filter((x) => x.probe.event === 'ProcessCreate')) assert.equal(c.verdict.logged, true, c.verdict.reason);
});

test('include mode: only named extensions are logged; <Rule groupRelation="and"> needs every filter', () => {
  const { config } = parseSysmonConfig(MODULAR.replace(/<Image name="System writes[^\n]*\n/, ''));
  assert.ok(config);
  const probe = (path: string) => evaluateSysmon(config, 'FileCreate', { Image: 'System', ProcessId: '4', TargetFilename: path });
  assert.equal(probe('C:\\Windows\\PSEXESVC.exe').logged, true);
  assert.match(probe('C:\\Windows\\PSEXESVC.exe').reason, /included by line 15/);
  assert.equal(probe('C:\\Windows\\x.com').logged, false);
  assert.match(probe('C:\\Windows\\x.com').reason, /no include filter/);
  const proc = (image: string, parent: string) => evaluateSysmon(config, 'ProcessCreate', { Image: image, ParentImage: parent });
  assert.equal(proc('C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\System32\\services.exe').logged, false);
  assert.equal(proc('C:\\Windows\\System32\\svchost.exe', 'C:\\Windows\\explorer.exe').logged, true, 'an AND rule needs both fields');
  assert.equal(proc('C:\\Program Files\\x\\y.exe', 'C:\\Windows\\explorer.exe').logged, false);
});

test('legacy layout (no RuleGroup), empty include, unconfigured event type, groupRelation and', () => {
  const legacy = `<Sysmon schemaversion="3.30"><EventFiltering>
    <ProcessCreate onmatch="include"/>
    <FileCreate onmatch="exclude">
      <TargetFilename condition="contains">\\Temp\\</TargetFilename>
    </FileCreate>
  </EventFiltering></Sysmon>`;
  const r = checkSysmonConfig(legacy) as SysmonCheckReport;
  const byPath = (event: string, path: string) => r.checks.find((c) => c.probe.event === event && Object.values(c.probe.fields).includes(path))!;
  assert.equal(byPath('FileCreate', 'C:\\Windows\\Temp\\svc1234.exe').verdict.logged, false);
  assert.equal(byPath('FileCreate', 'C:\\Windows\\PSEXESVC.exe').verdict.logged, true);
  assert.match(byPath('ProcessCreate', 'C:\\Windows\\PSEXESVC.exe').verdict.reason, /is empty/);
  const { config } = parseSysmonConfig(legacy);
  assert.equal(evaluateSysmon(config!, 'DnsQuery', {}).configured, false);
  const and = parseSysmonConfig(`<Sysmon><EventFiltering><RuleGroup groupRelation="and"><FileCreate onmatch="exclude">
    <Image condition="image">System</Image><TargetFilename condition="end with">.tmp</TargetFilename>
    </FileCreate></RuleGroup></EventFiltering></Sysmon>`).config!;
  assert.equal(evaluateSysmon(and, 'FileCreate', { Image: 'System', TargetFilename: 'C:\\a.exe' }).logged, true);
  assert.equal(evaluateSysmon(and, 'FileCreate', { Image: 'System', TargetFilename: 'C:\\a.tmp' }).logged, false);
});

test('bad configurations are reported, not thrown', () => {
  assert.ok('error' in checkSysmonConfig('<Sysmon><EventFiltering>'));
  assert.ok('error' in checkSysmonConfig('<NotSysmon/>'));
  const r = parseSysmonConfig('<Sysmon><EventFiltering><FileCreate onmatch="exclude"><Image condition="sounds like">x</Image></FileCreate><Bogus/></EventFiltering></Sysmon>');
  assert.ok(r.config);
  assert.equal(r.problems.length, 2);
  assert.match(r.problems[0]!.message, /unknown condition "sounds like"/);
});

test('spoor sysmon-check CLI: exit 1 naming the exclusion, 0 when logged, 2 when unreadable; --json; --path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-sysmon-'));
  try {
    const bad = join(dir, 'modular.xml');
    writeFileSync(bad, MODULAR);
    const r1 = await runCli(['sysmon-check', bad]);
    assert.equal(r1.code, 1, r1.stderr);
    assert.match(r1.stdout, /FileCreate \(11\) by System \(PID 4\): DROPPED/);
    assert.match(r1.stdout, /<Image condition="is">System<\/Image>/);
    assert.match(r1.stdout, /ProcessCreate \(1\) of those paths: logged/);
    const good = join(dir, 'good.xml');
    writeFileSync(good, '<Sysmon schemaversion="4.90"><EventFiltering><RuleGroup groupRelation="or"><FileCreate onmatch="exclude"/><ProcessCreate onmatch="exclude"/></RuleGroup></EventFiltering></Sysmon>');
    const r2 = await runCli(['sysmon-check', good, '--json', '--path', 'D:\\Shares\\x.exe']);
    assert.equal(r2.code, 0, r2.stderr);
    const j = JSON.parse(r2.stdout) as { ok: boolean; checks: unknown[] };
    assert.equal(j.ok, true);
    assert.equal(j.checks.length, 2);
    const broken = join(dir, 'broken.xml');
    writeFileSync(broken, '<Sysmon><EventFiltering>');
    assert.equal((await runCli(['sysmon-check', broken])).code, 2);
    assert.equal((await runCli(['sysmon-check', join(dir, 'missing.xml')])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

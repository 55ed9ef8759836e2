import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, writeNdjson } from '../../src/demo/generate.js';
import { runHunt } from '../../src/hunt/run.js';
import { checkDemo } from '../../src/cli/demo.js';

test('the demo hunt finds both planted attacks and nothing on the trusted deployments or other look-alikes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-demo-e2e-'));
  try {
    const opts = { events: 10_000, hosts: 12, seed: 42 };
    const input = join(dir, 'events.ndjson');
    const { planted } = await writeNdjson(opts, input);
    const benign = generateEvents(opts).scenarios.filter((s) => !s.malicious);
    assert.ok(benign.some((s) => s.kind === 'trusted-crowdstrike') && benign.some((s) => s.kind === 'trusted-veeam'));
    const result = await runHunt({ inputs: [input], workers: 0 });
    assert.equal(result.summary.events, opts.events);
    assert.deepEqual(result.summary.skipped, {});
    const headline = result.alerts.filter((a) => a.ruleId === 'file-share-remote-exec');
    assert.deepEqual(headline.map((a) => `${a.host} ${a.filePath}`).sort(), planted.map((p) => `${p.host} ${p.path}`).sort());
    for (const a of headline) {
      const p = planted.find((x) => x.host === a.host)!;
      assert.equal(a.writer?.ip, p.writerIp, 'writer named from Security 5145');
      assert.ok(a.gapMs > 100 && a.gapMs < 1000);
    }
    const verdict = checkDemo(result.alerts, planted, benign);
    assert.ok(verdict.ok, verdict.lines.map((l) => l.text).join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkDemo notices a missed attack and a false positive', () => {
  const planted = [{ ruleId: 'file-share-remote-exec', kind: 'psexec', host: 'ws-1', path: 'C:\\Windows\\PSEXESVC.exe', time: 't' }];
  const benign = [{ kind: 'trusted-veeam', host: 'ws-2', path: 'C:\\Windows\\Veeam\\Backup\\VeeamDeploymentSvc.exe', time: 't', malicious: false }];
  const alert = { id: 'x', ruleId: 'file-share-remote-exec', ruleName: 'r', severity: 'medium' as const, host: 'ws-2', filePath: 'C:\\Windows\\Veeam\\Backup\\VeeamDeploymentSvc.exe', firstTime: 't', lastTime: 't', gapMs: 1, events: [] };
  const v = checkDemo([alert], planted, benign);
  assert.equal(v.ok, false);
  assert.equal(v.lines.filter((l) => !l.ok).length, 2);
});

/**
 * serve/ with a real Elasticsearch client: Debian's rsyslog + omelasticsearch (bulk mode, basic
 * auth with the ingest token) tails an NDJSON file of generated Elastic Defend events and ships
 * them to `_bulk`; the planted attacks must come out as alerts. Skips when rsyslogd or the module
 * is missing (.ci/run installs rsyslog and rsyslog-elasticsearch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { serve, waitFor } from './client.js';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => existsSync(p));
const MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'];
const HAS_MODULE = MODULE_DIRS.some((d) => existsSync(join(d, 'omelasticsearch.so')));

test('rsyslog omelasticsearch ships Defend events to _bulk; planted attacks alerted', async (t) => {
  if (!RSYSLOGD || !HAS_MODULE) {
    t.skip('rsyslogd with omelasticsearch not installed (apt-get install rsyslog rsyslog-elasticsearch)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'spoor-rsyslog-'));
  const h = await serve({ allowedLatenessMs: 200 });
  let pid = 0;
  try {
    const g = generateEvents({ events: 3000, hosts: 3, seed: 21 });
    const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
    const input = join(dir, 'events.ndjson');
    writeFileSync(input, [...g.lines].join('\n') + '\n');
    const port = new URL(h.s.url).port;
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imfile" mode="polling" PollingInterval="1")
module(load="omelasticsearch")
template(name="raw" type="string" string="%msg%")
input(type="imfile" File="${input}" Tag="defend" ruleset="ship" freshStartTail="off")
ruleset(name="ship") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${port}" template="raw" searchIndex="logs-endpoint.events-default"
         bulkmode="on" maxbytes="1m" uid="spoor" pwd="${h.ingest}" errorfile="${join(dir, 'es-errors.json')}"
         action.resumeRetryCount="-1" action.resumeInterval="1")
}
`,
    );
    const p = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    pid = p.pid ?? 0;
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => h.s.context.counters.eventsIn >= 3000 || (p.exitCode !== null && (() => {
      throw new Error(`rsyslogd exited: ${err}`);
    })()), 60_000);
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total >= planted.length, 15_000);
    const got = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID], limit: 100 });
    assert.equal(got.total, planted.length);
    assert.deepEqual(got.alerts.map((a) => a.filePath).sort(), planted.map((x) => x.path).sort());
    assert.equal(h.s.context.counters.parseErrors, 0, existsSync(join(dir, 'es-errors.json')) ? readFileSync(join(dir, 'es-errors.json'), 'utf8').slice(0, 500) : '');
  } finally {
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

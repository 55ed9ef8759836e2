/**
 * `spoor demo --live` end to end: the CLI starts serve on a free loopback port (--port 0) with its
 * data in a temporary folder (--out), prints the UI address with an admin token, replays the demo
 * network's telemetry through _bulk at a high pace (--speed), and every planted attack arrives as
 * an alert through the API; `/` answers the UI page to a browser; Ctrl-C (SIGINT) stops it with 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/shared.js';
import type { ApiAlertList } from '../../src/serve/api-types.js';

test('spoor demo --live: serve on a free port, replay, planted alerts arrive through the API, SIGINT stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-demo-live-test-'));
  const proc = spawn(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), 'demo', '--live', '--port', '0', '--out', dir, '--events', '3000', '--hosts', '5', '--seed', '3', '--speed', '100000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    const waitOut = async (re: RegExp): Promise<RegExpExecArray> => {
      const end = Date.now() + 15_000;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (proc.exitCode !== null || Date.now() > end) assert.fail(`no ${re} in output:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const ui = await waitOut(/Open the UI: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/);
    const [, url, token] = ui;
    assert.doesNotMatch(url!, /:9200$/, 'a free port, not the default');
    const plantedLine = (await waitOut(/planted: (.+)\n/))[1]!;
    const planted = [...plantedLine.matchAll(/(\w+) on ([\w-]+)/g)].map((m) => ({ kind: m[1]!, host: m[2]! }));
    assert.ok(planted.length >= 2, plantedLine);

    // Every planted attack arrives as an alert of the file-share rule on its host.
    const end = Date.now() + 15_000;
    let list: ApiAlertList;
    for (;;) {
      list = (await (await fetch(`${url}/api/alerts?rule=file-share-remote-exec&limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as ApiAlertList;
      if (planted.every((p) => list.alerts.some((a) => a.host.toLowerCase() === p.host))) break;
      assert.ok(Date.now() < end, `planted alerts did not arrive: ${JSON.stringify(list.alerts.map((a) => a.host))}\n${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(list.total, planted.length);
    assert.ok(existsSync(join(dir, 'spoor-data', 'spoor.db')), 'data in --out');

    // A browser asking for / gets the UI page; a shipper gets Elasticsearch's root document.
    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script/);
    const root = (await (await fetch(`${url}/`)).json()) as { version?: { number?: string } };
    assert.ok(root.version?.number);

    proc.kill('SIGINT');
    assert.equal(await exited, 0, err);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

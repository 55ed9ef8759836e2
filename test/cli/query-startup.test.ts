/**
 * Start-up cost of `spoor query` / `spoor hunt`: the CLI loads only the modules the command needs
 * (src/cli/main.ts imports commands lazily; the query's parallel path is imported only with
 * --workers). A module-resolution hook in the child process records every module it resolves, so
 * a static import that drags Sigma, serve, SQLite, NATS or the UI into these commands fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

/** Registers a resolve hook (on Node's loader thread) that appends each resolved URL to $SPOOR_MODULE_TRACE. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.SPOOR_MODULE_TRACE) appendFileSync(process.env.SPOOR_MODULE_TRACE, r.url + '\\n');
  return r;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;
const IMPORT = `data:text/javascript,${encodeURIComponent(REGISTER)}`;

/** Heavy parts a query or hunt over files never needs. */
const NOT_FOR_QUERY: [string, RegExp][] = [
  ['Sigma', /\/src\/sigma\//],
  ['serve', /\/src\/serve\//],
  ['UI', /\/src\/ui\//],
  ['cluster (NATS)', /\/src\/cluster\//],
  ['convert', /\/src\/convert\//],
  ['intel', /\/src\/intel\//],
  ['nats', /\/node_modules\/nats\//],
  ['better-sqlite3', /\/node_modules\/better-sqlite3\//],
  ['yaml', /\/node_modules\/yaml\//],
  ['smol-toml', /\/node_modules\/smol-toml\//],
  ['hunt rule loading', /\/src\/hunt\/load-rules\.[jt]s$/],
  ['the HTML report', /\/src\/output\/html\.[jt]s$/],
];
const NOT_FOR_HUNT = NOT_FOR_QUERY.filter(([name]) => ['serve', 'UI', 'cluster (NATS)', 'convert', 'nats'].includes(name));

const EVENT = {
  '@timestamp': '2024-05-01T10:00:00.000Z',
  event: { category: ['process'], type: ['start'], kind: 'event' },
  host: { id: 'h1', name: 'h1' },
  process: { pid: 4242, name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe' },
};

async function modulesOf(args: string[], dir: string): Promise<{ urls: string[]; code: number | null; stderr: string }> {
  const trace = join(dir, `trace-${args[0]}.txt`);
  writeFileSync(trace, '');
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import=${IMPORT}`.trim();
  const r = await runCli(args, { env: { SPOOR_MODULE_TRACE: trace, NODE_OPTIONS: nodeOptions } });
  return { urls: readFileSync(trace, 'utf8').split('\n').filter((l) => l !== ''), code: r.code, stderr: r.stderr };
}

test('spoor query loads no Sigma, serve, SQLite, NATS, UI or rule-loading module', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-query-startup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'events.ndjson');
  writeFileSync(data, JSON.stringify(EVENT) + '\n');
  const r = await modulesOf(['query', 'process where process.pid == 4242', data, '-f', 'ndjson'], dir);
  assert.equal(r.code, 1, r.stderr); // one result: the query really ran
  // The hook saw the CLI and the EQL engine, so an empty trace cannot pass.
  assert.ok(r.urls.some((u) => /\/src\/cli\/query\.[jt]s$/.test(u)), 'query command module traced');
  assert.ok(r.urls.some((u) => /\/src\/eql\//.test(u)), 'EQL parser traced');
  for (const [name, re] of NOT_FOR_QUERY) {
    assert.deepEqual(r.urls.filter((u) => re.test(u)), [], `spoor query loaded ${name}`);
  }
  // Only the query command is registered: no other command module is loaded.
  const otherCommands = r.urls.filter((u) => /\/src\/cli\/(hunt|dump|rules|demo|serve|shares|sysmon-check|intel|convert)\.[jt]s$/.test(u));
  assert.deepEqual(otherCommands, []);
});

test('spoor hunt loads no serve, UI, NATS or convert module', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-hunt-startup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'events.ndjson');
  writeFileSync(data, JSON.stringify(EVENT) + '\n');
  const r = await modulesOf(['hunt', data, '-f', 'json'], dir);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.ok(r.urls.some((u) => /\/src\/cli\/hunt\.[jt]s$/.test(u)), 'hunt command module traced');
  for (const [name, re] of NOT_FOR_HUNT) {
    assert.deepEqual(r.urls.filter((u) => re.test(u)), [], `spoor hunt loaded ${name}`);
  }
});

test('spoor --help still lists every command (all registered when no command is named)', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['hunt', 'query', 'dump', 'rules', 'demo', 'serve', 'shares', 'sysmon-check', 'intel', 'convert']) {
    assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), c);
  }
});

/**
 * Terminal safety (issue 10, item 8): `dump -f table` and `query` tables show control characters
 * from event data (ESC, BEL, C1 CSI, bidi overrides) as escapes, with the helper hunt's table uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';
import { eventSummaryRow } from '../../src/cli/table.js';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;
const hostile = 'C:\\x\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eexe.txt';

test('eventSummaryRow escapes control characters', () => {
  const row = eventSummaryRow({ host: { name: 'h\u001b[31m' }, process: { executable: hostile } }, 't');
  for (const cell of row) assert.doesNotMatch(cell, RAW_CONTROL, cell);
  assert.match(row[5]!, /\\u001b\]0;pwned\\u0007/);
});

test('dump and query tables never print control characters from event data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-tty-'));
  try {
    const f = join(dir, 'evil.ndjson');
    const ev = { '@timestamp': '2024-01-01T00:00:00Z', host: { name: 'ws\u001b[31m1' }, event: { category: ['process'], type: ['start'] }, process: { pid: 7, executable: hostile } };
    writeFileSync(f, JSON.stringify(ev) + '\n');
    for (const args of [['dump', '-f', 'table', f], ['dump', '--view', 'native', '-f', 'table', f], ['query', 'process where true', f], ['query', 'sequence by host.name [process where true] [process where true]', f, f]]) {
      const r = await runCli(args);
      assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
      assert.doesNotMatch(r.stdout, RAW_CONTROL, args.join(' '));
      if (args[1] !== 'sequence by host.name [process where true] [process where true]') assert.match(r.stdout, /\\u001b/, args.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

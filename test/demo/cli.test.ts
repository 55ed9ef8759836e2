import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerDemo } from '../../src/cli/demo.js';
import { generateEvents } from '../../src/demo/generate.js';

test('spoor demo generate takes its own --events/--hosts/--seed/-o although demo has the same options', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-demo-cli-'));
  const write = process.stderr.write;
  try {
    const out = join(dir, 'g.ndjson');
    const planted = join(dir, 'planted.json');
    const program = new Command().exitOverride();
    registerDemo(program);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    await program.parseAsync(['node', 'spoor', 'demo', 'generate', '--events', '500', '--hosts', '12', '--seed', '9', '-o', out, '--planted', planted, '--no-progress']);
    process.stderr.write = write;
    const text = readFileSync(out, 'utf8');
    const expected = [...generateEvents({ events: 500, hosts: 12, seed: 9 }).lines].map((l) => l + '\n').join('');
    assert.equal(text, expected);
    const list = JSON.parse(readFileSync(planted, 'utf8')) as { kind: string }[];
    assert.deepEqual(list.map((p) => p.kind).sort(), ['impacket', 'psexec']);
  } finally {
    process.stderr.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
});

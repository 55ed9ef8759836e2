/**
 * A hunt turns V8's allocation-site pretenuring off for its process (hunt/v8-tuning.ts; why:
 * BENCHMARKS.md "Gates on numbers and booleans, one matcher per flavour, no pretenuring"), and
 * SPOOR_V8_PRETENURING=1 keeps V8's default. V8 flags are process-wide, so each case runs a
 * hunt in a fresh child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/temp.js';
import { ndjson, start, systemWrite } from './defend-events.js';

const src = (p: string): string => pathToFileURL(join(import.meta.dirname, '..', '..', 'src', p)).href;

function huntInChild(input: string, env: Record<string, string>): { before: string[]; after: string[]; alerts: number } {
  const script = `
    const { runHunt } = await import(${JSON.stringify(src('hunt/run.js'))});
    const { v8FlagsApplied } = await import(${JSON.stringify(src('hunt/v8-tuning.js'))});
    const before = [...v8FlagsApplied()];
    const r = await runHunt({ inputs: [${JSON.stringify(input)}], workers: 0 });
    console.log(JSON.stringify({ before, after: [...v8FlagsApplied()], alerts: r.alerts.length }));`;
  const { SPOOR_V8_PRETENURING: _drop, ...base } = process.env;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...base, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!) as { before: string[]; after: string[]; alerts: number };
}

test('a hunt turns allocation-site pretenuring off for its process; SPOOR_V8_PRETENURING=1 keeps the default', () => {
  const dir = tempDir();
  const file = join(dir, 'host.ndjson');
  writeFileSync(file, ndjson([systemWrite(1000, 'ws1', 'C:\\Windows\\evil.exe'), start(1200, 'ws1', 'C:\\Windows\\evil.exe')]));
  const tuned = huntInChild(file, {});
  assert.deepEqual(tuned.before, [], 'nothing set before the hunt');
  assert.deepEqual(tuned.after, ['--no-allocation-site-pretenuring']);
  const kept = huntInChild(file, { SPOOR_V8_PRETENURING: '1' });
  assert.deepEqual(kept.after, []);
  // The flag changes memory, not results.
  assert.ok(tuned.alerts > 0);
  assert.equal(kept.alerts, tuned.alerts);
});

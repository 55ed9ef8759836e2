/** Tests delete what they write to the temp directory, also when they fail (test/helpers/temp.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const helper = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), `temp${fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js'}`)).href;

test('tempDir directories are removed at exit, after a failure too', () => {
  for (const ending of ['', 'throw new Error("a failing test");']) {
    const script = `import { tempDir } from ${JSON.stringify(helper)}; import { writeFileSync, mkdirSync } from 'node:fs';
      const d = tempDir('spoor-temp-test-'); mkdirSync(d + '/sub'); writeFileSync(d + '/sub/f', 'x'.repeat(1000)); console.log(d); ${ending}`;
    const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8' });
    const dir = r.stdout.trim();
    assert.ok(dir.includes('spoor-temp-test-'), r.stderr);
    assert.equal(existsSync(dir), false, `${dir} left behind (${ending || 'clean exit'})`);
  }
});

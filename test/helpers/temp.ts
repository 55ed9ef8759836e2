/**
 * Temporary directories for tests that are removed when the test process exits, whatever the
 * test's outcome (a failed assertion skips a test's own cleanup, never this one). Each test file
 * runs in its own process under `node --test`, so nothing outlives its file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A new empty directory `$TMPDIR/<prefix>XXXXXX`, deleted (recursively) at process exit. */
export function tempDir(prefix = 'spoor-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeTempDirs);
  }
  return dir;
}

/** Remove every directory `tempDir` made so far (also run at exit). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

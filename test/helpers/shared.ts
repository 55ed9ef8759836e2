/**
 * Locating ../shared (conformance suites and real attack data, kept beside the repo, never in it).
 * Tests that need it call `sharedOrSkip(t, ...)`: on a machine without ../shared they skip with a
 * visible reason; in CI (CI=true) a missing ../shared is a failure, not a skip.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** The repository root, whether running from dist/test/helpers or test/helpers (tsx). */
export const repoRoot = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return d;
})();

export const sharedRoot = resolve(repoRoot, process.env.SPOOR_SHARED ?? '../shared');

export function sharedPath(...parts: string[]): string {
  return join(sharedRoot, ...parts);
}

/** Returns the path if it exists; otherwise skips the test (or fails it in CI) and returns null. */
export function sharedOrSkip(t: TestContext, ...parts: string[]): string | null {
  const p = sharedPath(...parts);
  if (existsSync(p)) return p;
  const reason = `needs ${p} (the ../shared data beside the repo); not found`;
  if (process.env.CI) throw new Error(reason);
  t.skip(reason);
  return null;
}

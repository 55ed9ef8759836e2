/**
 * The browser the UI tests drive: Debian's chromium through playwright-core (`npx playwright
 * install` cannot download here), with the flags every UI test launches it with.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
/** Screenshots of the UI tests, for a person to look at (kept after the run). */
export const SCREENSHOTS = join(tmpdir(), 'spoor-ui-screenshots');

export const haveChromium = (): boolean => existsSync(CHROMIUM);

/** True when the test was skipped for want of chromium; in CI its absence fails the test instead. */
export function skipWithoutChromium(t: TestContext): boolean {
  if (haveChromium()) return false;
  if (process.env['CI'] === 'true') assert.fail(`${CHROMIUM} is required in CI (apt-get install chromium)`);
  t.skip(`${CHROMIUM} not installed`);
  return true;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** hunt/clock-scan.ts: offsets of zone-less hosts are learned also for hosts that appear after the first batch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { learnClock } from '../../src/hunt/clock-scan.js';
import { Clock } from '../../src/normalize/index.js';
import { discoverInputs } from '../../src/sources/index.js';

const sysmon = (host: string, i: number): string =>
  JSON.stringify({ EventTime: `2026-03-02 09:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`, Hostname: host, EventID: 1, SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', UtcTime: `2026-03-02 08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000`, Image: 'C:\\x.exe' });

test('a host first seen after the first batch of a flat file still has its offset learned', async () => {
  const dir = tempDir('spoor-clock-scan-');
  const file = join(dir, 'nxlog.ndjson');
  const lines: string[] = [];
  for (let i = 0; i < 1000; i++) lines.push(sysmon('early.corp', i));
  for (let i = 0; i < 10; i++) lines.push(sysmon('late.corp', 1000 + i));
  writeFileSync(file, lines.join('\n') + '\n');
  const clock = new Clock(null);
  await learnClock(await discoverInputs([file], () => {}), clock);
  assert.ok(clock.hasObserved('early.corp'));
  assert.ok(clock.hasObserved('late.corp'), 'the late host is learned too');
});

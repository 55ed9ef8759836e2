/** Zone detection, --timezone parsing and wall clock → UTC, daylight saving included (issue 10 item 6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatInstant, hasZone, parseIso, parseTimeZone, wallToUtc, zoneOffsetMin } from '../../src/events/timestamp.js';
import { Clock, observedOffset } from '../../src/normalize/index.js';

test('hasZone: Z and offsets name a zone; nxlog/Sysmon wall-clock text does not', () => {
  for (const t of ['2020-09-21T23:03:51Z', '2020-09-21T23:03:51.123456789Z', '2020-09-21 19:03:51-04:00', '2020-09-21T19:03:51-0400', '2020-09-21T19:03:51+02']) {
    assert.equal(hasZone(t), true, t);
  }
  for (const t of ['2020-09-21 19:03:51', '2020-09-21 23:03:53.300', '2020-09-21T19:03:51.5', '2020-09-21']) assert.equal(hasZone(t), false, t);
});

test('parseTimeZone: UTC, ±HH:MM, IANA names; nonsense refused', () => {
  assert.deepEqual(parseTimeZone('UTC'), { kind: 'fixed', offsetMin: 0, label: '+00:00' });
  assert.deepEqual(parseTimeZone('-04:00'), { kind: 'fixed', offsetMin: -240, label: '-04:00' });
  assert.deepEqual(parseTimeZone('+0530'), { kind: 'fixed', offsetMin: 330, label: '+05:30' });
  assert.deepEqual(parseTimeZone('Europe/Berlin'), { kind: 'iana', name: 'Europe/Berlin' });
  for (const bad of ['Mars/Olympus', '+25:00', '4h', '']) assert.equal(parseTimeZone(bad), null, bad);
});

test('wallToUtc follows daylight saving time of an IANA zone', () => {
  const ny = parseTimeZone('America/New_York')!;
  const at = (wall: string): string => formatInstant(wallToUtc(parseIso(wall)!, ny));
  assert.equal(at('2020-01-15 12:00:00'), '2020-01-15T17:00:00.000Z'); // EST −5
  assert.equal(at('2020-09-21 19:03:51.25'), '2020-09-21T23:03:51.250Z'); // EDT −4
  assert.equal(zoneOffsetMin(ny, Date.UTC(2020, 2, 8, 6, 59)), -300);
  assert.equal(zoneOffsetMin(ny, Date.UTC(2020, 2, 8, 7, 0)), -240);
  assert.equal(at('2020-03-08 03:30:00'), '2020-03-08T07:30:00.000Z'); // just after the spring-forward
  const fixed = parseTimeZone('+05:30')!;
  assert.equal(formatInstant(wallToUtc(parseIso('2020-09-21 05:30:00')!, fixed)), '2020-09-21T00:00:00.000Z');
});

test('learned offsets: quarter hours, skew tolerated, nonsense ignored, majority wins', () => {
  const w = (t: string) => parseIso(t)!;
  assert.equal(observedOffset(w('2020-09-21 19:03:53'), w('2020-09-21 23:03:53.300')), -240);
  assert.equal(observedOffset(w('2020-09-21 05:33:59'), w('2020-09-21 00:03:58.900')), 330);
  assert.equal(observedOffset(w('2020-09-21 19:10:53'), w('2020-09-21 23:03:53.300')), null); // 7 min off a quarter hour
  const c = new Clock();
  c.observe('h', w('2020-09-21 19:03:53'), w('2020-09-21 23:03:53.3'));
  c.observe('h', w('2020-09-21 19:04:53'), w('2020-09-21 23:04:53.1'));
  c.observe('h', w('2020-09-21 20:05:53'), w('2020-09-21 23:05:53.1'));
  c.settle();
  assert.deepEqual(c.learnedOffsets(), { h: { offsetMin: -240, votes: 2 } });
  assert.equal(formatInstant(c.toUtc('h', w('2020-09-21 19:00:00'))!), '2020-09-21T23:00:00.000Z');
  assert.equal(c.toUtc('other', w('2020-09-21 19:00:00')), null);
  assert.deepEqual(c.takeReport(), [{ host: 'h', basis: 'learned', zone: '-04:00', events: 1, learnedFrom: 2 }]);
});

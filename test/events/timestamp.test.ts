import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp, fromFiletime, formatInstant, compareInstants, diffNs, parseDuration } from '../../src/events/timestamp.js';
import { parseJsonExact } from '../../src/events/json.js';
import { getField, parseFieldPath } from '../../src/events/field.js';

test('FILETIME keeps 100 ns precision beyond 2^53', () => {
  const a = fromFiletime(132430104563965432n);
  assert.equal(formatInstant(a), '2020-08-27T14:00:56.3965432Z');
  assert.equal(a.ns % 100, 0);
  const b = fromFiletime(132430104563965433n);
  assert.equal(diffNs(a, b), 100);
  assert.ok(compareInstants(a, b) < 0);
});

test('ISO text keeps nanoseconds and offsets', () => {
  const i = parseTimestamp('2020-08-27T11:40:56.396543211Z')!;
  assert.equal(i.ns, 543211);
  assert.equal(formatInstant(i), '2020-08-27T11:40:56.396543211Z');
  const o = parseTimestamp('2020-08-27T13:40:56.396+02:00')!;
  assert.equal(formatInstant(o), '2020-08-27T11:40:56.396Z');
  assert.equal(formatInstant(parseTimestamp('2020-08-27 11:40:56.396')!), '2020-08-27T11:40:56.396Z');
});

test('epoch numbers by magnitude', () => {
  assert.equal(formatInstant(parseTimestamp(1598528456)!), '2020-08-27T11:40:56.000Z');
  assert.equal(formatInstant(parseTimestamp(1598528456396)!), '2020-08-27T11:40:56.396Z');
  assert.equal(parseTimestamp('not a time'), null);
  assert.equal(parseDuration('1m'), 60e9);
  assert.equal(parseDuration('500ms'), 5e8);
});

test('parseJsonExact keeps FILETIME integers exact and strings untouched', () => {
  const v = parseJsonExact('{"t":131485996510000001,"s":"1234567890123456789","n":12}') as Record<string, unknown>;
  assert.equal(v.t, 131485996510000001n);
  assert.equal(v.s, '1234567890123456789');
  assert.equal(v.n, 12);
  assert.equal(formatInstant(parseTimestamp(v.t)!).startsWith('2017-'), true);
});

test('field access: nested, dotted, mixed, indexes', () => {
  const ev = { process: { pid: 4, 'code_signature.trusted': true }, 'host.id': 'h1', args: ['a', 'b'] };
  assert.equal(getField(ev, parseFieldPath('process.pid')), 4);
  assert.equal(getField(ev, parseFieldPath('process.code_signature.trusted')), true);
  assert.equal(getField(ev, parseFieldPath('host.id')), 'h1');
  assert.equal(getField(ev, parseFieldPath('args[1]')), 'b');
  assert.equal(getField(ev, parseFieldPath('nope.x')), undefined);
});

test('the canonical UTC fast path agrees with the general parser', () => {
  const cases = ['2020-08-27T11:40:56Z', '2020-08-27T11:40:56.3Z', '2020-08-27T11:40:56.396543Z', '2020-08-27T11:40:56.3965432Z', '2020-08-27T11:40:56.123456789Z', '2024-02-29T23:59:59.999999999Z', '2020-08-28T00:00:00.000001Z'];
  for (const c of cases) {
    // '+00:00' takes the general parser; 'Z' the fast path.
    assert.deepEqual(parseTimestamp(c), parseTimestamp(c.replace('Z', '+00:00')), c);
  }
  assert.equal(formatInstant(parseTimestamp('2020-08-27T11:40:56.123456789Z')!), '2020-08-27T11:40:56.123456789Z');
  assert.equal(parseTimestamp('2020-08-27T11:40:56.3965432+00:00')!.ns, 543200);
  assert.equal(parseTimestamp('2020-13-27T11:40:56Z'), null);
  assert.equal(parseTimestamp('2020-08-27T25:40:56Z'), null);
});

test('the zone-less fast path (Sysmon UtcTime, nxlog times) agrees with the general parser', () => {
  const cases = [
    '2026-03-02 08:00:00.013', '2026-03-02 08:00:00', '2026-03-02T08:00:00', '2026-03-02 23:59:59.123456789', '2026-03-02 23:59:59.1234567891',
    '2024-02-29 12:00:00.5', '2026-03-02 08:00:60',
  ];
  for (const c of cases) {
    // With `+00:00` the general expression reads it; a time without zone is UTC there too.
    const general = parseTimestamp(`${c}+00:00`);
    assert.ok(general !== null, c);
    assert.deepEqual(parseTimestamp(c), general, c);
  }
  // Shapes the fast path leaves to the general parser keep its answers.
  assert.deepEqual(parseTimestamp('2026-03-02 08:00:00,013'), parseTimestamp('2026-03-02 08:00:00.013'));
  assert.deepEqual(parseTimestamp(' 2026-03-02 08:00:00.013 '), parseTimestamp('2026-03-02 08:00:00.013'));
  assert.equal(parseTimestamp('2026-03-02 08:00:00.'), null);
  assert.equal(parseTimestamp('2026-03-02 08:00:00.01x'), null);
  assert.equal(parseTimestamp('2026-13-02 08:00:00'), null);
  assert.equal(parseTimestamp('2026-03-02 24:00:00'), null);
  assert.equal(parseTimestamp('2026-03-02 08:00:00.013-04:00')!.ms, parseTimestamp('2026-03-02T12:00:00.013Z')!.ms);
  // Numbers in text are still numbers (epoch, FILETIME).
  assert.equal(parseTimestamp('1600000000000')!.ms, 1600000000000);
  assert.deepEqual(parseTimestamp('132430104563965432'), fromFiletime(132430104563965432n));
});

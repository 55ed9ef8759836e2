import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { csvCell, formatAlerts, formatSummary, NdjsonAlertWriter, withDetails } from '../../src/output/format.js';
import { CSV_COLUMNS } from '../../src/output/csv.js';
import { sampleAlert, sampleSummary } from './fixtures.js';

/** Minimal RFC 4180 parser, to check that what we write reads back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

test('CSV quotes commas, quotes and newlines and reads back', () => {
  const tricky = 'C:\\Users\\a "b", c\r\nd\\x.exe';
  const alerts = [sampleAlert(), sampleAlert({ id: 'z', filePath: tricky, host: 'h,1' })];
  const rows = parseCsv(formatAlerts(alerts, 'csv'));
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  const col = (name: string): number => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
  assert.equal(rows[2]![col('file_path')], tricky);
  assert.equal(rows[2]![col('host')], 'h,1');
  assert.equal(rows[1]![col('writer_ip')], '10.20.0.6');
  assert.equal(rows[1]![col('gap_ms')], '214.163');
  for (const r of rows) assert.equal(r.length, CSV_COLUMNS.length);
});

test('CSV defuses spreadsheet formulas from event data', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell(12.5), '12.5');
  assert.equal(csvCell(undefined), '');
});

test('JSON and NDJSON round-trip; 64-bit integers stay exact', () => {
  const a = sampleAlert();
  const big = sampleAlert({ id: 'big', events: [{ file: 'f', event: { winlog: { record_id: 18446744073709551615n }, note: 'x' } }] });
  const json = formatAlerts([a, big], 'json');
  assert.match(json, /"record_id": 18446744073709551615\b/);
  const parsed = JSON.parse(json) as unknown[];
  assert.deepEqual(parsed[0], JSON.parse(JSON.stringify(withDetails(a))));
  assert.equal((parsed[1] as { details: { recordId: string } }).details.recordId, '18446744073709551615', 'details keep the record id exact, as text');
  const lines = formatAlerts([a, big], 'ndjson').trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!), JSON.parse(JSON.stringify(withDetails(a))));
  assert.match(lines[1]!, /"record_id":18446744073709551615\}/);
});

test('a string looking like the bigint marker is left alone', () => {
  const a = sampleAlert({ events: [{ file: 'f', event: { s: '\u0001bigint-000000000000:5' } }] });
  const back = JSON.parse(formatAlerts([a], 'json')) as { events: { event: { s: string } }[] }[];
  assert.equal(back[0]!.events[0]!.event.s, '\u0001bigint-000000000000:5');
});

test('table: aligned columns, no colour unless asked, control characters neutralised', () => {
  const alerts = [
    sampleAlert(),
    sampleAlert({ id: 'b', host: 'srv-file-01', severity: 'high', filePath: 'C:\\Windows\\xKqTbzRd.exe', writer: { ip: '172.16.40.23' }, gapMs: 1520 }),
    sampleAlert({ id: 'c', host: 'evil\u001b[2J\rhost', filePath: 'C:\\a\nb.exe', writer: undefined }),
  ];
  const text = formatAlerts(alerts, 'table');
  assert.doesNotMatch(text, /\u001b/);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 2 + alerts.length);
  const hostCol = lines[0]!.indexOf('HOST');
  const pathCol = lines[0]!.indexOf('PATH');
  assert.equal(lines[2]!.indexOf('ws-0007'), hostCol);
  assert.equal(lines[3]!.indexOf('srv-file-01'), hostCol);
  assert.equal(lines[3]!.indexOf('C:\\Windows\\xKqTbzRd.exe'), pathCol);
  assert.match(lines[4]!, /evil\\u001b\[2J\\rhost/);
  assert.match(lines[3]!, /1\.52 s  Proc: /, "gap, then the details");
  assert.match(lines[2]!, /214 ms  Proc: /);
  const coloured = formatAlerts(alerts, 'table', { color: true });
  assert.match(coloured, /\u001b\[31mhigh/);
  // An alert whose event had no readable time: 'no time' in the table, empty in CSV.
  const timeless = sampleAlert({ id: 'd', firstTime: '', lastTime: '' });
  assert.match(formatAlerts([timeless], 'table').split('\n')[2]!, /^no time\s+medium/);
  assert.equal(parseCsv(formatAlerts([timeless], 'csv'))[1]![CSV_COLUMNS.indexOf('first_time')], '');
});

test('table shrinks long paths to the terminal width, keeping the file name', () => {
  const long = `C:\\${'Very Long Folder\\'.repeat(10)}payload.exe`;
  const text = formatAlerts([sampleAlert({ filePath: long })], 'table', { width: 120 });
  for (const line of text.trimEnd().split('\n')) assert.ok(line.length <= 120, `${line.length}: ${line}`);
  assert.match(text, /….*payload\.exe/);
});

test('summary names counts, speed, skipped input and skipped rules with reasons', () => {
  const text = formatSummary(sampleSummary());
  assert.match(text, /events\s+20,000 in 0\.50 s \(40,000 events\/s\)/);
  assert.match(text, /file-share-remote-exec\s+2/);
  assert.match(text, /malformed-json\s+3/);
  assert.match(text, /odd-rule: unsupported pipe `window`/);
  assert.match(text, /x\.ndjson line 12: Unexpected token/);
  const clean = formatSummary(sampleSummary({ skipped: {}, rulesSkipped: [], problems: [], alertsByRule: {} }));
  assert.match(clean, /alerts\s+0/);
  assert.match(clean, /skipped input\s+none/);
});

test('NdjsonAlertWriter streams one line per alert', async () => {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const w = new NdjsonAlertWriter(sink);
  await w.write(sampleAlert());
  await w.write(sampleAlert({ id: 'second' }));
  await w.end();
  const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
  assert.equal(w.written, 2);
  assert.equal((JSON.parse(lines[1]!) as { id: string }).id, 'second');
});

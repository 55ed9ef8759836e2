/**
 * JSON events behind a syslog header (sources/syslog.ts): every accepted header form is sniffed as
 * `syslog-json` and read to exactly the events the same JSON gives as NDJSON, with the file's line
 * numbers; bad lines are reported and skipped; gzip and streams work; text logs stay unknown; and a
 * hunt over syslog-prefixed real and generated data gives the alerts of the plain data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { discoverInputs, readByteStream, readInput, readNdjsonBytes, sniff } from '../../src/sources/index.js';
import { HEAD_BYTES, NO_HEADER, NO_JSON, syslogJsonStart } from '../../src/sources/syslog.js';
import type { SourceEvent, SourceProblem } from '../../src/sources/types.js';
import { runHunt } from '../../src/hunt/run.js';
import type { HuntResult } from '../../src/hunt/types.js';
import { writeNdjson } from '../../src/demo/generate.js';
import { toJson } from '../../src/cli/common.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { toFlatShape } from '../normalize/helpers.js';
import { collect, pieces, tempDir } from './util.js';

/** The JSON parts: nxlog-style flat records, one with a 64-bit integer beyond 2^53, Unicode, a nested value. */
const JSONS = [
  '{"EventTime":"2026-12-03 10:00:00","Hostname":"WIN-DC01","EventID":4688,"Keywords":-9223372036854775808,"NewProcessName":"C:\\\\Windows\\\\System32\\\\cmd.exe"}',
  '{"EventTime":"2026-12-03 10:00:01","Hostname":"WIN-DC01","EventID":4624,"TargetLogonId":12345678901234567890,"Message":"An account was successfully logged on: é✓"}',
  '{"@timestamp":"2026-12-03T09:00:02.000Z","winlog":{"event_id":"1","channel":"Microsoft-Windows-Sysmon/Operational"},"host":{"name":"ws1"}}',
];

/** Each accepted header form (text before the JSON on a line). */
const HEADERS: Record<string, string> = {
  'RFC 3164, day padded with a space': 'Dec  3 10:00:00 WIN-DC01 nxlog[1234]: ',
  'RFC 3164, two-digit day, tag without pid': 'Dec 13 10:00:00 WIN-DC01 nxlog: ',
  'RFC 3164, zero-padded day, no tag': 'Dec 03 10:00:00 WIN-DC01 ',
  'RFC 3164, a tag with spaces (nxlog SourceName)': 'Dec  3 10:00:00 WIN-DC01 Service Control Manager[0]: ',
  'RFC 3164, tag without a space before the JSON': 'Dec  3 10:00:00 WIN-DC01 winlogbeat:',
  'RFC 3339 high precision (RSYSLOG_FileFormat)': '2026-12-03T10:00:00.123456+01:00 WIN-DC01 nxlog: ',
  'RFC 3339 in UTC': '2026-12-03T09:00:00Z WIN-DC01 nxlog[7]: ',
  '<PRI> + RFC 3164': '<14>Dec  3 10:00:00 host tag: ',
  '<PRI> + RFC 3339 (RSYSLOG_ForwardFormat)': '<13>2026-12-03T10:00:00.123+01:00 host tag[1]: ',
  'RFC 5424 with - structured data': '<14>1 2026-12-03T10:00:00.000Z host app 1234 ID47 - ',
  'RFC 5424 with [sd] blocks': '<165>1 2026-12-03T10:00:00.003+01:00 mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][x@1 a="q\\"]\\\\"] ',
  'RFC 5424, every field nil': '<14>1 - - - - - - ',
  'RFC 5424 with a BOM before the message': '<14>1 2026-12-03T10:00:00Z host app - - - \ufeff',
  'RFC 3164 + @cee:': 'Dec  3 10:00:00 host rsyslogd: @cee: ',
  'RFC 5424 + @cee:': '<14>1 2026-12-03T10:00:00Z host app - - - @cee:',
  '@cee: alone': '@cee: ',
};

function events(got: SourceEvent[]): unknown[] {
  return got.map((e) => ({ event: e.event, position: e.position }));
}

async function asNdjson(lines: string[]): Promise<unknown[]> {
  const { events: got, problems } = await collect((sink) => readNdjsonBytes(pieces(lines.join('\n') + '\n', 1 << 20), 'x', sink));
  assert.deepEqual(problems, []);
  return events(got);
}

/** Read a file through the entry point every command uses: discover (sniff), then readInput. */
async function readPath(path: string): Promise<{ format: string[]; gzip: boolean[]; events: SourceEvent[]; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  const files = await discoverInputs([path], (p) => problems.push(p));
  const got: SourceEvent[] = [];
  for (const f of files) for await (const b of readInput(f, (p) => problems.push(p))) got.push(...b);
  return { format: files.map((f) => f.format), gzip: files.map((f) => f.gzip), events: got, problems };
}

test('syslog: every header form is sniffed as syslog-json and read to the events of the same JSON as NDJSON', async () => {
  const t = tempDir();
  try {
    const want = await asNdjson(JSONS);
    assert.equal((want[1] as { event: Record<string, unknown> }).event['TargetLogonId'], 12345678901234567890n, '64-bit integer exact');
    assert.equal((want[0] as { event: Record<string, unknown> }).event['Keywords'], -9223372036854775808n);
    for (const [name, header] of Object.entries(HEADERS)) {
      for (const eol of ['\n', '\r\n']) {
        const text = JSONS.map((j) => header + j).join(eol) + eol;
        assert.equal(sniff(Buffer.from(text)).format, 'syslog-json', name);
        const f = t.file('a.log', text);
        const r = await readPath(f);
        assert.deepEqual(r.format, ['syslog-json'], name);
        assert.deepEqual(r.problems, [], name);
        assert.deepEqual(events(r.events), want, `${name} ${JSON.stringify(eol)}`);
      }
      // Lines cut anywhere by the stream's chunks.
      for (const size of [1, 2, 5, 64, 1000]) {
        const { events: got, problems } = await collect((sink) => readByteStream(pieces(JSONS.map((j) => header + j).join('\n'), size), 's', sink));
        assert.deepEqual(problems, [], `${name} in pieces of ${size}`);
        assert.deepEqual(events(got), want, `${name} in pieces of ${size}`);
      }
    }
  } finally {
    t.cleanup();
  }
});

test('syslog: where the JSON starts, per header; headers that do not match', () => {
  const j = '{"a":1}';
  for (const [name, header] of Object.entries(HEADERS)) assert.equal(syslogJsonStart(header + j), header.length, name);
  // A header, then no JSON.
  assert.equal(syslogJsonStart('Dec  3 10:00:00 host sshd[42]: Accepted password for root'), NO_JSON);
  assert.equal(syslogJsonStart('<14>1 2026-12-03T10:00:00Z host app - - - hello {"a":1}'), NO_JSON);
  assert.equal(syslogJsonStart('2026-12-03T10:00:00Z host'), NO_JSON);
  // Not a syslog header.
  for (const line of [
    'Dec  3 10:00 host tag: {"a":1}', // no seconds
    'Foo  3 10:00:00 host tag: {"a":1}', // no month
    '2026-12-03 10:00:00 INFO starting {"a":1}', // a space instead of T: an application log
    ' Dec  3 10:00:00 host tag: {"a":1}', // not at the line start
    'text {"a":1}',
    '127.0.0.1 - - [03/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 2 "-" "{"',
    '<14>1 2026-12-03T10:00:00Z host app - - [unclosed x="1" {"a":1}',
    '@ce: {"a":1}',
    '',
  ])
    assert.equal(syslogJsonStart(line), NO_HEADER, line);
  // The JSON must start within the line's first HEAD_BYTES bytes.
  const long = `<14>1 2026-12-03T10:00:00Z host app - - [x@1 a="${'y'.repeat(HEAD_BYTES)}"] `;
  assert.equal(syslogJsonStart(long + j), NO_JSON);
});

test('syslog: bad lines are reported at their line with a reason and skipped; their neighbours are kept', async () => {
  const t = tempDir();
  try {
    const h = 'Dec  3 10:00:00 WIN-DC01 nxlog[1234]: ';
    const lines = [
      h + JSONS[0], // 1
      'Dec  3 10:00:01 WIN-DC01 sshd[42]: Accepted password for root', // 2: header, no JSON
      'a plain text line', // 3: neither
      h + '{"EventID":4688,', // 4: broken JSON
      h + JSONS[1], // 5
      '', // 6: blank
      '   ', // 7: blank
      h + '[1,2]', // 8: a header, then no object
      h + JSONS[2], // 9
      h + JSONS[0], // 10
      h + JSONS[1], // 11
    ];
    const f = t.file('bad.log', lines.join('\n'));
    const r = await readPath(f);
    assert.deepEqual(r.format, ['syslog-json']);
    assert.deepEqual(r.events.map((e) => e.position), [1, 5, 9, 10, 11]);
    assert.deepEqual(r.events.map((e) => e.event), (await asNdjson([...JSONS, JSONS[0]!, JSONS[1]!])).map((e) => (e as { event: unknown }).event));
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.file, p.where, p.skipped]),
      [
        ['malformed-json', f, 'line 2', true],
        ['malformed-json', f, 'line 3', true],
        ['malformed-json', f, 'line 4', true],
        ['malformed-json', f, 'line 8', true],
      ],
    );
    assert.match(r.problems[0]!.message, /^no JSON after the syslog header \(line skipped: "Dec {2}3 10:00:01 WIN-DC01 sshd\[42\]: Accepted/);
    assert.match(r.problems[1]!.message, /^neither JSON nor a syslog header followed by JSON \(line skipped: "a plain text line"\)/);
    // The JSON part's parse error, as for an NDJSON line (the header is not in the preview).
    assert.match(r.problems[2]!.message, /line skipped: "\{\\"EventID\\":4688,"\)$/);
    assert.match(r.problems[3]!.message, /^no JSON after the syslog header/, 'JSON that is not an object is not taken after a header');
  } finally {
    t.cleanup();
  }
});

test('syslog: a mixed file (plain JSON lines among syslog lines), a BOM, and NUL bytes before a line', async () => {
  const t = tempDir();
  try {
    const lines = [HEADERS['RFC 3164, day padded with a space'] + JSONS[0], JSONS[1], HEADERS['RFC 5424 with [sd] blocks'] + JSONS[2], `  ${JSONS[0]}`];
    const f = t.file('mixed.log', '\ufeff' + lines.join('\r\n') + '\r\n');
    const r = await readPath(f);
    assert.deepEqual(r.format, ['syslog-json']);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(events(r.events), await asNdjson([JSONS[0]!, JSONS[1]!, JSONS[2]!, JSONS[0]!]));
    // A zero-filled region (a crash while writing) before a syslog line: the NULs are reported, the line read.
    const nul = t.file('nul.log', `${lines[0]}\n${'\u0000'.repeat(5000)}${lines[2]}\n${lines[1]}\n`);
    const n = await readPath(nul);
    assert.deepEqual(events(n.events), await asNdjson([JSONS[0]!, JSONS[2]!, JSONS[1]!]));
    assert.deepEqual(n.problems.map((p) => [p.kind, p.where, p.skipped]), [['nul-bytes', 'line 2', false]]);
  } finally {
    t.cleanup();
  }
});

test('syslog: gzip files, stdin-like streams, gzip streams, UTF-16LE, and an event longer than the sniffed head', async () => {
  const t = tempDir();
  try {
    const text = JSONS.map((j, i) => Object.values(HEADERS)[i * 4]! + j).join('\n') + '\n';
    const want = await asNdjson(JSONS);
    const f = t.file('messages.log.gz', gzipSync(Buffer.from(text)));
    const r = await readPath(f);
    assert.deepEqual([r.format, r.gzip], [['syslog-json'], [true]]);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(events(r.events), want);
    for (const data of [Buffer.from(text), gzipSync(Buffer.from(text))]) {
      const { events: got, problems } = await collect((sink) => readByteStream(pieces(data, 7), '-', sink));
      assert.deepEqual(problems, []);
      assert.deepEqual(events(got), want);
    }
    // UTF-16LE with a byte order mark (PowerShell's Out-File), re-encoded before the headers are cut.
    const u = t.file('utf16.log', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const ur = await readPath(u);
    assert.deepEqual(ur.format, ['syslog-json']);
    assert.deepEqual(ur.problems, []);
    assert.deepEqual(events(ur.events), want);
    // A long event (the sniffed head holds none of it whole) is still recognised and read.
    const big = `{"EventID":4104,"ScriptBlockText":"${'A'.repeat(200_000)}"}`;
    const g = t.file('big.log', `Dec  3 10:00:00 host nxlog: ${big}\nDec  3 10:00:00 host nxlog: ${JSONS[0]}\n`);
    const b = await readPath(g);
    assert.deepEqual(b.format, ['syslog-json']);
    assert.deepEqual(events(b.events), await asNdjson([big, JSONS[0]!]));
  } finally {
    t.cleanup();
  }
});

test('syslog sniffing: text logs and text with braces are not syslog-json; a broken first line followed by a good one is', async () => {
  const t = tempDir();
  try {
    const notSyslog: Record<string, string> = {
      'syslog text messages': 'Dec  3 10:00:00 host sshd[42]: Accepted password for root from 10.0.0.1\nDec  3 10:00:01 host sshd[42]: session opened\n',
      'syslog text with braces': 'Dec  3 10:00:00 host app: {not json} at all\nDec  3 10:00:01 host app: {"still": broken\n',
      'an application log with JSON after text': '2026-12-03 10:00:00 INFO request {"a":1}\n2026-12-03 10:00:01 INFO request {"a":2}\n',
      'text then JSON': 'hello {"a":1}\n',
      'an Apache access log': '127.0.0.1 - - [03/Dec/2026:10:00:00 +0000] "GET /{x} HTTP/1.1" 200 2\n',
      'key=value': 'time=2026-12-03T10:00:00Z level=info msg="{\\"a\\":1}"\n',
      'a README': '# spoor\n\nThreat detection for {Windows} logs.\n',
    };
    for (const [name, text] of Object.entries(notSyslog)) {
      const s = sniff(Buffer.from(text));
      assert.equal(s.format, null, name);
      const r = await readPath(t.file('x.log', text));
      assert.deepEqual(r.format, [], name);
      assert.deepEqual(r.problems.map((p) => p.kind), ['unknown-format'], name);
      assert.match(r.problems[0]!.message, /not JSON, XML or EVTX; skipped$/, name);
    }
    // `<PRI>` with text: not syslog-json (sniffed as before: it starts with `<`).
    assert.notEqual(sniff(Buffer.from('<14>Dec  3 10:00:00 host sshd[1]: text\n')).format, 'syslog-json');
    // Plain NDJSON and XML are sniffed as before.
    assert.equal(sniff(Buffer.from(`${JSONS[0]}\n`)).format, 'ndjson');
    assert.equal(sniff(Buffer.from('<Events><Event/></Events>')).format, 'xml');
    // A broken first event, a good second: syslog-json, and the first line reported when read.
    const text = `Dec  3 10:00:00 host nxlog: {"EventID":\nDec  3 10:00:00 host nxlog: ${JSONS[0]}\n`;
    assert.equal(sniff(Buffer.from(text)).format, 'syslog-json');
    const r = await readPath(t.file('broken-first.log', text));
    assert.deepEqual(r.events.map((e) => e.position), [2]);
    assert.deepEqual(r.problems.map((p) => p.where), ['line 1']);
    // Fewer than half of the first lines are syslog lines with JSON: not syslog-json.
    assert.equal(sniff(Buffer.from(`Dec  3 10:00:00 host nxlog: ${JSONS[0]}\n${'Dec  3 10:00:00 host sshd[1]: text\n'.repeat(2)}`)).format, null);
    // Two broken lines: not syslog-json.
    assert.equal(sniff(Buffer.from(`Dec  3 10:00:00 host nxlog: {"a":\nDec  3 10:00:00 host nxlog: {"b":\n`)).format, null);
  } finally {
    t.cleanup();
  }
});

/** What an alert says, without the input file's name (the two runs read different files). */
function alertViews(r: HuntResult): string[] {
  return r.alerts
    .map((a) =>
      toJson({
        ruleId: a.ruleId,
        host: a.host,
        severity: a.severity,
        filePath: a.filePath,
        firstTime: a.firstTime,
        lastTime: a.lastTime,
        events: a.events.map((e) => ({ position: e.position, event: e.event })),
      }),
    )
    .sort();
}

/** Each line behind a header, the forms taking turns (a rsyslog file of several senders). */
function withHeaders(ndjson: string): string {
  const forms = Object.values(HEADERS);
  return ndjson
    .split('\n')
    .map((l, i) => (l.length === 0 ? l : forms[i % forms.length] + l))
    .join('\n');
}

test('hunt: real Windows events (EVTX-ATTACK-SAMPLES as flat nxlog JSON) behind syslog headers give the alerts of the plain JSON', async (t) => {
  const samples = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', 'Lateral Movement');
  const sigma = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  if (!samples || !sigma) return;
  const dir = tempDir();
  try {
    // nxlog's flat shape (EventID, Channel, Hostname, EventTime, EventData top level) of the real records.
    const lines: string[] = [];
    for (const f of await discoverInputs([samples], () => {})) for await (const b of readInput(f, () => {})) for (const se of b) lines.push(toJson(toFlatShape(se.event)));
    const plain = dir.file('flat.ndjson', lines.join('\n') + '\n');
    const syslog = dir.file('flat.log', withHeaders(readFileSync(plain, 'utf8')));
    const opts = { workers: 0, hunting: true, sigmaDirs: [sigma] };
    const a = await runHunt({ ...opts, inputs: [plain] });
    const b = await runHunt({ ...opts, inputs: [syslog] });
    assert.ok(a.alerts.length >= 50, `the real data raises alerts (${a.alerts.length})`);
    assert.equal(b.summary.events, a.summary.events);
    assert.deepEqual(b.summary.skipped ?? {}, a.summary.skipped ?? {});
    assert.deepEqual(alertViews(b), alertViews(a));
  } finally {
    dir.cleanup();
  }
});

test('hunt: the generated nxlog fleet behind syslog headers gives the alerts of the plain file, with and without the prefilter, in threads too', async () => {
  const dir = tempDir();
  try {
    const plain = join(dir.dir, 'nxlog.ndjson');
    await writeNdjson({ events: 3_000, hosts: 12, seed: 7, format: 'nxlog' }, plain);
    const syslog = dir.file('nxlog.log', withHeaders(readFileSync(plain, 'utf8')));
    const a = await runHunt({ inputs: [plain], workers: 0 });
    const b = await runHunt({ inputs: [syslog], workers: 0 });
    const off = await runHunt({ inputs: [syslog], workers: 0, prefilter: false });
    const threads = await runHunt({ inputs: [syslog], workers: 2 });
    assert.ok(a.alerts.length >= 2, `the planted attacks are found (${a.alerts.length})`);
    assert.deepEqual(alertViews(b), alertViews(a));
    assert.deepEqual(alertViews(off), alertViews(a), 'without the prefilter');
    assert.deepEqual(alertViews(threads), alertViews(a), 'in worker threads');
    assert.equal(b.summary.events, a.summary.events);
    assert.equal(b.summary.prefiltered, a.summary.prefiltered, 'the line filter works on the JSON parts as on NDJSON lines');
    // Not vacuous: the file really is read as syslog-json.
    const files = await discoverInputs([syslog], () => {});
    assert.deepEqual(files.map((f) => f.format), ['syslog-json']);
    writeFileSync(syslog, readFileSync(syslog, 'utf8').replace(/\{/, 'x{'));
    const broken = await runHunt({ inputs: [syslog], workers: 0 });
    assert.equal(broken.summary.events, a.summary.events - 1, 'a line with a broken header is one event fewer');
  } finally {
    dir.cleanup();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readXmlEvents } from '../../src/sources/xml/index.js';
import { decodeEntities } from '../../src/sources/xml/tokenizer.js';
import { collect, pieces } from './util.js';

const SYSMON_11 = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>11</EventID><Version>2</Version><Level>4</Level><Task>11</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2020-08-27T11:40:56.3965432Z'/><EventRecordID>263572</EventRecordID><Correlation/><Execution ProcessID='3208' ThreadID='1724'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>host-a</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'>-</Data><Data Name='ProcessGuid'>{0197231e-c424-69e1-c922-000000000800}</Data><Data Name='ProcessId'>4</Data><Data Name='Image'>System</Data><Data Name='TargetFilename'>C:\\Windows\\PSEXESVC.exe</Data><Data Name='Note'>a &lt;b&gt; &amp; &quot;c&quot; &#65;&#x42;<![CDATA[ <raw> & ]]></Data><Data Name='Empty'></Data></EventData></Event>`;

const SYSTEM_7036 = `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Service Control Manager" Guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}" EventSourceName="Service Control Manager"/>
    <EventID Qualifiers="16384">7036</EventID>
    <Level>4</Level>
    <Keywords>0x8080000000000000</Keywords>
    <TimeCreated SystemTime="2021-01-01T00:00:00.000000000Z"/>
    <EventRecordID>12</EventRecordID>
    <Channel>System</Channel>
    <Computer>host-b</Computer>
    <Security/>
  </System>
  <EventData>
    <Data>Windows Update</Data>
    <Data>running</Data>
    <Binary>770075006100</Binary>
  </EventData>
</Event>`;

test('wevtutil XML (no root element) → evtx_dump JSON shape with numbers where evtx_dump has them', async () => {
  const text = `${SYSMON_11}\r\n${SYSTEM_7036}\n`;
  for (const size of [1, 13, 4096]) {
    const { events, problems } = await collect((sink) => readXmlEvents(pieces(text, size), 'sec.xml', sink));
    assert.deepEqual(problems, [], `chunk size ${size}`);
    assert.equal(events.length, 2);
    const ev = events[0]!.event as { Event: Record<string, any> };
    assert.deepEqual(ev.Event['#attributes'], { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' });
    const sys = ev.Event.System;
    assert.deepEqual(sys.Provider, { '#attributes': { Name: 'Microsoft-Windows-Sysmon', Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' } });
    assert.equal(sys.EventID, 11);
    assert.equal(sys.Version, 2);
    assert.equal(sys.Level, 4);
    assert.equal(sys.Task, 11);
    assert.equal(sys.Opcode, 0);
    assert.equal(sys.Keywords, '0x8000000000000000');
    assert.deepEqual(sys.TimeCreated, { '#attributes': { SystemTime: '2020-08-27T11:40:56.3965432Z' } });
    assert.equal(sys.EventRecordID, 263572);
    assert.equal(sys.Correlation, null);
    assert.deepEqual(sys.Execution, { '#attributes': { ProcessID: 3208, ThreadID: 1724 } });
    assert.equal(sys.Computer, 'host-a');
    assert.deepEqual(sys.Security, { '#attributes': { UserID: 'S-1-5-18' } });
    const data = ev.Event.EventData;
    assert.equal(data.ProcessId, '4', 'EventData stays text: XML has no types');
    assert.equal(data.ProcessGuid, '0197231E-C424-69E1-C922-000000000800');
    assert.equal(data.TargetFilename, 'C:\\Windows\\PSEXESVC.exe');
    assert.equal(data.Note, 'a <b> & "c" AB <raw> & ');
    assert.equal(data.Empty, '');
    const sys2 = (events[1]!.event as { Event: Record<string, any> }).Event;
    assert.deepEqual(sys2.System.EventID, { '#attributes': { Qualifiers: 16384 }, '#text': 7036 });
    assert.equal(sys2.System.Security, null);
    assert.deepEqual(sys2.EventData, { Binary: '770075006100', Data: { '#text': ['Windows Update', 'running'] } });
    assert.deepEqual(events.map((e) => e.position), [1, 2]);
  }
});

test('<Events> wrapper with XML declaration, comments, and a broken event in the middle', async () => {
  const text = `<?xml version="1.0" encoding="utf-8"?>\n<!-- exported -->\n<Events>\n${SYSMON_11}\n<Event><System><EventID>1</Level></System></Event>\n<Event><System><EventID>2</EventID><Computer>a &bogus; b</Computer></System></Event>\n${SYSTEM_7036}\n</Events>\n`;
  const { events, problems } = await collect((sink) => readXmlEvents(pieces(text, 50), 'w.xml', sink));
  assert.equal(events.length, 2);
  assert.equal((events[1]!.event as any).Event.System.Computer, 'host-b');
  assert.deepEqual(problems.map((p) => [p.kind, p.where]), [
    ['malformed-xml', 'line 5'],
    ['malformed-xml', 'line 6'],
  ]);
  assert.match(problems[0]!.message, /<\/Level> does not close <EventID>/);
  assert.match(problems[1]!.message, /unknown entity &bogus;/);
});

test('a broken event does not swallow the events after it: unclosed quote, cut-off event, lost </Event>, unclosed comment or CDATA', async () => {
  const ev = (i: number): string => `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4688</EventID><EventRecordID>${i}</EventRecordID><Computer>h</Computer></System><EventData><Data Name="NewProcessName">C:\\x${i}.exe</Data><Data Name="CommandLine">a &amp; b</Data></EventData></Event>`;
  const breakers: [string, (e: string) => string, RegExp][] = [
    ['unclosed quote', (e) => e.replace('Name="NewProcessName"', 'Name="NewProcessName'), /attribute value not closed/],
    ['cut-off event', (e) => e.slice(0, e.indexOf('CommandLine') + 4), /attribute value not closed|not closed before the next event/],
    ['lost </Event>', (e) => e.replace('</Event>', ''), /<Event> not closed before the next event at line \d+; event starting at line \d+ skipped/],
    ['unclosed comment', (e) => e.replace('<EventData>', '<EventData><!-- '), /comment not closed before the next <Event>/],
    ['unclosed CDATA', (e) => e.replace('<EventData>', '<EventData><![CDATA['), /input ends inside markup/],
  ];
  for (const [what, breakIt, message] of breakers) {
    for (const [shape, sep] of [['one per line', '\n'], ['one line', '']] as const) {
      const text = `<Events>${sep}${Array.from({ length: 10 }, (_, i) => (i === 5 ? breakIt(ev(i + 1)) : ev(i + 1))).join(sep)}${sep}</Events>${sep}`;
      for (const size of [13, 256, 65536]) {
        const { events, problems } = await collect((sink) => readXmlEvents(pieces(text, size), 'b.xml', sink));
        const ids = events.map((e) => ((e.event as { Event: { System: { EventRecordID: number } } }).Event.System.EventRecordID));
        assert.deepEqual(ids, [1, 2, 3, 4, 5, 7, 8, 9, 10], `${what}, ${shape}, chunks of ${size}`);
        assert.equal(problems.length, 1, `${what}, ${shape}: ${JSON.stringify(problems)}`);
        assert.match(problems[0]!.message, message, what);
        if (shape === 'one per line') assert.equal(problems[0]!.where, 'line 7', what);
      }
    }
  }
});

test('truncated XML: the unfinished event is reported', async () => {
  const { events, problems } = await collect((sink) => readXmlEvents(pieces(`${SYSMON_11}\n<Event><System><EventID>4`, 100), 't.xml', sink));
  assert.equal(events.length, 1);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.kind, 'malformed-xml');
  assert.equal(problems[0]!.where, 'line 2');
});

test('entities: predefined and numeric references decode; bad ones throw', () => {
  assert.equal(decodeEntities('&lt;&gt;&amp;&quot;&apos;&#233;&#x1F600;'), `<>&"'é😀`);
  assert.throws(() => decodeEntities('a & b'));
  assert.throws(() => decodeEntities('&nope;'));
  assert.throws(() => decodeEntities('&#xZZ;'));
});

test('attributes: either quote, spaces around =, entities; missing whitespace between attributes is an error', async () => {
  const good = `<Event><System><Provider Name = "a&amp;b" Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}' /><EventID>1</EventID></System></Event>`;
  const bad = `<Event><System><Provider Name="a"Guid="b"/></System></Event>`;
  const { events, problems } = await collect((sink) => readXmlEvents(pieces(`${good}${bad}${good}`, 7), 'a.xml', sink));
  assert.equal(events.length, 2);
  assert.deepEqual((events[0]!.event as any).Event.System.Provider['#attributes'], { Name: 'a&b', Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /bad attribute syntax/);
  assert.equal(problems[0]!.where, 'line 1');
});

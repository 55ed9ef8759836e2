import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventSummaryRow, renderTable, StreamingTable } from '../../src/cli/table.js';

test('renderTable aligns columns and leaves the last one unpadded', () => {
  assert.equal(renderTable([['a', 'bb', 'x'], ['ccc', 'd', 'yy']]), 'a    bb  x\nccc  d   yy');
  assert.equal(renderTable([]), '');
});

test('StreamingTable keeps the widest cell seen so far, so later rows line up with earlier ones', () => {
  const t = new StreamingTable();
  assert.equal(t.render([['host-long', '1', 'a']]), 'host-long  1  a');
  assert.equal(t.render([['h', '22', 'b']]), 'h          22  b');
  assert.equal(t.render([['h', '3', 'c']]), 'h          3   c');
});

test('eventSummaryRow reads ECS, native and Endgame field names', () => {
  const ecs = { host: { name: 'ws1' }, event: { category: ['process'], type: ['start'] }, process: { pid: 4, executable: 'C:\\x.exe' } };
  assert.deepEqual(eventSummaryRow(ecs, 't'), ['t', 'ws1', 'process', 'start', '4', 'C:\\x.exe']);
  const native = { Computer: 'ws2', EventID: 4688, NewProcessName: 'C:\\y.exe' };
  assert.deepEqual(eventSummaryRow(native, ''), ['', 'ws2', '4688', '', '', 'C:\\y.exe']);
  const endgame = { event_type: 'process', subtype: 'create', pid: 9, process_path: 'C:\\z.exe' };
  assert.deepEqual(eventSummaryRow(endgame, ''), ['', '', 'process', 'create', '9', 'C:\\z.exe']);
});

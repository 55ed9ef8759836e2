/**
 * completeEcs and deriveCommon read a nested-only event with direct property walks
 * (normalize/ecs.ts completeNested, normalize/derive.ts deriveNested) instead of a reader closure
 * per path: they must complete every event exactly as the reader version did, field values and
 * the order keys were added in (alerts print the events' keys in that order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeEcs } from '../../src/normalize/ecs.js';
import { deriveCommon } from '../../src/normalize/derive.js';
import { getPath, readerFor, setPath, type Obj, type Reader } from '../../src/normalize/util.js';
import { generateEvents } from '../../src/demo/generate.js';

/** completeEcs before the change, verbatim (reader closure, deriveCommon through it). */
function referenceComplete(ev: Obj): Obj {
  const read = readerFor(ev);
  const str = (path: string[]): string | undefined => {
    const v = read(path);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  if (read(['host', 'id']) === undefined) {
    const name = str(['host', 'name']);
    if (name !== undefined) setPath(ev, ['host', 'id'], name.toLowerCase());
  }
  if (read(['host', 'os', 'type']) === undefined) {
    const os = (str(['host', 'os', 'family']) ?? str(['host', 'os', 'platform']))?.toLowerCase();
    if (os === 'windows') setPath(ev, ['host', 'os', 'type'], 'windows');
  }
  deriveCommon(ev, read);
  return ev;
}

/** Seeded variations of the fields completion reads: missing, null, empty, arrays, scalars in the way. */
function variants(seed: number, base: Obj[]): Obj[] {
  let s = seed;
  const rnd = (k: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % k;
  };
  const odd: unknown[] = [undefined, null, '', 'C:\\x\\y.EXE', 'noslash', 'C:\\dir\\', '"C:\\a b\\c.exe" -x "y z"', 42, [], ['a'], {}, 'WINDOWS', 'Windows'];
  const paths = [
    ['host'], ['host', 'id'], ['host', 'name'], ['host', 'os'], ['host', 'os', 'type'], ['host', 'os', 'family'], ['host', 'os', 'platform'],
    ['process'], ['process', 'executable'], ['process', 'name'], ['process', 'command_line'], ['process', 'args'],
    ['process', 'parent'], ['process', 'parent', 'executable'], ['process', 'parent', 'name'], ['process', 'parent', 'command_line'], ['process', 'parent', 'args'],
    ['Target'], ['Target', 'process'], ['Target', 'process', 'executable'], ['Target', 'process', 'name'],
    ['file'], ['file', 'path'], ['file', 'name'], ['file', 'directory'], ['file', 'extension'],
  ];
  const out: Obj[] = [];
  for (const ev of base) {
    for (let k = 0; k < 3; k++) {
      const v = structuredClone(ev);
      for (let j = rnd(5); j > 0; j--) {
        const path = paths[rnd(paths.length)]!;
        const value = odd[rnd(odd.length)];
        const parent = getPath(v, path.slice(0, -1));
        if (parent !== null && typeof parent === 'object') {
          if (value === undefined) delete (parent as Obj)[path[path.length - 1]!];
          else (parent as Obj)[path[path.length - 1]!] = structuredClone(value);
        } else setPath(v, path, structuredClone(value));
      }
      out.push(v);
    }
  }
  return out;
}

test('completeEcs on nested events completes exactly as the reader version did', () => {
  const base = [...generateEvents({ events: 1500, hosts: 20, seed: 5 }).events] as Obj[];
  const extra: Obj[] = [
    {},
    { host: { name: 'WS-1', os: { platform: 'windows' } }, process: { executable: 'C:\\w\\cmd.exe', command_line: 'cmd /c x', parent: { executable: 'p.exe', command_line: 'p' } } },
    { host: 'scalar', process: ['array'], file: { path: 'C:\\a\\b.TXT' }, Target: { process: { executable: 'C:\\t.exe' } } },
    { host: { id: null, name: 'X', os: { type: null, family: 'Windows' } }, file: { path: 'b', name: null, directory: null, extension: null } },
  ];
  let n = 0;
  for (const ev of [...base, ...extra, ...variants(9, base.slice(0, 500)), ...variants(13, extra)]) {
    const a = completeEcs(structuredClone(ev));
    const b = referenceComplete(structuredClone(ev));
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(a), JSON.stringify(b)); // same key order
    n++;
  }
  assert.ok(n > 3000);
});

test('deriveCommon without a reader is deriveCommon through getPath', () => {
  const base = [...generateEvents({ events: 600, hosts: 10, seed: 21 }).events] as Obj[];
  for (const ev of variants(3, base)) {
    const a = structuredClone(ev);
    const b = structuredClone(ev);
    deriveCommon(a);
    const read: Reader = (p) => getPath(b, p);
    deriveCommon(b, read);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(a, b);
  }
});

test('completeEcs on an event with a dotted top-level key still reads through the dotted keys', () => {
  const ev: Obj = { 'process.executable': 'C:\\w\\a.exe', 'host.name': 'H', 'host.os.family': 'windows' };
  completeEcs(ev);
  assert.deepEqual(ev, { 'process.executable': 'C:\\w\\a.exe', 'host.name': 'H', 'host.os.family': 'windows', host: { id: 'h', os: { type: 'windows' } }, process: { name: 'a.exe' } });
});

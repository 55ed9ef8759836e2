/**
 * fileBytes: descriptors held between blocks are bounded (HELD_MAX per thread, least recently read
 * closed first and reopened for its next block); under the bound a file deleted while it is read
 * is still read whole; a file replaced at its path after its descriptor was given up ends the read
 * with an error, never with another file's bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileBytes, heldDescriptors, HELD_MAX } from '../../src/sources/bytes.js';
import { tempDir } from './util.js';

const content = (i: number): Buffer => Buffer.from(`${String(i).padStart(4, '0')}:`.repeat(500)); // 2,500 bytes

test('many files read at once hold at most HELD_MAX descriptors, and every byte is read', async () => {
  const t = tempDir();
  try {
    const n = HELD_MAX * 3;
    const its = Array.from({ length: n }, (_, i) => fileBytes(t.file(`f${i}`, content(i)), undefined, undefined, false, 1000)[Symbol.asyncIterator]());
    const got: Buffer[][] = Array.from({ length: n }, () => []);
    let live = n;
    // Round robin, one block each, as a merge of many files reads them.
    while (live > 0) {
      live = 0;
      for (let i = 0; i < n; i++) {
        const r = await its[i]!.next();
        if (r.done) continue;
        live++;
        got[i]!.push(Buffer.from(r.value));
        assert.ok(heldDescriptors() <= HELD_MAX, `${heldDescriptors()} descriptors held`);
      }
    }
    assert.equal(heldDescriptors(), 0, 'all given back at the end');
    for (let i = 0; i < n; i++) assert.ok(Buffer.concat(got[i]!).equals(content(i)), `file ${i}`);
  } finally {
    t.cleanup();
  }
});

test('a file deleted while it is read is read whole; one replaced after its descriptor was given up is an error', async () => {
  const t = tempDir();
  try {
    const path = t.file('log', content(7));
    const it = fileBytes(path, undefined, undefined, false, 1000)[Symbol.asyncIterator]();
    const first = await it.next();
    unlinkSync(path); // rotated away: the held descriptor still reads it
    const rest: Buffer[] = [Buffer.from(first.value as Buffer)];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(Buffer.from(r.value));
    assert.ok(Buffer.concat(rest).equals(content(7)));

    // Its descriptor given up (more than HELD_MAX files read since), then another file at its path.
    const victim = t.file('victim', content(1));
    const v = fileBytes(victim, undefined, undefined, false, 1000)[Symbol.asyncIterator]();
    await v.next();
    const others = Array.from({ length: HELD_MAX }, (_, i) => fileBytes(t.file(`o${i}`, content(i)), undefined, undefined, false, 1000)[Symbol.asyncIterator]());
    for (const o of others) await o.next();
    writeFileSync(`${victim}.new`, content(2));
    renameSync(`${victim}.new`, victim);
    await assert.rejects(v.next(), /was replaced by another file while being read \(at byte 1000\)/);
    for (const o of others) await o.return?.(undefined);
    assert.equal(heldDescriptors(), 0);
  } finally {
    t.cleanup();
  }
});

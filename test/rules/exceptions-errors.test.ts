/**
 * A user's exceptions file with mistakes: every wrong type names the key and FILE:LINE:COL, YAML
 * syntax errors print the line and a caret (no stack), unknown keys get the closest known key,
 * and the good entries around the bad ones still apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExceptions } from '../../src/rules/index.js';
import { tempDir } from '../helpers/temp.js';

function file(text: string): string {
  const p = join(tempDir('spoor-exc-'), 'tuning.yml');
  writeFileSync(p, text);
  return p;
}

test('wrong types are errors naming the key and file:line:col; good entries still apply', () => {
  const p = file("hosts: ['build-*']\npaths: 42\nrules:\n  r1:\n    accounts: [alice, 7, {x: 1}]\n    hosts: true\n  r2: [a]\n");
  const ex = loadExceptions(p);
  assert.deepEqual(ex.global.hosts, ['build-*']);
  assert.deepEqual(ex.global.paths, [], 'a number is not taken as a path');
  assert.deepEqual(ex.rules.r1?.accounts, ['alice']);
  assert.deepEqual(ex.problems, [
    `${p}:2:8: paths: expected a string or a list of strings, got number 42 (quote it for text: '42'); ignored`,
    `${p}:5:23: rules.r1.accounts[1]: expected a string, got number 7 (quote it for text: '7'); entry ignored`,
    `${p}:5:26: rules.r1.accounts[2]: expected a string, got a mapping; entry ignored`,
    `${p}:6:12: rules.r1.hosts: expected a string or a list of strings, got boolean true (quote it for text: 'true'); ignored`,
    `${p}:7:7: rules.r2: expected a mapping (trusted_signers, paths, hosts, accounts), got a list`,
  ]);
});

test('unknown keys name the closest known key; a non-mapping file says what it expected', () => {
  const p = file('pahts: [x]\nrules:\n  r1:\n    acounts: [y]\n');
  assert.deepEqual(loadExceptions(p).problems, [
    `${p}:1:1: unknown key 'pahts' (expected trusted_signers, paths, hosts, accounts, rules); did you mean 'paths'?; ignored`,
    `${p}:4:5: unknown key 'rules.r1.acounts' (expected trusted_signers, paths, hosts, accounts); did you mean 'accounts'?; ignored`,
  ]);
  const list = file('- a\n- b\n');
  assert.match(loadExceptions(list).problems[0]!, new RegExp(`^${list.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: expected a YAML mapping at the top level`));
});

test('a key that is a list or a map is named as such, not as the key \'undefined\'', () => {
  const p = file('hosts: [a]\n[x, y]: 1\n');
  const ex = loadExceptions(p);
  assert.deepEqual(ex.global.hosts, ['a']);
  assert.deepEqual(ex.problems, [`${p}:2:1: a key must be a single value, not a list or a map (expected trusted_signers, paths, hosts, accounts, rules); ignored`]);
});

test('a YAML syntax error: file:line:col, the line and a caret under the column, no stack', () => {
  const p = file("hosts: ['a'\npaths: [b]\n");
  const [msg, ...rest] = loadExceptions(p).problems;
  assert.equal(rest.length, 0);
  const lines = msg!.split('\n');
  assert.match(lines[0]!, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML: `));
  assert.equal(lines.length, 3, msg);
  const [, line, col] = /:(\d+):(\d+): YAML/.exec(lines[0]!)!;
  const source = "hosts: ['a'\npaths: [b]\n".split('\n')[Number(line) - 1]!;
  assert.equal(lines[1], `  ${source}`);
  assert.equal(lines[2], `  ${' '.repeat(Number(col) - 1)}^`);
  assert.doesNotMatch(msg!, /\bat .*\.js/);
});

/**
 * The built-in file-share rules against Elastic's original query (read from ../shared): the
 * extension and MZ-header rules together select exactly Elastic's first stage and never overlap,
 * and the list-driven exclusions select exactly Elastic's second stage wherever the signature
 * fields are present. Where they are missing, our guarded exclusions keep the event (as
 * Elasticsearch's must_not does) instead of letting a three-valued `not null` drop it. One
 * intended difference: a writer with no pid but named "System" counts as PID 4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { Query } from '../../src/ir/types.js';
import type { Event } from '../../src/events/field.js';
import { parseEql } from '../../src/eql/index.js';
import { compilePredicate } from '../../src/engine/index.js';
import { loadRulePack } from '../../src/rules/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

function stagePredicates(q: Query): ((ev: Event) => boolean)[] {
  if (q.kind !== 'sequence') throw new Error('expected a sequence');
  return q.stages.map((s) => compilePredicate(s.query.where));
}

function elasticStages(path: string) {
  const toml = parseToml(readFileSync(path, 'utf8')) as { rule: { query: string } };
  return stagePredicates(parseEql(toml.rule.query));
}

function cartesian<T extends Record<string, unknown[]>>(axes: T): { [K in keyof T]: T[K][number] }[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(axes)) out = out.flatMap((o) => values.map((v) => ({ ...o, [k]: v })));
  return out as { [K in keyof T]: T[K][number] }[];
}

const builtin = () => {
  const { rules, problems } = loadRulePack([]);
  assert.deepEqual(problems, []);
  const get = (id: string) => stagePredicates(rules.find((r) => r.id === id)!.query);
  return { ext: get('file-share-remote-exec'), mz: get('file-share-remote-exec-mz-header') };
};

test('stage 1: extension rule ∪ header rule = Elastic, and they never both match', (t) => {
  const path = sharedOrSkip(t, 'reference/elastic-detection-rules/lateral_movement_execution_via_file_shares_sequence.toml');
  if (!path) return;
  const elastic = elasticStages(path);
  const { ext, mz } = builtin();
  let matched = 0;
  const cases = cartesian({
    type: ['creation', 'change', 'deletion'],
    pid: [4, 1234],
    extension: ['exe', 'SCR', 'dll', 'tmp', undefined],
    header: ['4d5a90000300', '7f454c46', undefined],
    os: ['windows', undefined],
  });
  for (const c of cases) {
    const ev: Event = {
      event: { category: ['file'], type: [c.type] },
      process: { pid: c.pid },
      file: { path: 'C:\\Windows\\x', ...(c.extension ? { extension: c.extension } : {}), ...(c.header ? { Ext: { header_bytes: c.header } } : {}) },
      host: { id: 'h', ...(c.os ? { os: { type: c.os } } : {}) },
    };
    const e = elastic[0]!(ev);
    const a = ext[0]!(ev);
    const b = mz[0]!(ev);
    assert.equal(a || b, e, `union differs from Elastic for ${JSON.stringify(c)}`);
    assert.ok(!(a && b), `both rules match ${JSON.stringify(c)}`);
    if (e) matched++;
  }
  assert.ok(matched > 10, `the battery exercises matches (${matched})`);
  // The one intended widening: a writer without a pid but named System (exports that drop the pid).
  const noPid: Event = {
    event: { category: ['file'], type: ['creation'] }, process: { pid: null, name: 'System' },
    file: { path: 'C:\\ProgramData\\GruntHTTP.exe', extension: 'exe' }, host: { id: 'h', os: { type: 'windows' } },
  };
  assert.equal(elastic[0]!(noPid), false);
  assert.equal(ext[0]!(noPid), true);
  assert.equal(ext[0]!({ ...noPid, process: { pid: null, name: 'svchost.exe' } }), false);
});

test('stage 2: list-driven exclusions = Elastic where signature fields exist; kept where they do not', (t) => {
  const path = sharedOrSkip(t, 'reference/elastic-detection-rules/lateral_movement_execution_via_file_shares_sequence.toml');
  if (!path) return;
  const elastic = elasticStages(path);
  const { ext, mz } = builtin();
  let excluded = 0;
  const cases = cartesian({
    trusted: [true, false, undefined],
    subject: ['Veeam Software Group GmbH', 'crowdstrike, inc.', 'Microsoft Corporation', 'Evil Corp', undefined],
    exe: [
      'C:\\Windows\\PSEXESVC.exe',
      'D:\\Windows\\ccmsetup\\ccmsetup.exe',
      'C:\\Windows\\SoftwareDistribution\\Download\\Install\\kb1.exe',
      'C:\\Users\\bob\\AppData\\Local\\Microsoft\\OneDrive\\23.1\\OneDriveSetup.exe',
      'C:\\SMS_ABC\\srvboot.exe',
    ],
  });
  for (const c of cases) {
    const sig: Record<string, unknown> = {};
    if (c.trusted !== undefined) sig.trusted = c.trusted;
    if (c.subject !== undefined) sig.subject_name = c.subject;
    const ev: Event = {
      event: { category: ['process'], type: ['start'] },
      host: { id: 'h', os: { type: 'windows' } },
      process: { executable: c.exe, ...(Object.keys(sig).length ? { code_signature: sig } : {}) },
    };
    const ours = ext[1]!(ev);
    assert.equal(mz[1]!(ev), ours, 'both rules share the stage-2 exclusions');
    if (c.trusted !== undefined && c.subject !== undefined) {
      assert.equal(ours, elastic[1]!(ev), `differs from Elastic for ${JSON.stringify(c)}`);
      if (!ours) excluded++;
    } else if (c.trusted === undefined) {
      // No signature information: nothing can be trusted, so nothing is excluded.
      assert.equal(ours, true, `event without signature must stay: ${JSON.stringify(c)}`);
    }
  }
  assert.ok(excluded >= 5, `the battery exercises the exclusions (${excluded})`);
});

test('host and path exceptions in the IR: excluded hosts (full name or first label) never match, others still do', async () => {
  const { emptyExceptions } = await import('../../src/rules/exceptions.js');
  const ex = emptyExceptions();
  ex.rules['file-share-remote-exec'] = { trustedSigners: [], paths: ['C:\\Deploy\\*'], hosts: ['ws-042'], accounts: [] };
  const { rules } = loadRulePack([], { exceptions: ex });
  const [s1, s2] = stagePredicates(rules.find((r) => r.id === 'file-share-remote-exec')!.query);
  const file = (host: string, path = 'C:\\Windows\\x.exe'): Event => ({
    event: { category: ['file'], type: ['creation'] }, process: { pid: 4 },
    file: { path, extension: 'exe' }, host: { name: host, id: host.toLowerCase(), os: { type: 'windows' } },
  });
  assert.equal(s1!(file('WS-042.corp.example')), false);
  assert.equal(s1!(file('ws-042')), false);
  assert.equal(s1!(file('ws-0420.corp.example')), true);
  assert.equal(s1!(file('ws-043')), true);
  assert.equal(s1!(file('ws-043', 'c:\\deploy\\agent.exe')), false);
  const start = (exe: string): Event => ({ event: { category: ['process'], type: ['start'] }, process: { executable: exe }, host: { id: 'h', os: { type: 'windows' } } });
  assert.equal(s2!(start('C:\\Deploy\\agent.exe')), false);
  assert.equal(s2!(start('C:\\Windows\\PSEXESVC.exe')), true, 'no host fields: not excluded');
  // other rules keep only the global exceptions (none here)
  const other = stagePredicates(rules.find((r) => r.id === 'file-share-remote-exec-mz-header')!.query);
  assert.equal(other[1]!(start('C:\\Deploy\\agent.exe')), true);
});

/**
 * Stage 2 with two base rules whose group-by aliases give one event two different keys (a real
 * nats-server, two detector nodes): a failed network logon counts for its source address
 * (`failed_net: IpAddress`) and, through the second base rule, for its target user
 * (`failed_any: TargetUserName`). The event is forwarded to both keys' group partitions; each
 * group must be judged only where its key lives, with its complete count: exactly the two alerts
 * a single node raises, not the third that the user group's partial count on the address's
 * partition would raise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from './nats-server.js';
import { Bus } from '../../src/cluster/nats.js';
import { CLUSTER, partitionOf } from '../../src/cluster/subjects.js';
import { corrToken } from '../../src/cluster/corr.js';
import { startIngestNode, type IngestNode } from '../../src/cluster/ingest.js';
import { startDetectNode, type DetectNode } from '../../src/cluster/node.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { splitStages } from '../../src/cluster/stages.js';
import { Detector } from '../../src/hunt/detector.js';
import { parseStored } from '../../src/serve/ingest-parse.js';
import { failedLogon } from './corr-fixtures.js';
import { sleep, waitFor } from '../helpers/wait.js';

const CORR_ID = 'c0ffee00-0000-4000-8000-000000000010';
const SIGMA = `title: Failed network logon
name: failed_net
id: c0ffee00-0000-4000-8000-000000000011
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
        LogonType: 3
    condition: sel
---
title: Failed logon
name: failed_any
id: c0ffee00-0000-4000-8000-000000000012
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel
---
title: Four failed logons for one address or one user
id: ${CORR_ID}
level: high
correlation:
    type: event_count
    rules: [failed_net, failed_any]
    group-by: [who]
    aliases:
        who:
            failed_net: IpAddress
            failed_any: TargetUserName
    timespan: 5m
    condition:
        gte: 4
`;


test('stage 2: an event with two group keys is judged per key on the key’s own partition', async () => {
  const loaded = loadSigmaText(SIGMA, 'two-keys.yml');
  const { stage1, stage2 } = splitStages(loaded.rules);
  assert.deepEqual(stage2.map((r) => r.id), [CORR_ID]);
  // An address and a user whose group tokens live in different partitions (else one detector sees all).
  const user = 'admin';
  let ipX = '';
  for (let i = 1; i < 200 && ipX === ''; i++) {
    const ip = `10.77.0.${i}`;
    if (partitionOf(corrToken(CORR_ID, [ip])) !== partitionOf(corrToken(CORR_ID, [user]))) ipX = ip;
  }
  const ipY = '10.88.0.1';
  const t0 = Date.parse('2026-03-02T09:00:00Z');
  const hosts = ['SRV-A', 'SRV-B', 'SRV-C', 'SRV-D', 'SRV-E', 'SRV-F', 'SRV-G'];
  // y1 y2 x1 x2(bob) x3 x4 x5, 10 s apart.
  const plan: [string, string][] = [
    [ipY, user],
    [ipY, user],
    [ipX, user],
    [ipX, 'bob'],
    [ipX, user],
    [ipX, user],
    [ipX, user],
  ];
  const lines = plan.map(([ip, u], i) => failedLogon(hosts[i]!, t0 + i * 10_000, ip, u));

  // What one node raises (the reference): address X at its 4th event, user admin at its 4th.
  const single = new Detector(stage2, { contextEvents: 0 });
  const expected: string[] = [];
  lines.forEach((l, i) => {
    const ev = parseStored(l, i + 1)!;
    single.push(ev.se, ev.time!, false);
    for (const a of single.takeAlerts()) expected.push(a.id);
  });
  for (const a of single.end()) expected.push(a.id);
  assert.equal(expected.length, 2, 'single node: one alert for the address, one for the user');

  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-keys-'));
  let ingest: IngestNode | null = null;
  const nodes: DetectNode[] = [];
  let bus: Bus | null = null;
  try {
    ingest = await startIngestNode({ natsUrl: nats.url, dataDir: join(dir, 'ingest'), port: 0, host: '127.0.0.1', onLog: () => undefined });
    const ing = ingest;
    const token = ing.createdTokens.find((t) => t.scope === 'ingest')!.token;
    for (const id of ['a', 'b']) nodes.push(await startDetectNode({ natsUrl: nats.url, nodeId: id, rules: stage1, corrRules: stage2, leaseTtlMs: 2000, allowedLatenessMs: 200, onLog: () => undefined }));
    await waitFor(() => nodes.reduce((n, d) => n + d.ownedGroups().length, 0) === CLUSTER.partitions && nodes.every((n) => n.ownedGroups().length > 0), 15_000, 'group partitions shared');
    bus = await Bus.connect(nats.url, 't-keys');
    const theBus = bus;
    const forwarded = async (): Promise<number> => (await theBus.streamCounts(CLUSTER.corrStream)).messages;
    const groupProcessed = (): number => nodes.flatMap((n) => n.snapshots()).filter((s) => s.stage === 2).reduce((a, s) => a + s.processed, 0);
    // One event at a time, each fully judged before the next: the events of one group come from
    // different hosts (stage-1 partitions, two nodes), so sent together their forwards would reach
    // the group's partition in a racing order, and with a 200 ms lateness a late one is judged
    // out of time order — a different (equally valid) set of events in the alert than one node's.
    // Each event is forwarded once per distinct key (two keys each).
    for (const [i, l] of lines.entries()) {
      const r = await fetch(`${ing.url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: `{"create":{}}\n${l}\n` });
      assert.equal(r.status, 200);
      const want = 2 * (i + 1);
      await waitFor(async () => (await forwarded()) === want, 20_000, `${want} forwards`);
      await waitFor(() => groupProcessed() === want, 20_000, `${want} forwards processed`);
    }
    await waitFor(() => nodes.every((n) => n.held() === 0), 20_000, 'nothing held');
    await waitFor(() => ing.alerts.list({ rule: [CORR_ID] }).total >= 2, 10_000, 'two alerts');
    await sleep(1000);
    const got = ing.alerts
      .list({ rule: [CORR_ID], limit: 100 })
      .alerts.map((a) => a.id)
      .sort();
    assert.deepEqual(got, [...expected].sort(), 'exactly the alerts one node raises');
  } finally {
    await bus?.close();
    for (const n of nodes) await n.close();
    await ingest?.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMovementGraph, GRAPH_METRICS, layoutGraph } from '../../src/ui/model/graph.js';
import { shareAlert, sigmaAlert } from './fixtures.js';

test('only alerts with a writer make edges; Sigma alerts are counted, never drawn from an "unknown writer"', () => {
  const alerts = [
    shareAlert({ host: 'ws-0007', path: 'C:\\a.exe', at: '2026-03-02T08:00:00Z', writerIp: '172.16.40.23', user: 'svc' }),
    sigmaAlert({ host: 'dc-1', at: '2026-03-02T08:00:00Z', rule: 'sigma-1' }),
    sigmaAlert({ host: 'dc-2', at: '2026-03-02T08:00:00Z', rule: 'sigma-2' }),
    shareAlert({ host: 'ws-0009', path: 'C:\\b.exe', at: '2026-03-02T08:00:00Z' }), // no writer known
  ];
  const g = buildMovementGraph(alerts);
  assert.equal(g.edges.length, 1);
  assert.equal(g.withoutWriter, 3);
  assert.deepEqual(g.nodes.map((n) => n.label).sort(), ['172.16.40.23', 'ws-0007']);
  assert.ok(!g.nodes.some((n) => /unknown/i.test(n.label)));
});

test('multi-hop: a writer address that belongs to a host becomes that host (172.16.40.23 → ws-0007 → ws-0011)', () => {
  const hop1 = shareAlert({ host: 'ws-0007', path: 'C:\\a.exe', at: '2026-03-02T08:00:00Z', writerIp: '172.16.40.23', hostIps: ['10.20.0.7'] });
  const hop2 = shareAlert({ host: 'ws-0011', path: 'C:\\b.exe', at: '2026-03-02T08:30:00Z', writerIp: '10.20.0.7' });
  const hop2b = shareAlert({ host: 'ws-0011', path: 'C:\\c.exe', at: '2026-03-02T08:31:00Z', writerIp: '10.20.0.7', severity: 'critical' });
  const g = buildMovementGraph([hop1, hop2, hop2b]);
  const depth = Object.fromEntries(g.nodes.map((n) => [n.id, n.depth]));
  assert.deepEqual(depth, { 'ip:172.16.40.23': 0, 'host:ws-0007': 1, 'host:ws-0011': 2 });
  const e2 = g.edges.find((e) => e.to === 'host:ws-0011')!;
  assert.equal(e2.from, 'host:ws-0007');
  assert.equal(e2.count, 2);
  assert.equal(e2.severity, 'critical');
  const pivot = g.nodes.find((n) => n.id === 'host:ws-0007')!;
  assert.equal(pivot.label, 'ws-0007');
  assert.match(pivot.sub, /^10\.20\.0\.7 · .*1 alert on it$/);
  assert.ok(pivot.writes && pivot.runs);
});

test('a cycle (two hosts writing to each other) still lays out, every node placed once', () => {
  const a = shareAlert({ host: 'ws-1', path: 'C:\\a.exe', at: '2026-03-02T08:00:00Z', writerIp: '10.0.0.2', hostIps: ['10.0.0.1'] });
  const b = shareAlert({ host: 'ws-2', path: 'C:\\b.exe', at: '2026-03-02T08:01:00Z', writerIp: '10.0.0.1', hostIps: ['10.0.0.2'] });
  const g = buildMovementGraph([a, b]);
  const L = layoutGraph(g);
  assert.equal(L.nodes.length, 2);
  assert.equal(L.edges.length, 2);
});

test('50 hosts: no two nodes overlap, and no two edge counts share a spot', () => {
  const alerts = [];
  for (let i = 0; i < 50; i++) {
    for (let k = 0; k <= i % 4; k++) alerts.push(shareAlert({ host: `ws-${String(i).padStart(4, '0')}`, path: `C:\\p${i}-${k}.exe`, at: `2026-03-02T08:${String(i).padStart(2, '0')}:0${k}Z`, writerIp: `172.16.40.${20 + (i % 7)}`, hostIps: [`10.20.0.${i}`] }));
    if (i % 5 === 0 && i > 0) alerts.push(shareAlert({ host: `ws-${String(i + 1).padStart(4, '0')}`, path: `C:\\hop${i}.exe`, at: `2026-03-02T09:${String(i).padStart(2, '0')}:00Z`, writerIp: `10.20.0.${i}` }));
  }
  const g = buildMovementGraph(alerts);
  const L = layoutGraph(g);
  assert.ok(L.nodes.length >= 50);
  for (let i = 0; i < L.nodes.length; i++) {
    for (let j = i + 1; j < L.nodes.length; j++) {
      const a = L.nodes[i]!;
      const b = L.nodes[j]!;
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      assert.ok(apart, `${a.id} overlaps ${b.id}`);
    }
  }
  // Counts are written at each edge's target port: ports on one node are GRAPH_METRICS.port apart.
  const spots = L.edges.map((e) => ({ x: e.x1, y: e.y1 }));
  for (let i = 0; i < spots.length; i++) {
    for (let j = i + 1; j < spots.length; j++) {
      const a = spots[i]!;
      const b = spots[j]!;
      assert.ok(Math.abs(a.x - b.x) > 1 || Math.abs(a.y - b.y) >= GRAPH_METRICS.port - 0.01, `edge counts collide at ${a.x},${a.y}`);
    }
  }
  // Multi-hop edges leave a host that was itself written to.
  assert.ok(g.edges.some((e) => e.from.startsWith('host:')));
  assert.ok(Math.max(...g.nodes.map((n) => n.depth)) >= 2);
});

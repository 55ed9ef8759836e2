/**
 * The lateral-movement graph: who wrote a file over SMB to which host, where it then ran. Pure;
 * shared with Node tests. Only alerts that name a writer (address or account) make edges, so
 * single-event Sigma alerts never appear as writes from an "unknown writer".
 *
 * Nodes are sources and hosts. A writer address that belongs to a host seen in the alerts
 * (`host.ip` of any matched or surrounding event) becomes that host, so a chain reads
 * 172.16.40.23 → ws-0007 → ws-0011 when ws-0007 later writes to ws-0011 (multi-hop).
 * Layout: columns by hop depth (longest path, back edges of cycles ignored), rows ordered by the
 * mean row of their writers (fewer crossings); each edge gets its own port on both nodes, and its
 * count is written at its target port, so labels and counts never share a spot.
 */
import type { Alert } from '../../alert/types.js';
import type { Severity } from '../../ir/types.js';
import { hasWriter } from './alert-kind.js';
import { timeKey } from './time.js';

export interface GraphNode {
  id: string;
  label: string;
  /** Accounts that wrote from it, or alert count for hosts. */
  sub: string;
  /** Wrote to another node / had a file run on it. */
  writes: boolean;
  runs: boolean;
  depth: number;
  row: number;
  firstT: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  count: number;
  severity: Severity;
  firstT: number;
  /** Some alert of the edge saw the written file run (a process start); else only the write was matched. */
  executed: boolean;
  /** Indices of the alerts drawn by this edge. */
  alerts: number[];
}

export interface MovementGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Alerts without a writer, left out of the graph. */
  withoutWriter: number;
}

const RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

function addressOwners(alerts: readonly Alert[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const a of alerts) {
    for (const e of [...a.events, ...(a.context ?? [])]) {
      const host = e.event['host'] as { ip?: unknown; name?: unknown } | undefined;
      if (!host || typeof host.name !== 'string') continue;
      const ips = Array.isArray(host.ip) ? host.ip : [host.ip];
      for (const ip of ips) if (typeof ip === 'string' && ip !== '127.0.0.1' && ip !== '::1' && !names.has(ip)) names.set(ip, host.name);
    }
  }
  return names;
}

export function buildMovementGraph(alerts: readonly Alert[]): MovementGraph {
  const owners = addressOwners(alerts);
  const nodes = new Map<string, GraphNode & { accounts: Set<string>; addresses: Set<string>; alertCount: number }>();
  const node = (id: string, label: string, t: number): GraphNode & { accounts: Set<string>; addresses: Set<string>; alertCount: number } => {
    let nd = nodes.get(id);
    if (!nd) nodes.set(id, (nd = { id, label, sub: '', writes: false, runs: false, depth: 0, row: 0, firstT: t, accounts: new Set(), addresses: new Set(), alertCount: 0 }));
    if (t < nd.firstT) nd.firstT = t;
    return nd;
  };
  const edges = new Map<string, GraphEdge>();
  let withoutWriter = 0;
  alerts.forEach((a, i) => {
    if (!hasWriter(a)) {
      withoutWriter++;
      return;
    }
    const t = timeKey(a.firstTime);
    const w = a.writer!;
    const account = w.user ? (w.domain ? `${w.domain}\\${w.user}` : w.user) : '';
    const owner = w.ip ? owners.get(w.ip) : undefined;
    const srcId = owner ? `host:${owner.toLowerCase()}` : w.ip ? `ip:${w.ip}` : `acct:${account.toLowerCase()}`;
    const src = node(srcId, owner ?? w.ip ?? account, t);
    src.writes = true;
    if (owner && w.ip) src.addresses.add(w.ip);
    if (account) src.accounts.add(account);
    const dst = node(`host:${a.host.toLowerCase()}`, a.host, t);
    dst.runs = true;
    dst.alertCount++;
    const key = `${srcId}\u0000${dst.id}`;
    const e = edges.get(key);
    const executed = a.process !== undefined;
    if (e) {
      e.count++;
      e.alerts.push(i);
      e.executed ||= executed;
      if (RANK[a.severity] > RANK[e.severity]) e.severity = a.severity;
      if (t < e.firstT) e.firstT = t;
    } else edges.set(key, { from: srcId, to: dst.id, count: 1, severity: a.severity, firstT: t, executed, alerts: [i] });
  });
  for (const nd of nodes.values()) {
    // A host that only ran files keeps its label; writers name their accounts.
    nd.sub = [[...nd.addresses].sort().join(', '), nd.accounts.size ? [...nd.accounts].sort().join(', ') : '', nd.runs ? `${nd.alertCount} alert${nd.alertCount === 1 ? '' : 's'} on it` : ''].filter(Boolean).join(' · ') || 'account unknown';
  }
  const edgeList = [...edges.values()].sort((x, y) => x.firstT - y.firstT || (x.from + x.to < y.from + y.to ? -1 : 1));
  assignDepths(nodes, edgeList);
  const list = [...nodes.values()].map(({ accounts: _a, addresses: _d, alertCount: _c, ...n }) => n);
  return { nodes: list, edges: edgeList, withoutWriter };
}

/** Longest-path depth over the graph with cycle-closing edges ignored; then rows by barycentre. */
function assignDepths(nodes: Map<string, GraphNode>, edges: GraphEdge[]): void {
  const out = new Map<string, GraphEdge[]>();
  for (const e of edges) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e);
  // DFS from nodes in time order; an edge to a node on the stack closes a cycle (ignored).
  const state = new Map<string, 1 | 2>();
  const order: string[] = [];
  const forward = new Set<GraphEdge>();
  const byTime = [...nodes.values()].sort((x, y) => x.firstT - y.firstT || (x.id < y.id ? -1 : 1));
  for (const start of byTime) {
    if (state.has(start.id)) continue;
    const stack: [string, number][] = [[start.id, 0]];
    state.set(start.id, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const list = out.get(top[0]) ?? [];
      if (top[1] < list.length) {
        const e = list[top[1]++]!;
        const s = state.get(e.to);
        if (s === 1) continue;
        forward.add(e);
        if (s === undefined) {
          state.set(e.to, 1);
          stack.push([e.to, 0]);
        }
      } else {
        state.set(top[0], 2);
        order.push(top[0]);
        stack.pop();
      }
    }
  }
  order.reverse(); // topological order of the forward edges
  for (const id of order) {
    const d = nodes.get(id)!.depth;
    for (const e of out.get(id) ?? []) if (forward.has(e)) nodes.get(e.to)!.depth = Math.max(nodes.get(e.to)!.depth, d + 1);
  }
  const columns = new Map<number, GraphNode[]>();
  for (const n of byTime) (columns.get(n.depth) ?? columns.set(n.depth, []).get(n.depth)!).push(n);
  const into = new Map<string, GraphEdge[]>();
  for (const e of edges) (into.get(e.to) ?? into.set(e.to, []).get(e.to)!).push(e);
  for (const d of [...columns.keys()].sort((x, y) => x - y)) {
    const col = columns.get(d)!;
    const bary = new Map<string, number>();
    for (const n of col) {
      const rows = (into.get(n.id) ?? []).map((e) => nodes.get(e.from)!).filter((m) => m.depth < d).map((m) => m.row);
      bary.set(n.id, rows.length ? rows.reduce((s, r) => s + r, 0) / rows.length : Number.POSITIVE_INFINITY);
    }
    col.sort((x, y) => bary.get(x.id)! - bary.get(y.id)! || x.firstT - y.firstT || (x.id < y.id ? -1 : 1));
    col.forEach((n, i) => (n.row = i));
  }
}

export interface PlacedNode extends GraphNode {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface PlacedEdge extends GraphEdge {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export interface GraphLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

export const GRAPH_METRICS = { nodeW: 230, colGap: 150, port: 16, minH: 46, pad: 14, top: 34, rowGap: 12 };

/** Pixel positions: one column per depth; a node is as tall as its busiest side's ports. */
export function layoutGraph(g: MovementGraph): GraphLayout {
  const M = GRAPH_METRICS;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const ins = new Map<string, GraphEdge[]>();
  const outs = new Map<string, GraphEdge[]>();
  for (const e of g.edges) {
    (ins.get(e.to) ?? ins.set(e.to, []).get(e.to)!).push(e);
    (outs.get(e.from) ?? outs.set(e.from, []).get(e.from)!).push(e);
  }
  const placed = new Map<string, PlacedNode>();
  const depths = [...new Set(g.nodes.map((n) => n.depth))].sort((a, b) => a - b);
  let height = 0;
  for (const d of depths) {
    let y = M.top;
    const col = g.nodes.filter((n) => n.depth === d).sort((a, b) => a.row - b.row);
    for (const n of col) {
      const ports = Math.max(ins.get(n.id)?.length ?? 0, outs.get(n.id)?.length ?? 0);
      const h = Math.max(M.minH, M.pad * 2 + ports * M.port);
      placed.set(n.id, { ...n, x: 10 + d * (M.nodeW + M.colGap), y, w: M.nodeW, h });
      y += h + M.rowGap;
    }
    height = Math.max(height, y);
  }
  // Ports in the order of the other end's position, so edges leaving/entering a node do not cross there.
  const portY = (n: PlacedNode, list: GraphEdge[], e: GraphEdge, otherEnd: (e: GraphEdge) => PlacedNode): number => {
    const sorted = [...list].sort((a, b) => otherEnd(a).y - otherEnd(b).y || otherEnd(a).x - otherEnd(b).x);
    const k = sorted.indexOf(e);
    const span = sorted.length * M.port;
    return n.y + (n.h - span) / 2 + k * M.port + M.port / 2;
  };
  const edges: PlacedEdge[] = g.edges.map((e) => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    return { ...e, x0: a.x + a.w, y0: portY(a, outs.get(a.id)!, e, (x) => placed.get(x.to)!), x1: b.x, y1: portY(b, ins.get(b.id)!, e, (x) => placed.get(x.from)!) };
  });
  void byId;
  return { width: 20 + depths.length * M.nodeW + Math.max(0, depths.length - 1) * M.colGap, height: height + 10, nodes: [...placed.values()], edges };
}

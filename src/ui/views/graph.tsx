/** The lateral-movement graph (model/graph.ts): drawn at its natural size in a scrolling frame, so 50 hosts stay legible. */
import { ellipsize } from '../../output/text.js';
import { GRAPH_METRICS, layoutGraph, type MovementGraph } from '../model/graph.js';

export function GraphView({ graph, onNode, onEdge }: { graph: MovementGraph; onNode(label: string, id: string): void; onEdge(from: string, to: string): void }) {
  if (graph.edges.length === 0) {
    return (
      <section class="panel">
        <h2>Lateral movement</h2>
        <p class="muted" id="graph-empty">
          No alert names a writer, so there is no write → execution to draw{graph.withoutWriter ? ` (${graph.withoutWriter.toLocaleString('en-US')} alerts without a writer are in the queue)` : ''}.
        </p>
      </section>
    );
  }
  const L = layoutGraph(graph);
  const byId = new Map(L.nodes.map((n) => [n.id, n]));
  const M = GRAPH_METRICS;
  return (
    <section class="panel">
      <h2>Lateral movement</h2>
      <p class="muted">
        Each arrow is a file written over SMB by the node on its left and then run on the node on its right; a writer address that belongs to a
        host seen in the alerts is that host, so chains read left to right. Colour and the ◆ mark give the highest severity, the number the
        alert count; a dashed arrow is a write over SMB whose execution no rule matched. {graph.withoutWriter ? `${graph.withoutWriter.toLocaleString('en-US')} alerts name no writer and are not drawn.` : ''}
      </p>
      <div class="graph-frame">
        <svg class="graph" width={L.width} height={L.height} viewBox={`0 0 ${L.width} ${L.height}`} role="img" aria-label="Lateral movement: writers and hosts">
          {[...new Set(L.nodes.map((n) => n.depth))].map((d) => (
            <text x={10 + d * (M.nodeW + M.colGap)} y="18" class="axis">
              {d === 0 ? 'first writers' : `hop ${d}`}
            </text>
          ))}
          {L.edges.map((e) => {
            const mx = (e.x0 + e.x1) / 2;
            const w = Math.min(7, 1.5 + Math.log2(e.count) * 1.3);
            const from = byId.get(e.from)!;
            const to = byId.get(e.to)!;
            return (
              <g class={`edge sev-${e.severity}${e.executed ? '' : ' writeonly'}`} data-from={e.from} data-to={e.to} data-count={e.count} onClick={() => onEdge(from.id, to.id)}>
                <path d={`M${e.x0},${e.y0} C${mx},${e.y0} ${mx},${e.y1} ${e.x1 - 6},${e.y1}`} fill="none" stroke-width={w.toFixed(1)} class="edgeline">
                  <title>{`${from.label} → ${to.label}: ${e.count} alert${e.count === 1 ? '' : 's'} (${e.severity})${e.executed ? '' : ', write only: no execution matched'}`}</title>
                </path>
                <path d={`M${e.x1 - 7},${e.y1 - 4} L${e.x1},${e.y1} L${e.x1 - 7},${e.y1 + 4} z`} class="arrow" />
                <text x={e.x1 - 10} y={e.y1 - 3} class="edgecount" text-anchor="end">
                  {e.severity === 'critical' ? '◆◆' : e.severity === 'high' ? '◆' : ''}
                  {e.count}
                </text>
              </g>
            );
          })}
          {L.nodes.map((n) => (
            <g class={`node${n.writes ? ' src' : ''}${n.runs ? ' dst' : ''}`} data-node={n.id} onClick={() => onNode(n.label, n.id)}>
              <rect x={n.x} y={n.y} width={n.w} height={n.h} rx="8" />
              <text x={n.x + 10} y={n.y + 18} class="nodetitle">
                {ellipsize(n.label, 27)}
              </text>
              <text x={n.x + 10} y={n.y + 34} class="nodesub">
                {ellipsize(n.sub, 33)}
              </text>
              <title>{`${n.label}\n${n.sub}`}</title>
            </g>
          ))}
        </svg>
      </div>
    </section>
  );
}

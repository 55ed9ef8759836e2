/** The application shell: tabs, filters, the queue / incidents / graph (and, live, rules and health), and the detail pane. */
import { useEffect, useMemo, useReducer, useState } from 'preact/hooks';
import type { DataSource } from '../api.js';
import { buildMovementGraph } from '../model/graph.js';
import { mergeIncidents } from '../model/incidents.js';
import { facets, filterAlerts, groupAlerts, sortAlerts } from '../model/query.js';
import { initialState, reducer, type View } from '../state/store.js';
import { AlertDetail } from './alert-detail.js';
import { AlertQueue, type QueueLine } from './alert-queue.js';
import { FilterBar } from './filter-bar.js';
import { GraphView } from './graph.js';
import { IncidentDetail, IncidentList } from './incidents.js';
import { HealthView, RulesView } from './live.js';
import { SharesView } from './shares.js';

export function App({ source }: { source: DataSource }) {
  const [s, dispatch] = useReducer(reducer, initialState);
  const [cursor, setCursor] = useState(-1);
  const [incCursor, setIncCursor] = useState(-1);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    let first = true;
    source
      .loadAlerts((alerts) => {
        dispatch(first ? { type: 'alerts/LOADED', alerts } : { type: 'alerts/UPSERT', alerts });
        first = false;
      })
      .then(
        () => setLoaded(true),
        (e: Error) => dispatch({ type: 'error/SET', message: e.message }),
      );
    const unsub = source.subscribe?.(
      (a) => dispatch({ type: 'alerts/UPSERT', alerts: [a] }),
      (connected) => dispatch({ type: 'live/STATE', connected }),
    );
    return () => unsub?.();
  }, [source]);

  const { incidents, incidentOf } = useMemo(() => mergeIncidents(s.alerts), [s.version]);
  const facetLists = useMemo(() => facets(s.alerts, s.rows), [s.version]);
  const filtered = useMemo(() => filterAlerts(s.alerts, s.rows, s.filters), [s.version, s.filters]);
  const sorted = useMemo(() => sortAlerts([...filtered], s.alerts, s.rows, s.sort), [filtered, s.sort]);
  const lines = useMemo((): QueueLine[] => {
    if (s.group === 'none') return sorted.map((alert) => ({ alert }));
    const groups = groupAlerts(sorted, s.alerts, s.rows, s.group, (i) => {
      const inc = incidents[incidentOf[i]!]!;
      return { key: inc.id, label: `${inc.id} · ${inc.hosts.slice(0, 3).join(', ')}${inc.hosts.length > 3 ? ', …' : ''}` };
    });
    const out: QueueLine[] = [];
    for (const g of groups) {
      const collapsed = s.collapsed.has(g.key);
      out.push({ group: g, collapsed });
      if (!collapsed) for (const alert of g.members) out.push({ alert });
    }
    return out;
  }, [sorted, s.group, s.collapsed, incidents]);
  const ruleHits = useMemo(() => {
    const m = new Map<string, number>();
    for (const a of s.alerts) m.set(a.ruleId, (m.get(a.ruleId) ?? 0) + 1);
    return m;
  }, [s.version]);
  const graph = useMemo(() => buildMovementGraph(filtered.map((i) => s.alerts[i]!)), [filtered]);

  // A new list (filters, sort, grouping) starts without a cursor; the effect below puts it back on the selection.
  useEffect(() => setCursor(-1), [s.filters, s.sort, s.group]);
  // Keep the queue cursor on the selected alert when it is chosen elsewhere (incidents, graph).
  useEffect(() => {
    if (!s.selectedId) return;
    const i = lines.findIndex((l) => 'alert' in l && s.alerts[l.alert]!.id === s.selectedId);
    if (i >= 0 && i !== cursor) setCursor(i);
  }, [s.selectedId, lines]);

  const tabs: [View, string][] = [
    ['queue', `Alert queue (${filtered.length.toLocaleString('en-US')})`],
    ['incidents', `Incidents (${incidents.length.toLocaleString('en-US')})`],
    ['graph', `Lateral movement (${graph.edges.length})`],
  ];
  if (source.shares) tabs.push(['shares', 'Share writes']);
  if (source.listRules) tabs.push(['rules', 'Rules']);
  if (source.health) tabs.push(['health', 'Ingest health']);
  const showFilters = s.view === 'queue' || s.view === 'graph';
  const selectedIncident = s.selectedIncident !== null ? incidents[s.selectedIncident] : undefined;
  return (
    <div class="app" data-loaded={loaded ? 'yes' : 'no'}>
      <nav class="tabs" role="tablist" aria-label="Views">
        {tabs.map(([v, label]) => (
          <button type="button" role="tab" id={`tab-${v}`} aria-selected={s.view === v} class={s.view === v ? 'tab on' : 'tab'} onClick={() => dispatch({ type: 'view/SET', view: v })}>
            {label}
          </button>
        ))}
        {source.kind === 'live' ? (
          <span class={`livestate ${s.live ? 'on' : 'off'}`} role="status">
            {s.live ? '● live' : '○ reconnecting…'}
          </span>
        ) : null}
      </nav>
      {s.error ? <p class="error" role="alert">{s.error}</p> : null}
      {showFilters ? <FilterBar filters={s.filters} group={s.group} facets={facetLists} shown={filtered.length} total={s.alerts.length} dispatch={dispatch} /> : null}
      {s.view === 'queue' ? (
        <div class={s.selectedId ? 'split' : 'split single'}>
          <AlertQueue alerts={s.alerts} rows={s.rows} lines={lines} sort={s.sort} cursor={cursor} selectedId={s.selectedId} dispatch={dispatch} onCursor={setCursor} />
          {s.selectedId ? (
            <div class="pane">
              <button type="button" class="close" aria-label="Close detail" onClick={() => dispatch({ type: 'alert/SELECT', id: null })}>
                ×
              </button>
              <AlertDetail id={s.selectedId} source={source} onChanged={(a) => dispatch({ type: 'alerts/UPSERT', alerts: [a] })} />
            </div>
          ) : null}
        </div>
      ) : null}
      {s.view === 'incidents' ? (
        <div class={selectedIncident ? 'split' : 'split single'}>
          <IncidentList incidents={incidents} cursor={incCursor} onCursor={setIncCursor} dispatch={dispatch} />
          {selectedIncident ? (
            <div class="pane">
              <IncidentDetail incident={selectedIncident} alerts={s.alerts} dispatch={dispatch} />
            </div>
          ) : null}
        </div>
      ) : null}
      {s.view === 'graph' ? (
        <GraphView
          graph={graph}
          onNode={(label, id) => {
            if (id.startsWith('ip:')) dispatch({ type: 'filters/SET', patch: { sourceIp: id.slice(3) } });
            else if (id.startsWith('host:')) dispatch({ type: 'filters/SET', patch: { host: label } });
            else dispatch({ type: 'filters/SET', patch: { text: label } });
            dispatch({ type: 'view/SET', view: 'queue' });
          }}
          onEdge={(_from, to) => {
            dispatch({ type: 'filters/SET', patch: { host: to.replace(/^host:/, '') } });
            dispatch({ type: 'view/SET', view: 'queue' });
          }}
        />
      ) : null}
      {s.view === 'shares' && source.shares ? <SharesView source={source} /> : null}
      {s.view === 'rules' && source.listRules ? <RulesView source={source} hits={ruleHits} /> : null}
      {s.view === 'health' && source.health ? <HealthView source={source} /> : null}
    </div>
  );
}

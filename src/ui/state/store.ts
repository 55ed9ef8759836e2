/**
 * The UI's state: one pure reducer over typed actions. Derived lists (filtered, sorted, grouped,
 * incidents, graph) are selectors the views memoize; I/O happens only in api.ts, whose results
 * arrive here as actions.
 */
import { NO_FILTERS, rowOf, type AlertRow, type Filters, type GroupBy, type Sort, type SortKey, type UiAlert } from '../model/query.js';

export type View = 'queue' | 'incidents' | 'graph' | 'shares' | 'rules' | 'health';

export interface State {
  alerts: UiAlert[];
  rows: AlertRow[];
  byId: Map<string, number>;
  /** Bumped whenever `alerts` changes, so selectors can memoize on it. */
  version: number;
  filters: Filters;
  sort: Sort;
  group: GroupBy;
  collapsed: ReadonlySet<string>;
  view: View;
  selectedId: string | null;
  selectedIncident: number | null;
  live: boolean | null;
  error: string | null;
}

export type Action =
  | { type: 'alerts/LOADED'; alerts: UiAlert[] }
  | { type: 'alerts/UPSERT'; alerts: UiAlert[] }
  | { type: 'filters/SET'; patch: Partial<Filters> }
  | { type: 'filters/RESET' }
  | { type: 'sort/BY'; key: SortKey }
  | { type: 'group/SET'; group: GroupBy }
  | { type: 'group/TOGGLE'; key: string }
  | { type: 'view/SET'; view: View }
  | { type: 'alert/SELECT'; id: string | null }
  | { type: 'incident/SELECT'; index: number | null }
  | { type: 'live/STATE'; connected: boolean }
  | { type: 'error/SET'; message: string | null };

export const initialState: State = {
  alerts: [],
  rows: [],
  byId: new Map(),
  version: 0,
  filters: NO_FILTERS,
  sort: { key: 'time', dir: 'desc' },
  group: 'none',
  collapsed: new Set(),
  view: 'queue',
  selectedId: null,
  selectedIncident: null,
  live: null,
  error: null,
};

/** Columns whose natural first order is descending (newest, most severe, longest gap first). */
const DESC_FIRST: ReadonlySet<SortKey> = new Set(['time', 'severity', 'gap']);

export function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'alerts/LOADED': {
      const alerts = [...s.alerts, ...a.alerts];
      const byId = new Map(s.byId);
      a.alerts.forEach((x, i) => byId.set(x.id, s.alerts.length + i));
      return { ...s, alerts, rows: [...s.rows, ...a.alerts.map(rowOf)], byId, version: s.version + 1 };
    }
    case 'alerts/UPSERT': {
      const alerts = [...s.alerts];
      const rows = [...s.rows];
      const byId = new Map(s.byId);
      for (const x of a.alerts) {
        const i = byId.get(x.id);
        if (i === undefined) {
          byId.set(x.id, alerts.length);
          alerts.push(x);
          rows.push(rowOf(x));
        } else {
          alerts[i] = { ...alerts[i]!, ...x, events: x.events.length ? x.events : alerts[i]!.events };
          rows[i] = rowOf(alerts[i]!);
        }
      }
      return { ...s, alerts, rows, byId, version: s.version + 1 };
    }
    case 'filters/SET':
      return { ...s, filters: { ...s.filters, ...a.patch } };
    case 'filters/RESET':
      return { ...s, filters: NO_FILTERS };
    case 'sort/BY':
      return { ...s, sort: s.sort.key === a.key ? { key: a.key, dir: s.sort.dir === 'asc' ? 'desc' : 'asc' } : { key: a.key, dir: DESC_FIRST.has(a.key) ? 'desc' : 'asc' } };
    case 'group/SET':
      return { ...s, group: a.group, collapsed: new Set() };
    case 'group/TOGGLE': {
      const c = new Set(s.collapsed);
      if (c.has(a.key)) c.delete(a.key);
      else c.add(a.key);
      return { ...s, collapsed: c };
    }
    case 'view/SET':
      return { ...s, view: a.view };
    case 'alert/SELECT':
      return { ...s, selectedId: a.id };
    case 'incident/SELECT':
      return { ...s, selectedIncident: a.index };
    case 'live/STATE':
      return { ...s, live: a.connected };
    case 'error/SET':
      return { ...s, error: a.message };
  }
}

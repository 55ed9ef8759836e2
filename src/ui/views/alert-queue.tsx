/** The alert queue: a virtualized grid, sortable by every column, optionally grouped with counts. */
import { formatGap } from '../../output/text.js';
import type { AlertGroup, AlertRow, Sort, SortKey, UiAlert } from '../model/query.js';
import type { Action } from '../state/store.js';
import { SevBadge, Time } from './common.js';
import { VirtualList } from './virtual-list.js';

interface Column {
  key: SortKey;
  title: string;
  cls: string;
  cell(a: UiAlert, r: AlertRow): preact.ComponentChildren;
}

const COLUMNS: Column[] = [
  { key: 'time', title: 'First (UTC)', cls: 'c-time', cell: (a) => <Time iso={a.firstTime} short /> },
  { key: 'severity', title: 'Severity', cls: 'c-sev', cell: (a) => <SevBadge severity={a.severity} /> },
  { key: 'rule', title: 'Rule', cls: 'c-rule', cell: (a) => <span title={`${a.ruleName}\n${a.ruleId}`}>{a.ruleName}</span> },
  { key: 'host', title: 'Host', cls: 'c-host', cell: (a) => a.host },
  { key: 'user', title: 'User', cls: 'c-user', cell: (_a, r) => r.user },
  { key: 'sourceIp', title: 'Source IP', cls: 'c-ip mono', cell: (_a, r) => r.ip },
  { key: 'path', title: 'Path', cls: 'c-path mono', cell: (_a, r) => <span title={r.path}>{r.path}</span> },
  { key: 'gap', title: 'Gap', cls: 'c-gap num', cell: (a) => (a.events.length > 1 || a.gapMs > 0 ? formatGap(a.gapMs) : '') },
  { key: 'status', title: 'Status', cls: 'c-status', cell: (_a, r) => r.status },
];

/** One line of the flattened list: a group header or an alert. */
export type QueueLine = { group: AlertGroup; collapsed: boolean } | { alert: number };

export interface AlertQueueProps {
  alerts: UiAlert[];
  rows: AlertRow[];
  lines: QueueLine[];
  sort: Sort;
  cursor: number;
  selectedId: string | null;
  dispatch(a: Action): void;
  onCursor(i: number): void;
}

export function AlertQueue(p: AlertQueueProps) {
  const header = (
    <div class="vhead" role="row">
      {COLUMNS.map((c) => (
        <div role="columnheader" class={`cell ${c.cls}`} aria-sort={p.sort.key === c.key ? (p.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
          <button type="button" class="sortbtn" data-sort={c.key} onClick={() => p.dispatch({ type: 'sort/BY', key: c.key })}>
            {c.title}
            <span aria-hidden="true">{p.sort.key === c.key ? (p.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
          </button>
        </div>
      ))}
    </div>
  );
  const open = (i: number): void => {
    const line = p.lines[i];
    if (!line) return;
    if ('group' in line) p.dispatch({ type: 'group/TOGGLE', key: line.group.key });
    else p.dispatch({ type: 'alert/SELECT', id: p.alerts[line.alert]!.id });
  };
  return (
    <VirtualList
      id="queue"
      label="Alert queue (arrow keys move, Enter opens)"
      count={p.lines.length}
      rowHeight={30}
      cursor={p.cursor}
      onCursor={p.onCursor}
      onOpen={open}
      header={header}
      renderRow={(i, active) => {
        const line = p.lines[i]!;
        if ('group' in line) {
          const g = line.group;
          return (
            <div id={`queue-row-${i}`} role="row" class={`grp${active ? ' active' : ''}`} aria-expanded={!line.collapsed}>
              <span aria-hidden="true">{line.collapsed ? '▸' : '▾'}</span> <b>{g.label}</b> <span class="count">{g.members.length.toLocaleString('en-US')}</span>
            </div>
          );
        }
        const a = p.alerts[line.alert]!;
        const r = p.rows[line.alert]!;
        return (
          <div id={`queue-row-${i}`} role="row" data-alert={a.id} class={`arow sevrow-${a.severity}${active ? ' active' : ''}${a.id === p.selectedId ? ' selected' : ''}`} aria-selected={a.id === p.selectedId}>
            {COLUMNS.map((c) => (
              <div role="gridcell" class={`cell ${c.cls}`}>
                {c.cell(a, r)}
              </div>
            ))}
          </div>
        );
      }}
    />
  );
}

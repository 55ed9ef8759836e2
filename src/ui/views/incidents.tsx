/** Incidents (model/incidents.ts): a virtualized list; opening one lists its alerts, each opening its detail. */
import type { Incident } from '../model/incidents.js';
import type { UiAlert } from '../model/query.js';
import type { Action } from '../state/store.js';
import { SevBadge, Time, Wrap } from './common.js';
import { VirtualList } from './virtual-list.js';

const REASON_TEXT = { 'same-event': 'same event', 'same-execution': 'same write/execution', 'same-writer': 'same writer' } as const;

export function IncidentList({ incidents, cursor, onCursor, dispatch }: { incidents: Incident[]; cursor: number; onCursor(i: number): void; dispatch(a: Action): void }) {
  return (
    <VirtualList
      id="incidents"
      label="Incidents (arrow keys move, Enter opens)"
      count={incidents.length}
      rowHeight={54}
      cursor={cursor}
      onCursor={onCursor}
      onOpen={(i) => dispatch({ type: 'incident/SELECT', index: i })}
      renderRow={(i, active) => {
        const inc = incidents[i]!;
        return (
          <div id={`incidents-row-${i}`} role="row" class={`incrow${active ? ' active' : ''}`} data-incident={inc.id}>
            <div class="l1">
              <SevBadge severity={inc.severity} /> <Time iso={inc.firstTime} /> <b>{inc.members.length.toLocaleString('en-US')} alert{inc.members.length === 1 ? '' : 's'}</b>
              {' · '}
              {inc.hosts.length} host{inc.hosts.length === 1 ? '' : 's'}: {inc.hosts.slice(0, 4).join(', ')}
              {inc.hosts.length > 4 ? ', …' : ''}
            </div>
            <div class="l2 muted">
              {inc.writers.length ? `writer ${inc.writers.join(', ')} · ` : ''}
              rules: {inc.rules.slice(0, 3).join(', ')}
              {inc.rules.length > 3 ? `, +${inc.rules.length - 3}` : ''}
              {inc.reasons.length ? ` · merged by ${inc.reasons.map((r) => REASON_TEXT[r]).join(', ')}` : ''}
            </div>
          </div>
        );
      }}
    />
  );
}

export function IncidentDetail({ incident, alerts, dispatch }: { incident: Incident; alerts: UiAlert[]; dispatch(a: Action): void }) {
  const shown = incident.members.slice(0, 500);
  return (
    <section class="detail" aria-label="Incident">
      <h2>
        Incident <span class="mono">{incident.id}</span>
      </h2>
      <p>
        <SevBadge severity={incident.severity} /> <Time iso={incident.firstTime} /> → <Time iso={incident.lastTime} /> · {incident.members.length} alerts ·
        hosts {incident.hosts.join(', ')}
        {incident.writers.length ? ` · writers ${incident.writers.join(', ')}` : ''}
      </p>
      <p class="muted small">{incident.reasons.length ? `Merged because: ${incident.reasons.map((r) => REASON_TEXT[r]).join(', ')}.` : 'A single alert.'}</p>
      <ul class="members">
        {shown.map((i) => {
          const a = alerts[i]!;
          return (
            <li>
              <button type="button" class="member" data-alert={a.id} onClick={() => (dispatch({ type: 'alert/SELECT', id: a.id }), dispatch({ type: 'view/SET', view: 'queue' }))}>
                <span class="l1">
                  <SevBadge severity={a.severity} /> <Time iso={a.firstTime} /> · <b>{a.host}</b>
                </span>
                <span class="l2">{a.ruleName}</span>
                <span class="l3 small">
                  <Wrap text={a.filePath ?? a.process?.executable ?? ''} />
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {incident.members.length > shown.length ? <p class="muted">{incident.members.length - shown.length} more alerts: group the queue by incident to see them all.</p> : null}
    </section>
  );
}

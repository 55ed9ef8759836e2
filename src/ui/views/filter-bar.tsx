/** Filters (severity, rule, host, user, source IP, status, time range, free text) and grouping. */
import type { Severity } from '../../ir/types.js';
import { SEVERITIES, STATUSES, type Facet, type Filters, type GroupBy } from '../model/query.js';
import type { Action } from '../state/store.js';

export interface FilterBarProps {
  filters: Filters;
  group: GroupBy;
  facets: Record<'rule' | 'host' | 'user' | 'sourceIp', Facet[]>;
  shown: number;
  total: number;
  dispatch(a: Action): void;
}

function FacetSelect({ name, label, value, facets, onChange }: { name: string; label: string; value: string; facets: Facet[]; onChange(v: string): void }) {
  return (
    <label class="fld">
      <span>{label}</span>
      <select name={name} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">all ({facets.length.toLocaleString('en-US')})</option>
        {facets.slice(0, 2000).map((f) => (
          <option value={f.value}>
            {f.label} ({f.count.toLocaleString('en-US')})
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilterBar(p: FilterBarProps) {
  const set = (patch: Partial<Filters>): void => p.dispatch({ type: 'filters/SET', patch });
  const toggleSev = (s: Severity): void => set({ severities: p.filters.severities.includes(s) ? p.filters.severities.filter((x) => x !== s) : [...p.filters.severities, s] });
  return (
    <form class="filters" role="search" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
      <label class="fld grow">
        <span>Search</span>
        <input id="q" name="text" type="search" placeholder="host, path, writer, rule, command line…" value={p.filters.text} onInput={(e) => set({ text: (e.currentTarget as HTMLInputElement).value })} />
      </label>
      <fieldset class="sevs">
        <legend>Severity</legend>
        {SEVERITIES.map((s) => (
          <label class={`chip sev-${s}`}>
            <input type="checkbox" name={`sev-${s}`} checked={p.filters.severities.includes(s)} onChange={() => toggleSev(s)} />
            {s}
          </label>
        ))}
      </fieldset>
      <FacetSelect name="rule" label="Rule" value={p.filters.rule} facets={p.facets.rule} onChange={(v) => set({ rule: v })} />
      <FacetSelect name="host" label="Host" value={p.filters.host} facets={p.facets.host} onChange={(v) => set({ host: v })} />
      <FacetSelect name="user" label="User" value={p.filters.user} facets={p.facets.user} onChange={(v) => set({ user: v })} />
      <FacetSelect name="sourceIp" label="Source IP" value={p.filters.sourceIp} facets={p.facets.sourceIp} onChange={(v) => set({ sourceIp: v })} />
      <label class="fld">
        <span>Status</span>
        <select name="status" value={p.filters.status} onChange={(e) => set({ status: (e.currentTarget as HTMLSelectElement).value as Filters['status'] })}>
          <option value="">all</option>
          {STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      </label>
      <label class="fld">
        <span>From (UTC)</span>
        <input name="from" type="datetime-local" step="1" value={p.filters.from} onChange={(e) => set({ from: (e.currentTarget as HTMLInputElement).value })} />
      </label>
      <label class="fld">
        <span>To (UTC)</span>
        <input name="to" type="datetime-local" step="1" value={p.filters.to} onChange={(e) => set({ to: (e.currentTarget as HTMLInputElement).value })} />
      </label>
      <label class="fld">
        <span>Group by</span>
        <select name="group" value={p.group} onChange={(e) => p.dispatch({ type: 'group/SET', group: (e.currentTarget as HTMLSelectElement).value as GroupBy })}>
          <option value="none">none</option>
          <option value="rule">rule</option>
          <option value="host">host</option>
          <option value="incident">incident</option>
        </select>
      </label>
      <div class="fld shown" aria-live="polite">
        <span>Shown</span>
        <b id="shown">{p.shown.toLocaleString('en-US')}</b> of {p.total.toLocaleString('en-US')}
        <button type="button" class="link" onClick={() => p.dispatch({ type: 'filters/RESET' })}>
          reset
        </button>
      </div>
    </form>
  );
}

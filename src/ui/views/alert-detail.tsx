/**
 * One alert, drawn by its kind: file-share (writer, written and executed path, gap, signer,
 * parent, whole command line, host timeline), single-event (the matched event's key fields by
 * event type, then every raw field) or multi-event (each contributing event).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeEvent } from '../../output/describe.js';
import { formatGap } from '../../output/text.js';
import type { DataSource } from '../api.js';
import { classifyAlert, type AlertKind } from '../model/alert-kind.js';
import { flattenEvent, keyFields } from '../model/key-fields.js';
import type { UiAlert } from '../model/query.js';
import { SevBadge, Time, Wrap } from './common.js';
import { Timeline } from './timeline.js';
import { TriagePanel } from './triage.js';

type Located = UiAlert['events'][number];

function Meta({ items }: { items: [string, ComponentChildren | undefined][] }) {
  const shown = items.filter(([, v]) => v !== undefined && v !== '' && v !== null);
  return (
    <dl class="meta">
      {shown.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </>
      ))}
    </dl>
  );
}

/** Field name → value rows of an event card. */
function KvTable({ rows, extraClass }: { rows: [string, string][]; extraClass?: string }) {
  return (
    <table class={extraClass ? `kv ${extraClass}` : 'kv'}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr>
            <th class="mono">{k}</th>
            <td>
              <Wrap text={v} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EventFields({ e, open }: { e: Located; open: boolean }) {
  const d = describeEvent(e.event);
  const keys = keyFields(e.event, d.kind);
  return (
    <div class="event-card">
      <div class="event-head">
        <b>{d.label}</b> <span class="muted">{typeof e.event['@timestamp'] === 'string' ? <Time iso={e.event['@timestamp']} /> : null}</span>{' '}
        <span class="muted small">
          <Wrap text={`${e.file}${e.position !== undefined ? `:${e.position}` : ''}`} />
        </span>
      </div>
      <KvTable rows={keys} />
      <details class="raw" open={open}>
        <summary>all raw fields</summary>
        <KvTable rows={flattenEvent(e.event)} extraClass="raw-fields" />
      </details>
    </div>
  );
}

function FileShareFacts({ a }: { a: UiAlert }) {
  const w = a.writer;
  const p = a.process;
  const account = w?.user ? (w.domain ? `${w.domain}\\${w.user}` : w.user) : undefined;
  const signer = p?.signer ? `${p.signer}${p.signatureTrusted === undefined ? '' : p.signatureTrusted ? ' (trusted)' : ' (NOT trusted)'}` : p?.signatureTrusted === false ? 'unsigned / not trusted' : undefined;
  return (
    <Meta
      items={[
        ['writer address', w?.ip ? <span class="mono">{w.ip}</span> : 'unknown'],
        ['writer account', account ? <span class="mono">{account}</span> : undefined],
        ['writer evidence', w?.evidence],
        ['written path', a.filePath ? <Wrap text={a.filePath} /> : undefined],
        ['executed path', p?.executable ? <Wrap text={p.executable} /> : undefined],
        ['written → executed', <span><Time iso={a.firstTime} /> → <Time iso={a.lastTime} /> (gap <b>{formatGap(a.gapMs)}</b>)</span>],
        ['signer', signer],
        ['parent', p?.parentExecutable ? <Wrap text={p.parentExecutable} /> : undefined],
        ['command line', p?.commandLine ? <pre class="cmd">{p.commandLine}</pre> : undefined],
        ['process user', p?.user],
        ['pid', p?.pid],
      ]}
    />
  );
}

function CommonFacts({ a, kind }: { a: UiAlert; kind: AlertKind }) {
  return (
    <Meta
      items={[
        ['rule', <span>{a.ruleName} <span class="mono muted">{a.ruleId}</span></span>],
        ['host', a.host],
        ...(kind !== 'file-share' && a.writer
          ? ([
              ['SMB writer', <span class="mono">{[a.writer.ip, a.writer.user ? (a.writer.domain ? `${a.writer.domain}\\${a.writer.user}` : a.writer.user) : ''].filter(Boolean).join(' ')}</span>],
              ['writer evidence', a.writer.evidence],
            ] as [string, ComponentChildren][])
          : []),
        kind === 'single' ? ['time', <Time iso={a.firstTime} />] : kind === 'file-share' ? ['', undefined] : ['first → last', <span><Time iso={a.firstTime} /> → <Time iso={a.lastTime} /> ({formatGap(a.gapMs)})</span>],
        ['MITRE ATT&CK', a.mitre?.join(', ')],
        ['risk score', a.riskScore],
        ['status', a.status ? `${a.status}${a.statusReason ? ` — ${a.statusReason}` : ''}` : undefined],
        ['note', a.note],
        ['assignee', a.assignee],
        [
          'threat intel',
          a.intel ? (
            <span class="intel">
              {a.intel.matches.map((m) => (
                <span class="mono small">
                  {m.feed}
                  {m.name ? ` · ${m.name}` : ''}
                  {m.tags.length ? ` [${m.tags.join(', ')}]` : ''} — {m.field} {m.hash}
                  <br />
                </span>
              ))}
              <span class="small muted">severity raised from {a.intel.severityBefore}</span>
            </span>
          ) : undefined,
        ],
        ['alert id', <span class="mono">{a.id}</span>],
      ]}
    />
  );
}

export function AlertDetail({ id, source, onChanged }: { id: string; source: DataSource; onChanged(a: UiAlert): void }) {
  const [alert, setAlert] = useState<UiAlert | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    source.getAlert(id).then(
      (a) => live && setAlert(a),
      (e: Error) => live && setError(e.message),
    );
    return () => void (live = false);
  }, [id, source]);
  if (error) return <section class="detail"><p class="error">Cannot load alert {id}: {error}</p></section>;
  if (!alert || alert.id !== id) return <section class="detail"><p class="muted">Loading…</p></section>;
  const a = alert;
  const kind = classifyAlert(a);
  const kindText = { 'file-share': 'file written over a share, then run', single: 'single-event rule', multi: 'multi-event rule (sequence / correlation)' }[kind];
  return (
    <section class={`detail kind-${kind}`} aria-label="Alert detail" data-kind={kind}>
      <div class="detail-head">
        <h2>
          {a.ruleName} <span class="muted">on</span> {a.host}
        </h2>
        <SevBadge severity={a.severity} />
      </div>
      <p class="muted small">{kindText}</p>
      {source.setStatus ? <TriagePanel alert={a} source={source} onChanged={(x) => (setAlert(x), onChanged(x))} /> : null}
      {kind === 'file-share' ? <FileShareFacts a={a} /> : null}
      <CommonFacts a={a} kind={kind} />
      {kind === 'file-share' ? (
        <>
          <h3>Host timeline</h3>
          <Timeline alert={a} kind={kind} />
        </>
      ) : null}
      {kind === 'single' ? (
        <>
          <h3>Matched event</h3>
          {a.events[0] ? <EventFields e={a.events[0]} open={false} /> : <p class="muted">The alert carries no event.</p>}
          {(a.context?.length ?? 0) > 0 ? (
            <>
              <h3>Host timeline</h3>
              <Timeline alert={a} kind={kind} />
            </>
          ) : null}
        </>
      ) : null}
      {kind === 'multi' ? (
        <>
          <h3>Contributing events ({a.events.length})</h3>
          <Timeline alert={a} kind={kind} />
          {a.events.map((e) => (
            <EventFields e={e} open={false} />
          ))}
        </>
      ) : null}
      {kind === 'file-share' ? (
        <details class="raw">
          <summary>matched events ({a.events.length}), all fields</summary>
          {a.events.map((e) => (
            <EventFields e={e} open={true} />
          ))}
        </details>
      ) : null}
    </section>
  );
}

/**
 * Live only (spoor serve): acknowledge / close with a reason / reopen, the assignee, notes (listed
 * with their author token's name and time), and "add exception from this alert".
 */
import { useEffect, useState } from 'preact/hooks';
import type { DataSource, ExceptionKind } from '../api.js';
import type { AlertStatus, UiAlert } from '../model/query.js';
import { Time } from './common.js';

/** A changed alert as the server answers it, keeping what the answer does not carry (events, notes). */
export function mergeChanged(cur: UiAlert, got: UiAlert): UiAlert {
  return { ...cur, ...got, events: got.events.length > 0 ? got.events : cur.events, ...(got.context ?? cur.context ? { context: got.context ?? cur.context } : {}), ...(got.notes ?? cur.notes ? { notes: got.notes ?? cur.notes } : {}) };
}

/** The values an exception can take from an alert, by kind (scoped to the alert's rule). */
export function exceptionCandidates(a: UiAlert): { kind: ExceptionKind; value: string }[] {
  const out: { kind: ExceptionKind; value: string }[] = [];
  if (a.process?.signer) out.push({ kind: 'signer', value: a.process.signer });
  const path = a.filePath ?? a.process?.executable;
  if (path) out.push({ kind: 'path', value: path });
  out.push({ kind: 'host', value: a.host });
  const w = a.writer;
  if (w?.user) out.push({ kind: 'account', value: w.domain ? `${w.domain}\\${w.user}` : w.user });
  else if (a.process?.user) out.push({ kind: 'account', value: a.process.user });
  return out;
}

export function TriagePanel({ alert, source, onChanged }: { alert: UiAlert; source: DataSource; onChanged(a: UiAlert): void }) {
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState(alert.assignee ?? '');
  useEffect(() => setAssignee(alert.assignee ?? ''), [alert.id, alert.assignee]);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const candidates = exceptionCandidates(alert);
  const [exc, setExc] = useState(0);
  const run = async (what: () => Promise<UiAlert | void>, done: string): Promise<void> => {
    setBusy(true);
    setMsg(null);
    try {
      const r = await what();
      if (r) onChanged(mergeChanged(alert, r));
      setMsg(done);
    } catch (e) {
      setMsg(`failed: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const status = (s: AlertStatus): Promise<void> => run(() => source.setStatus!(alert.id, s, reason || undefined), `status: ${s}`);
  const status0 = alert.status ?? 'open';
  return (
    <div class="triage" aria-label="Triage">
      <div class="row">
        <span>
          status <b id="status">{status0}</b>
        </span>
        {status0 !== 'acknowledged' ? <button type="button" disabled={busy} onClick={() => status('acknowledged')}>Acknowledge</button> : null}
        {status0 !== 'closed' ? <button type="button" disabled={busy} onClick={() => status('closed')}>Close</button> : null}
        {status0 !== 'open' ? <button type="button" disabled={busy} onClick={() => status('open')}>Reopen</button> : null}
        <input aria-label="reason" placeholder="reason (for close)" value={reason} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
      </div>
      {source.setNote ? (
        <>
          <div class="row">
            <label>
              assignee{' '}
              <input aria-label="assignee" placeholder="nobody" value={assignee} onInput={(e) => setAssignee((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <button type="button" disabled={busy || assignee.trim() === (alert.assignee ?? '')} onClick={() => run(() => source.setNote!(alert.id, { assignee: assignee.trim() }), assignee.trim() ? `assigned to ${assignee.trim()}` : 'unassigned')}>
              Assign
            </button>
          </div>
          <div class="row">
            <textarea class="grow" rows={2} aria-label="note" placeholder="add a note" value={note} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
            <button
              type="button"
              disabled={busy || note.trim() === ''}
              onClick={() =>
                run(async () => {
                  const r = await source.setNote!(alert.id, { text: note.trim() });
                  setNote('');
                  return r;
                }, 'note added')
              }
            >
              Add note
            </button>
          </div>
          {alert.notes?.length ? (
            <ol class="notes" aria-label="Notes">
              {alert.notes.map((n) => (
                <li data-note={n.id}>
                  <span class="small muted">
                    <b class="author">{n.author}</b> · <Time iso={n.time} />
                  </span>
                  <div class="note-text">{n.text}</div>
                </li>
              ))}
            </ol>
          ) : null}
        </>
      ) : null}
      {source.addException && candidates.length ? (
        <div class="row">
          <span>Add exception for rule <span class="mono">{alert.ruleId}</span>:</span>
          <select aria-label="exception" value={String(exc)} onChange={(e) => setExc(Number((e.currentTarget as HTMLSelectElement).value))}>
            {candidates.map((c, i) => (
              <option value={String(i)}>
                {c.kind}: {c.value}
              </option>
            ))}
          </select>
          <button type="button" disabled={busy} onClick={() => run(() => source.addException!({ ruleId: alert.ruleId, ...candidates[exc]! }), 'exception added')}>
            Add exception
          </button>
        </div>
      ) : null}
      {msg ? <p class="muted small" role="status">{msg}</p> : null}
    </div>
  );
}

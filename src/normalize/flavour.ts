/** Recognising an event's flavour from the fields it carries (cheap checks, most specific first). */
import { getField } from '../events/field.js';
import { isObj, type Obj } from './util.js';

export type Flavour = 'elastic-defend' | 'winlogbeat' | 'evtx' | 'flat' | 'endgame' | 'ecs' | 'unknown';

function has(ev: Obj, key: string): boolean {
  return ev[key] !== undefined;
}

function isDefend(ev: Obj): boolean {
  const module = getField(ev, ['event', 'module']);
  if (module === 'endpoint') return true;
  const agent = getField(ev, ['agent', 'type']);
  if (agent === 'endpoint') return true;
  const dataset = getField(ev, ['data_stream', 'dataset']) ?? getField(ev, ['event', 'dataset']);
  return typeof dataset === 'string' && dataset.startsWith('endpoint.');
}

export function detectFlavour(ev: Obj): Flavour {
  if (!isObj(ev)) return 'unknown';
  const e = ev['Event'];
  if (isObj(e) && isObj(e['System'])) return 'evtx';
  // The same record without the `Event` wrapper (Velociraptor's parse_evtx rows: System,
  // EventData / UserData at top level).
  const sys = ev['System'];
  if (isObj(sys) && sys['EventID'] !== undefined && (sys['Channel'] !== undefined || sys['Computer'] !== undefined || sys['Provider'] !== undefined)) return 'evtx';
  if (isObj(ev['winlog']) || has(ev, 'winlog.channel') || has(ev, 'winlog.event_id')) return 'winlogbeat';
  // Winlogbeat 6: Windows fields at top level under snake_case names.
  if (has(ev, 'event_data') && (has(ev, 'log_name') || has(ev, 'source_name'))) return 'winlogbeat';
  if (typeof ev['event_type'] === 'string' && (has(ev, 'serial_event_id') || has(ev, 'unique_pid') || has(ev, 'timestamp')))
    return 'endgame';
  if ((has(ev, 'EventID') || has(ev, 'EventId')) && (has(ev, 'Channel') || has(ev, 'SourceName') || has(ev, 'Hostname') || has(ev, 'ProviderName') || has(ev, 'Computer')))
    return 'flat';
  if (isDefend(ev)) return 'elastic-defend';
  if (isObj(ev['event']) || has(ev, 'event.category') || has(ev, 'event.kind') || isObj(ev['ecs']) || has(ev, 'ecs.version'))
    return 'ecs';
  if (has(ev, '@timestamp') && (isObj(ev['process']) || isObj(ev['host']) || isObj(ev['file']))) return 'ecs';
  return 'unknown';
}

/**
 * Test helper: evtx_dump-style JSON (concatenated pretty-printed `{"Event": …}` objects, as the
 * Sigma regression data ships them) → flat native events, the shape Sigma field names refer to.
 * Kept local to the tests so they do not depend on the normalizer's progress.
 */
import { readFileSync } from 'node:fs';
import { splitConcatenatedJson } from '../helpers/json.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function scalar(v: unknown): unknown {
  if (isObj(v)) {
    if ('#text' in v) return v['#text'];
    return undefined;
  }
  return v;
}

/** `{Event: {System, EventData|UserData}}` → flat `{EventID, Channel, Computer, Provider_Name, …, Image, …}`. */
export function flattenEvtxJson(record: unknown): Obj {
  const ev = isObj(record) && isObj(record.Event) ? record.Event : (record as Obj);
  const out: Obj = {};
  const sys = isObj(ev.System) ? ev.System : {};
  for (const [k, v] of Object.entries(sys)) {
    if (k === 'Provider' && isObj(v) && isObj(v['#attributes'])) {
      const a = v['#attributes'];
      if (a.Name !== undefined) out.Provider_Name = a.Name;
      if (a.Guid !== undefined) out.Provider_Guid = a.Guid;
    } else if (k === 'TimeCreated' && isObj(v) && isObj(v['#attributes'])) {
      out.TimeCreated = v['#attributes'].SystemTime;
    } else if (isObj(v) && isObj(v['#attributes']) && !('#text' in v)) {
      for (const [ak, av] of Object.entries(v['#attributes'])) out[ak] = av;
    } else {
      const s = scalar(v);
      if (s !== undefined) out[k] = s;
    }
  }
  const data = isObj(ev.EventData) ? ev.EventData : isObj(ev.UserData) ? ev.UserData : null;
  if (data) flattenData(data, out);
  return out;
}

function flattenData(data: Obj, out: Obj): void {
  for (const [k, v] of Object.entries(data)) {
    if (k === '#attributes') continue;
    if (isObj(v) && !('#text' in v)) flattenData(v, out);
    else {
      // Sigma field names drop the spaces of EventData names ("Threat Name" → ThreatName).
      const name = k.replace(/ /g, '');
      if (out[name] === undefined) out[name] = scalar(v) ?? v;
    }
  }
}

export function readEvtxJsonFile(path: string): Obj[] {
  return splitConcatenatedJson(readFileSync(path, 'utf8')).map(flattenEvtxJson);
}

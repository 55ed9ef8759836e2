/**
 * Windows event XML (`<Event xmlns=…>…</Event>`) → the JSON shape evtx_dump produces, which is
 * what the EVTX reader yields, so rules see the same fields whatever the input:
 *
 *   { Event: { '#attributes': { xmlns }, System: { Provider: { '#attributes': { Name, Guid } },
 *     EventID: 11, …, TimeCreated: { '#attributes': { SystemTime } }, … },
 *     EventData: { Name: value, … } } }
 *
 * - attributes go under `#attributes` (empty ones are left out, like evtx_dump's null values); an
 *   element with attributes and text keeps the text in `#text`;
 * - an element with neither children, attributes nor text is `null` (`Correlation: null`);
 * - `<Data Name="X">v</Data>` in EventData becomes `X: "v"`; unnamed Data become
 *   `Data: { '#text': v }` (or an array of values when there are several);
 * - a repeated element name gets a suffix: `Keyword`, `Keyword_1`, `Keyword_2`;
 * - numbers where evtx_dump has numbers: System EventID, Version, Level, Task, Opcode,
 *   EventRecordID, Execution ProcessID/ThreadID, EventID Qualifiers;
 * - GUIDs written `{xxxxxxxx-…}` (Provider Guid, Correlation ActivityID, Sysmon ProcessGuid …)
 *   are written as evtx_dump writes them: upper case without braces;
 * - EventData values stay strings: XML carries no types (evtx_dump gives numbers for integer
 *   typed substitutions such as Sysmon's ProcessId). SystemTime keeps the XML's full precision.
 */
import type { Event } from '../../events/field.js';

export interface XmlElement {
  name: string;
  attrs: [string, string][];
  children: XmlElement[];
  text: string;
}

const NUMERIC_SYSTEM_ELEMENTS = new Set(['EventID', 'Version', 'Level', 'Task', 'Opcode', 'EventRecordID']);
const NUMERIC_ATTRIBUTES = new Set(['ProcessID', 'ThreadID', 'Qualifiers']);
const BRACED_GUID = /^\{([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}$/;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function toNumber(text: string): number | bigint | string {
  if (!/^\d{1,20}$/.test(text)) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function stringValue(text: string): string {
  const g = BRACED_GUID.exec(text);
  return g ? g[1]!.toUpperCase() : text;
}

/** Attributes with a value; empty ones are left out, as evtx_dump leaves out null substitutions
 * (python-evtx writes them as `Qualifiers=""`, `ActivityID=""`). */
function attributes(el: XmlElement): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of el.attrs) {
    if (v === '') continue;
    (out ??= {})[k] = NUMERIC_ATTRIBUTES.has(k) ? toNumber(v) : stringValue(v);
  }
  return out;
}

function addKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (!(key in obj)) {
    obj[key] = value;
    return;
  }
  let i = 1;
  while (`${key}_${i}` in obj) i++;
  obj[`${key}_${i}`] = value;
}

function convert(el: XmlElement, parent: string): unknown {
  const name = localName(el.name);
  if (name === 'EventData' && el.attrs.length === 0) return convertEventData(el);
  const hasText = el.text.trim().length > 0;
  const numeric = parent === 'System' && NUMERIC_SYSTEM_ELEMENTS.has(name);
  const attrs = el.attrs.length > 0 ? attributes(el) : undefined;
  if (el.children.length === 0 && !attrs) return hasText || el.text.length > 0 ? typedText(el.text, numeric) : null;
  const out: Record<string, unknown> = {};
  if (attrs) out['#attributes'] = attrs;
  for (const child of el.children) addKey(out, localName(child.name), convert(child, name));
  if (hasText) out['#text'] = typedText(el.text, numeric);
  return out;
}

function typedText(text: string, numeric: boolean): unknown {
  return numeric ? toNumber(text.trim()) : stringValue(text);
}

function convertEventData(el: XmlElement): unknown {
  if (el.children.length === 0) return el.text.trim() ? { '#text': el.text } : null;
  const out: Record<string, unknown> = {};
  const unnamed: string[] = [];
  for (const child of el.children) {
    const name = localName(child.name);
    const dataName = name === 'Data' ? child.attrs.find(([k]) => k === 'Name')?.[1] : undefined;
    if (name === 'Data' && dataName !== undefined) addKey(out, dataName, stringValue(child.text));
    else if (name === 'Data' && child.children.length === 0) unnamed.push(stringValue(child.text));
    else addKey(out, name, convert(child, 'EventData'));
  }
  if (unnamed.length > 0) out.Data = { '#text': unnamed.length === 1 ? unnamed[0] : unnamed };
  return out;
}

/** Convert one parsed `<Event>` element. */
export function xmlEventToJson(el: XmlElement): Event {
  return { Event: convert(el, '') as Record<string, unknown> };
}

/**
 * BinXML tree → the JSON shape evtx_dump (omerbenamram/evtx) prints.
 *
 * - An element is a key of its parent. With neither attributes nor child elements its value is
 *   its text (a single integer/bool substitution keeps its JSON type, anything else is a string),
 *   or null when empty. Otherwise it is an object: `#attributes`, `#text`, then child keys.
 * - Attributes whose value is empty (null or "") are left out.
 * - Inside EventData/UserData, `<Data Name="X">v</Data>` becomes `"X": v` ("" when empty);
 *   without any named Data, the Data values go to `"Data": {"#text": v | [v…]}`.
 * - Repeated sibling names get `_1`, `_2`… suffixes.
 *
 * Rendering works straight from the cached template definitions and each record's values;
 * nothing is copied. An element's children are "flattened" only when it holds substitutions
 * that expand: nested BinXML (spliced in place, with its own template values) and arrays
 * (the element is repeated once per item, MS-EVEN6 §3.1.4.7.5).
 */
import type { JsonValue } from '../../events/field.js';
import {
  ELEMENT, SUBST, TEMPLATE, TEXT, VALUE, isNested,
  type AttrNode, type ContentNode, type ElementNode, type Scalar, type SubValue,
} from './nodes.js';

export type JsonObject = { [k: string]: JsonValue };

const MAX_EXPAND_DEPTH = 32;
const NO_VALUES: SubValue[] = [];

/**
 * Children of an element as parallel arrays: node i is rendered with values vals[i]
 * (each template instance brings its own value array).
 */
interface Flat {
  nodes: ContentNode[];
  vals: SubValue[][];
}

/** Render a record's top-level nodes. */
export function renderRecord(roots: ContentNode[]): JsonObject {
  const only = roots.length === 1 ? roots[0]! : undefined;
  if (only !== undefined && only.k === TEMPLATE && only.def.nodes.every((n) => n.k === ELEMENT)) {
    // The usual record: one template instance whose definition is one root element.
    const out: JsonObject = {};
    for (const n of only.def.nodes as ElementNode[]) {
      setKey(out, uniqueKey(out, n.name), elementValue(n, only.values, isContainer(n.name)));
    }
    return out;
  }
  const flat: Flat = { nodes: [], vals: [] };
  flatten(roots, NO_VALUES, 0, flat);
  const out: JsonObject = {};
  for (let i = 0; i < flat.nodes.length; i++) {
    const n = flat.nodes[i]!;
    if (n.k === ELEMENT) setKey(out, uniqueKey(out, n.name), elementValue(n, flat.vals[i]!, isContainer(n.name)));
  }
  return out;
}

const isContainer = (name: string): boolean => name === 'EventData' || name === 'UserData';

function setKey(obj: JsonObject, key: string, v: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

function uniqueKey(obj: JsonObject, name: string): string {
  if (!Object.hasOwn(obj, name)) return name;
  for (let i = 1; ; i++) {
    const k = `${name}_${i}`;
    if (!Object.hasOwn(obj, k)) return k;
  }
}

// ---- expansion of nested fragments and arrays ----

/** An element's content with nested fragments and arrays expanded; null when it has none (the common case: no allocation). */
function expanded(el: ElementNode, vals: SubValue[]): Flat | null {
  if (!el.dyn || !needsFlatten(el, vals)) return null;
  const flat: Flat = { nodes: [], vals: [] };
  flatten(el.children, vals, 0, flat);
  return flat;
}

function flatten(nodes: ContentNode[], vals: SubValue[], depth: number, out: Flat): void {
  if (depth > MAX_EXPAND_DEPTH) return;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.k === SUBST) {
      const v = vals[n.index];
      if (v !== undefined && v !== null && isNested(v)) {
        flatten(v.nested, NO_VALUES, depth + 1, out);
        continue;
      }
    } else if (n.k === TEMPLATE) {
      flatten(n.def.nodes, n.values, depth + 1, out);
      continue;
    } else if (n.k === ELEMENT && n.dyn) {
      const a = arraySubst(n, vals);
      if (a >= 0) {
        const items = vals[a] as Scalar[];
        const count = Math.max(items.length, 1);
        for (let j = 0; j < count; j++) {
          const itemVals = vals.slice();
          itemVals[a] = items[j] ?? null;
          out.nodes.push(n);
          out.vals.push(itemVals);
        }
        continue;
      }
    }
    out.nodes.push(n);
    out.vals.push(vals);
  }
}

/** Index of the first array value among an element's direct substitutions, or -1. */
function arraySubst(el: ElementNode, vals: SubValue[]): number {
  const c = el.children;
  for (let i = 0; i < c.length; i++) {
    const n = c[i]!;
    if (n.k === SUBST && Array.isArray(vals[n.index])) return n.index;
  }
  return -1;
}

/** Does any child expand (nested BinXML, template instance, or an element repeated by an array)? */
function needsFlatten(el: ElementNode, vals: SubValue[]): boolean {
  const c = el.children;
  for (let i = 0; i < c.length; i++) {
    const n = c[i]!;
    if (n.k === TEMPLATE) return true;
    if (n.k === SUBST) {
      const v = vals[n.index];
      if (v !== null && v !== undefined && isNested(v)) return true;
    } else if (n.k === ELEMENT && n.dyn && arraySubst(n, vals) >= 0) return true;
  }
  return false;
}

// ---- values ----

/** The value a content node contributes as text; undefined when it is empty or not text. */
function scalarOf(n: ContentNode, vals: SubValue[]): Scalar | undefined {
  let v: SubValue | undefined;
  if (n.k === TEXT) v = n.text;
  else if (n.k === SUBST) v = vals[n.index];
  else if (n.k === VALUE) v = n.value;
  else return undefined;
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'object') return Array.isArray(v) ? v.join(',') : undefined;
  return v;
}

function asText(v: Scalar): string {
  return typeof v === 'string' ? v : String(v);
}

/** Text content: a lone typed value keeps its type, several are concatenated. */
function textOf(nodes: ContentNode[], vals: SubValue[], perNode: SubValue[][] | null): Scalar | undefined {
  let first: Scalar | undefined;
  let joined: string | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const v = scalarOf(nodes[i]!, perNode ? perNode[i]! : vals);
    if (v === undefined) continue;
    if (first === undefined) first = v;
    else joined = (joined ?? asText(first)) + asText(v);
  }
  return joined ?? first;
}

function attributesOf(attrs: AttrNode[], vals: SubValue[]): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    const v = textOf(a.value, vals, null);
    if (v !== undefined) setKey((out ??= {}), a.name, v);
  }
  return out;
}

function hasElement(nodes: ContentNode[]): boolean {
  for (let i = 0; i < nodes.length; i++) if (nodes[i]!.k === ELEMENT) return true;
  return false;
}

// ---- elements ----

function elementValue(el: ElementNode, vals: SubValue[], container: boolean): JsonValue {
  const flat = expanded(el, vals);
  const nodes = flat ? flat.nodes : el.children;
  const perNode = flat ? flat.vals : null;
  const attrs = el.attrs.length > 0 ? attributesOf(el.attrs, vals) : undefined;
  const text = textOf(nodes, vals, perNode);
  const hasChild = hasElement(nodes);
  if (!hasChild && !attrs) return text === undefined ? null : text;
  const obj: JsonObject = {};
  if (attrs) obj['#attributes'] = attrs;
  if (text !== undefined) obj['#text'] = text;
  if (hasChild) {
    if (perNode === null) addChildrenOf(obj, el, vals, container);
    else addChildren(obj, nodes, vals, perNode, container);
  }
  return obj;
}

function nameAttr(el: ElementNode, vals: SubValue[]): string | undefined {
  for (const a of el.attrs) {
    if (a.name === 'Name') {
      const v = textOf(a.value, vals, null);
      return v === undefined ? undefined : asText(v);
    }
  }
  return undefined;
}

/** A Data element inside EventData/UserData: its text ("" when empty), or text and children. */
function dataValue(el: ElementNode, vals: SubValue[]): JsonValue {
  const flat = expanded(el, vals);
  const nodes = flat ? flat.nodes : el.children;
  const perNode = flat ? flat.vals : null;
  const text = textOf(nodes, vals, perNode);
  if (!hasElement(nodes)) return text === undefined ? '' : text;
  const obj: JsonObject = {};
  if (text !== undefined) obj['#text'] = text;
  if (perNode === null) addChildrenOf(obj, el, vals, false);
  else addChildren(obj, nodes, vals, perNode, false);
  return obj;
}

/** The fixed keys of an element's children, or null when they depend on the record. */
function staticKeys(el: ElementNode, container: boolean): (string | undefined)[] | null {
  const keys: (string | undefined)[] = [];
  const seen = new Set<string>();
  for (const c of el.children) {
    if (c.k !== ELEMENT) {
      keys.push(undefined);
      continue;
    }
    let key = c.name;
    if (container && c.name === 'Data') {
      const attr = c.attrs.find((a) => a.name === 'Name');
      const only = attr && attr.value.length === 1 ? attr.value[0]! : undefined;
      if (!only || only.k !== TEXT || only.text === '') return null;
      key = only.text;
    }
    if (seen.has(key) || key === '__proto__') return null;
    seen.add(key);
    keys.push(key);
  }
  return keys;
}

/** Children of an unexpanded element: keys from the cached plan when it has one. */
function addChildrenOf(obj: JsonObject, el: ElementNode, vals: SubValue[], container: boolean): void {
  let keys = el.keys;
  if (keys === undefined) keys = el.keys = staticKeys(el, container);
  if (keys === null) return addChildren(obj, el.children, vals, null, container);
  const nodes = el.children;
  for (let i = 0; i < nodes.length; i++) {
    const c = nodes[i]!;
    if (c.k !== ELEMENT) continue;
    obj[keys[i]!] = container && c.name === 'Data' ? dataValue(c, vals) : elementValue(c, vals, isContainer(c.name));
  }
}

function addChildren(obj: JsonObject, nodes: ContentNode[], vals: SubValue[], perNode: SubValue[][] | null, container: boolean): void {
  let named = false;
  let positional: JsonValue[] | undefined;
  let holder: JsonObject | undefined;
  if (container) {
    for (let i = 0; i < nodes.length; i++) {
      const c = nodes[i]!;
      if (c.k === ELEMENT && c.name === 'Data' && nameAttr(c, perNode ? perNode[i]! : vals) !== undefined) {
        named = true;
        break;
      }
    }
  }
  for (let i = 0; i < nodes.length; i++) {
    const c = nodes[i]!;
    if (c.k !== ELEMENT) continue;
    const v = perNode ? perNode[i]! : vals;
    if (container && c.name === 'Data') {
      const key = named ? nameAttr(c, v) : undefined;
      if (key !== undefined) {
        setKey(obj, uniqueKey(obj, key), dataValue(c, v));
      } else if (positional === undefined) {
        // Unnamed Data (evtx_dump drops those that sit beside named ones; spoor keeps them here).
        positional = [dataValue(c, v)];
        // The holder keeps the position of the first Data; filled once every Data has been seen.
        holder = { '#text': null };
        setKey(obj, uniqueKey(obj, 'Data'), holder);
      } else {
        positional.push(dataValue(c, v));
      }
      continue;
    }
    setKey(obj, uniqueKey(obj, c.name), elementValue(c, v, isContainer(c.name)));
  }
  if (positional && holder) holder['#text'] = positional.length === 1 ? positional[0]! : positional;
}

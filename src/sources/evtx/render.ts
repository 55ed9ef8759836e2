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
 * Records whose values are all scalars (nearly all) are rendered straight from the cached
 * template definition. Array and nested-BinXML values take the slow path: the template is
 * resolved into a concrete tree first (arrays repeat their element, MS-EVEN6 §3.1.4.7.5).
 */
import type { JsonValue } from '../../events/field.js';
import {
  ELEMENT, SUBST, TEMPLATE, TEXT, VALUE, isNested,
  type AttrNode, type ContentNode, type ElementNode, type Scalar, type SubValue,
} from './nodes.js';

export type JsonObject = { [k: string]: JsonValue };

const MAX_RESOLVE_DEPTH = 32;

/** Render a record's top-level nodes. */
export function renderRecord(roots: ContentNode[]): JsonObject {
  let nodes = roots;
  let vals: SubValue[] = [];
  const only = roots.length === 1 ? roots[0]! : undefined;
  if (only && only.k === TEMPLATE && !only.complex) {
    nodes = only.def.nodes;
    vals = only.values;
  } else {
    nodes = resolve(roots, [], 0);
  }
  const out: JsonObject = {};
  for (const n of nodes) {
    if (n.k === ELEMENT) setKey(out, uniqueKey(out, n.name), elementValue(n, vals, isContainer(n.name)));
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

/** Text content of nodes: a lone typed value keeps its type, several are concatenated. */
function textOf(nodes: ContentNode[], vals: SubValue[]): Scalar | undefined {
  let first: Scalar | undefined;
  let joined: string | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const v = scalarOf(nodes[i]!, vals);
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
    const v = textOf(a.value, vals);
    if (v !== undefined) setKey((out ??= {}), a.name, v);
  }
  return out;
}

function hasElementChild(el: ElementNode): boolean {
  const c = el.children;
  for (let i = 0; i < c.length; i++) if (c[i]!.k === ELEMENT) return true;
  return false;
}

function elementValue(el: ElementNode, vals: SubValue[], container: boolean): JsonValue {
  const attrs = el.attrs.length > 0 ? attributesOf(el.attrs, vals) : undefined;
  const text = textOf(el.children, vals);
  const hasChild = hasElementChild(el);
  if (!hasChild && !attrs) return text === undefined ? null : text;
  const obj: JsonObject = {};
  if (attrs) obj['#attributes'] = attrs;
  if (text !== undefined) obj['#text'] = text;
  if (hasChild) addChildren(obj, el, vals, container);
  return obj;
}

function nameAttr(el: ElementNode, vals: SubValue[]): string | undefined {
  for (const a of el.attrs) {
    if (a.name === 'Name') {
      const v = textOf(a.value, vals);
      return v === undefined ? undefined : asText(v);
    }
  }
  return undefined;
}

function dataValue(el: ElementNode, vals: SubValue[]): JsonValue {
  if (hasElementChild(el)) {
    const obj: JsonObject = {};
    const text = textOf(el.children, vals);
    if (text !== undefined) obj['#text'] = text;
    addChildren(obj, el, vals, false);
    return obj;
  }
  const text = textOf(el.children, vals);
  return text === undefined ? '' : text;
}

function addChildren(obj: JsonObject, el: ElementNode, vals: SubValue[], container: boolean): void {
  const children = el.children;
  let named = false;
  let positional: JsonValue[] | undefined;
  let holder: JsonObject | undefined;
  if (container) {
    for (const c of children) {
      if (c.k === ELEMENT && c.name === 'Data' && nameAttr(c, vals) !== undefined) {
        named = true;
        break;
      }
    }
  }
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    if (c.k !== ELEMENT) continue;
    if (container && c.name === 'Data') {
      if (named) {
        const key = nameAttr(c, vals);
        if (key !== undefined) setKey(obj, uniqueKey(obj, key), dataValue(c, vals));
      } else if (positional === undefined) {
        positional = [dataValue(c, vals)];
        // Keeps the position of the first Data; filled once every Data has been seen.
        holder = { '#text': null };
        setKey(obj, uniqueKey(obj, 'Data'), holder);
      } else {
        positional.push(dataValue(c, vals));
      }
      continue;
    }
    setKey(obj, uniqueKey(obj, c.name), elementValue(c, vals, isContainer(c.name)));
  }
  if (positional && holder) holder['#text'] = positional.length === 1 ? positional[0]! : positional;
}

// ---- slow path: resolve templates into concrete trees ----

function resolve(nodes: ContentNode[], vals: SubValue[], depth: number): ContentNode[] {
  if (depth > MAX_RESOLVE_DEPTH) return [];
  const out: ContentNode[] = [];
  for (const n of nodes) {
    switch (n.k) {
      case ELEMENT:
        resolveElement(n, vals, depth, out);
        break;
      case SUBST: {
        const v = vals[n.index];
        if (v === undefined || v === null) break;
        if (isNested(v)) out.push(...resolve(v.nested, [], depth + 1));
        else if (Array.isArray(v)) out.push({ k: VALUE, value: v.join(',') });
        else out.push({ k: VALUE, value: v });
        break;
      }
      case TEMPLATE:
        out.push(...resolve(n.def.nodes, n.values, depth + 1));
        break;
      default:
        out.push(n);
    }
  }
  return out;
}

/** An element whose direct content is an array substitution is repeated once per item. */
function resolveElement(el: ElementNode, vals: SubValue[], depth: number, out: ContentNode[]): void {
  let arrayIndex = -1;
  for (const c of el.children) {
    if (c.k === SUBST && Array.isArray(vals[c.index])) {
      arrayIndex = c.index;
      break;
    }
  }
  if (arrayIndex < 0) {
    out.push(concreteElement(el, vals, depth));
    return;
  }
  const items = vals[arrayIndex] as Scalar[];
  const n = Math.max(items.length, 1);
  for (let i = 0; i < n; i++) {
    const itemVals = vals.slice();
    itemVals[arrayIndex] = items[i] ?? null;
    out.push(concreteElement(el, itemVals, depth));
  }
}

function concreteElement(el: ElementNode, vals: SubValue[], depth: number): ElementNode {
  return {
    k: ELEMENT,
    name: el.name,
    attrs: el.attrs.map((a) => ({ name: a.name, value: resolve(a.value, vals, depth + 1) })),
    children: resolve(el.children, vals, depth + 1),
  };
}

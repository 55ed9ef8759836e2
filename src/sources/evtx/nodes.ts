/**
 * The parsed form of BinXML: a small XML tree whose leaves may still be substitution
 * placeholders (inside template definitions) or template instances (inside records).
 * Template definitions are parsed once per chunk into this form and reused for every record.
 */

/** A decoded substitution value. Integers and bools keep their JSON type; the rest is text. */
export type Scalar = string | number | bigint | boolean | null;

/** A BinXml (0x21) substitution value: a nested fragment, rendered in place. */
export interface NestedFragment {
  nested: ContentNode[];
}

export type SubValue = Scalar | Scalar[] | NestedFragment;

export const ELEMENT = 1;
export const TEXT = 2;
export const SUBST = 3;
export const VALUE = 4;
export const TEMPLATE = 5;
export const PI = 6;

export interface ElementNode {
  k: typeof ELEMENT;
  name: string;
  attrs: AttrNode[];
  children: ContentNode[];
  /** Has a substitution or template instance among its children or grandchildren (may expand at render time). */
  dyn: boolean;
  /**
   * Render-time cache: the JSON key of each child when they are fixed and distinct (element
   * names, literal Data Name attributes); null when keys must be computed per record.
   */
  keys: (string | undefined)[] | null | undefined;
}

export interface AttrNode {
  name: string;
  value: ContentNode[];
}

/** Literal text: value tokens, CDATA, resolved character and entity references. */
export interface TextNode {
  k: typeof TEXT;
  text: string;
}

export interface SubstNode {
  k: typeof SUBST;
  index: number;
  /** The type the definition declares; the record's descriptor has the real one. */
  type: number;
  optional: boolean;
}

/** A concrete value placed by template resolution (the slow path for arrays and nesting). */
export interface ValueNode {
  k: typeof VALUE;
  value: Scalar;
}

export interface TemplateNode {
  k: typeof TEMPLATE;
  def: TemplateDef;
  values: SubValue[];
  /** True when some value is an array or a nested fragment, so the template must be resolved. */
  complex: boolean;
}

export interface PINode {
  k: typeof PI;
  target: string;
  data: string;
}

export type ContentNode = ElementNode | TextNode | SubstNode | ValueNode | TemplateNode | PINode;

export interface TemplateDef {
  /** Chunk-relative offset of the definition (its cache key). */
  offset: number;
  nodes: ContentNode[];
}

export function isNested(v: SubValue): v is NestedFragment {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

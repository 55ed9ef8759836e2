/**
 * BinXML token reader (MS-EVEN6 §3.1.4.7). Parses a fragment into `nodes.ts` form.
 *
 * All offsets (names, template definitions) are relative to the chunk, so one `ChunkContext`
 * holds the chunk buffer and its name and template caches. Every read is bounds-checked and
 * every loop advances, so damaged input ends in a `BinXmlError`, never a hang or a RangeError.
 */
import {
  ELEMENT, PI, SUBST, TEMPLATE, TEXT,
  type AttrNode, type ContentNode, type ElementNode, type PINode, type SubValue, type TemplateDef,
} from './nodes.js';
import { T_ARRAY, T_BINXML, decodeArray, decodeScalar } from './values.js';

export class BinXmlError extends Error {}

export interface ChunkContext {
  buf: Buffer;
  names: Map<number, string>;
  /** Parsed definitions by chunk offset; a string is the error a definition failed with. */
  templates: Map<number, TemplateDef | string>;
}

export function newChunkContext(buf: Buffer): ChunkContext {
  return { buf, names: new Map(), templates: new Map() };
}

/** How deep BinXml-in-substitution may nest (crafted files nest to exhaust the stack). */
const MAX_NESTING = 16;
/** How deep elements may nest in one fragment. */
const MAX_ELEMENT_DEPTH = 256;
/** More values than fit in a chunk means the count is garbage. */
const MAX_VALUES = 65536 / 4;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function fail(msg: string, pos: number): never {
  throw new BinXmlError(`${msg} at chunk offset ${pos}`);
}

function readName(ctx: ChunkContext, offset: number): string {
  const cached = ctx.names.get(offset);
  if (cached !== undefined) return cached;
  const buf = ctx.buf;
  if (offset < 0 || offset + 8 > buf.length) fail(`name offset ${offset} outside the chunk`, offset);
  const n = buf.readUInt16LE(offset + 6);
  const end = offset + 8 + 2 * n;
  if (end > buf.length) fail(`name at ${offset} runs past the chunk`, offset);
  const name = buf.toString('utf16le', offset + 8, end);
  ctx.names.set(offset, name);
  return name;
}

class Reader {
  pos: number;
  constructor(
    readonly ctx: ChunkContext,
    start: number,
    readonly end: number,
    readonly inTemplate: boolean,
    readonly depth: number,
  ) {
    this.pos = start;
    if (depth > MAX_NESTING) fail('BinXML nested too deeply', start);
  }

  need(n: number): void {
    if (this.pos + n > this.end) fail(`truncated BinXML (need ${n} bytes)`, this.pos);
  }

  u8(): number {
    this.need(1);
    return this.ctx.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.ctx.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.ctx.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A name reference; skips the Name structure when it is stored inline right here. */
  name(): string {
    const offset = this.u32();
    const name = readName(this.ctx, offset);
    if (offset === this.pos) {
      this.pos += 10 + 2 * this.ctx.buf.readUInt16LE(offset + 6);
      if (this.pos > this.end) fail('inline name runs past the fragment', offset);
    }
    return name;
  }

  /** u16 character count followed by that many UTF-16LE units. */
  text(): string {
    const n = this.u16();
    this.need(2 * n);
    const s = this.ctx.buf.toString('utf16le', this.pos, this.pos + 2 * n);
    this.pos += 2 * n;
    return s;
  }
}

/** Parse a fragment (until EOF token or `end`) into its top-level nodes. */
export function parseFragment(
  ctx: ChunkContext, start: number, end: number, inTemplate: boolean, depth: number,
): ContentNode[] {
  const r = new Reader(ctx, start, Math.min(end, ctx.buf.length), inTemplate, depth);
  return readNodes(r);
}

/**
 * A record's document. Nearly every record is exactly FragmentHeader + TemplateInstance + EOF;
 * that shape skips the general token loop.
 */
export function parseRecordDocument(ctx: ChunkContext, start: number, end: number, depth = 0): ContentNode[] {
  const buf = ctx.buf;
  if (
    end - start > 5 && buf[start] === 0x0f && buf[start + 1] === 0x01 && buf[start + 2] === 0x01 &&
    buf[start + 3] === 0x00 && buf[start + 4] === 0x0c
  ) {
    const r = new Reader(ctx, start + 5, Math.min(end, buf.length), false, depth);
    const node = readTemplateInstance(r);
    if (r.pos >= r.end || buf[r.pos] === 0x00) return [node];
  }
  return parseFragment(ctx, start, end, false, depth);
}

function readNodes(r: Reader): ContentNode[] {
  const roots: ContentNode[] = [];
  const stack: ElementNode[] = [];
  let attr: AttrNode | null = null;
  let lastPI: PINode | null = null;
  const target = (): ContentNode[] =>
    attr ? attr.value : stack.length > 0 ? stack[stack.length - 1]!.children : roots;

  while (r.pos < r.end) {
    const start = r.pos;
    const tok = r.u8();
    switch (tok & 0xbf) {
      case 0x00:
        if (stack.length > 0) fail('end of stream inside an element', start);
        return roots;
      case 0x0f:
        r.need(3);
        r.pos += 3;
        break;
      case 0x01: {
        if (r.inTemplate) r.u16(); // dependency identifier
        r.u32(); // data size
        const name = r.name();
        if (tok & 0x40) r.u32(); // attribute list size
        const el: ElementNode = { k: ELEMENT, name, attrs: [], children: [], dyn: false, keys: undefined };
        attr = null;
        target().push(el);
        stack.push(el);
        if (stack.length > MAX_ELEMENT_DEPTH) fail('elements nested too deeply', start);
        break;
      }
      case 0x02:
        if (stack.length === 0) fail('close of start element outside an element', start);
        attr = null;
        break;
      case 0x03:
      case 0x04:
        if (stack.length === 0) fail('end of element outside an element', start);
        attr = null;
        stack.pop();
        break;
      case 0x05: {
        r.u8(); // value type: always string
        target().push({ k: TEXT, text: r.text() });
        break;
      }
      case 0x06: {
        if (stack.length === 0) fail('attribute outside an element', start);
        const name = r.name();
        attr = { name, value: [] };
        stack[stack.length - 1]!.attrs.push(attr);
        break;
      }
      case 0x07:
        target().push({ k: TEXT, text: r.text() });
        break;
      case 0x08:
        target().push({ k: TEXT, text: String.fromCharCode(r.u16()) });
        break;
      case 0x09: {
        const name = r.name();
        target().push({ k: TEXT, text: ENTITIES[name] ?? `&${name};` });
        break;
      }
      case 0x0a:
        lastPI = { k: PI, target: r.name(), data: '' };
        target().push(lastPI);
        break;
      case 0x0b: {
        const data = r.text();
        if (lastPI) lastPI.data = data;
        break;
      }
      case 0x0c:
        // A definition that instantiates templates could nest or refer to itself without end.
        if (r.inTemplate) fail('template instance inside a template definition', start);
        if (!attr) markDynamic(stack);
        target().push(readTemplateInstance(r));
        break;
      case 0x0d:
      case 0x0e: {
        const index = r.u16();
        const type = r.u8();
        if (!attr) markDynamic(stack);
        target().push({ k: SUBST, index, type, optional: (tok & 0xbf) === 0x0e });
        break;
      }
      default:
        fail(`invalid BinXML token 0x${tok.toString(16)}`, start);
    }
  }
  if (stack.length > 0) fail('fragment ends inside an element', r.pos);
  return roots;
}

/**
 * The innermost element gets a substitution child: it and its parent may expand when rendered
 * (nested BinXML splices into the element; an array repeats it inside its parent).
 */
function markDynamic(stack: ElementNode[]): void {
  const n = stack.length;
  if (n > 0) stack[n - 1]!.dyn = true;
  if (n > 1) stack[n - 2]!.dyn = true;
}

function templateAt(ctx: ChunkContext, offset: number, depth: number): TemplateDef {
  const cached = ctx.templates.get(offset);
  if (cached !== undefined) {
    if (typeof cached === 'string') throw new BinXmlError(cached);
    return cached;
  }
  const buf = ctx.buf;
  // Marks the definition as in progress, so a reference to itself fails instead of recursing.
  ctx.templates.set(offset, `template definition at ${offset} refers to itself`);
  try {
    if (offset < 0 || offset + 24 > buf.length) fail(`template offset ${offset} outside the chunk`, offset);
    const size = buf.readUInt32LE(offset + 20);
    const start = offset + 24;
    if (start + size > buf.length) fail(`template at ${offset} runs past the chunk`, offset);
    const def: TemplateDef = { offset, nodes: parseFragment(ctx, start, start + size, true, depth + 1) };
    ctx.templates.set(offset, def);
    return def;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    ctx.templates.set(offset, `template definition: ${msg}`);
    throw new BinXmlError(`template definition: ${msg}`);
  }
}

function readTemplateInstance(r: Reader): ContentNode {
  r.u8(); // unknown, 1
  r.u32(); // template id
  const defOffset = r.u32();
  const def = templateAt(r.ctx, defOffset, r.depth);
  if (defOffset === r.pos) {
    // First use in the chunk: the definition is stored inline here.
    r.need(24);
    const size = r.ctx.buf.readUInt32LE(r.pos + 20);
    r.pos += 24;
    r.need(size);
    r.pos += size;
  }
  const count = r.u32();
  if (count > MAX_VALUES) fail(`implausible substitution count ${count}`, r.pos - 4);
  r.need(4 * count);
  const buf = r.ctx.buf;
  const descStart = r.pos;
  r.pos += 4 * count;
  const values: SubValue[] = new Array<SubValue>(count);
  let complex = false;
  for (let i = 0; i < count; i++) {
    const size = buf.readUInt16LE(descStart + 4 * i);
    const type = buf[descStart + 4 * i + 2]!;
    r.need(size);
    const p = r.pos;
    if (type === T_BINXML) {
      values[i] = size === 0 ? null : { nested: parseRecordDocument(r.ctx, p, p + size, r.depth + 1) };
      complex = true;
    } else if (type & T_ARRAY) {
      values[i] = decodeArray(buf, p, size, type);
      complex = true;
    } else {
      values[i] = decodeScalar(buf, p, size, type);
    }
    r.pos = p + size;
  }
  return { k: TEMPLATE, def, values, complex };
}

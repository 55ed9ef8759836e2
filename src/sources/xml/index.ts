/**
 * Windows event XML exports, streamed: `wevtutil qe … /f:xml` (Event elements one after another,
 * no root), `Get-WinEvent | % ToXml`, and files wrapped in `<Events>` (or any other root).
 * Every `<Event>` element, wherever it sits, becomes one event in evtx_dump's JSON shape.
 * A broken event is reported as `malformed-xml` at `line N` and skipped; the next one is read.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ProblemSink, SourceEvent } from '../types.js';
import { xmlEventToJson, type XmlElement } from './event.js';
import { XmlTokenizer, type XmlToken } from './tokenizer.js';
import { MAX_JSON_DEPTH } from '../../events/json.js';

export { xmlEventToJson, type XmlElement } from './event.js';
export { XmlTokenizer, decodeEntities, type XmlToken, type TokenSink } from './tokenizer.js';

function isEventTag(name: string): boolean {
  return name === 'Event' || name.endsWith(':Event');
}

/** Assembles `<Event>` elements from tokens. */
export class XmlEventAssembler {
  private stack: XmlElement[] = [];
  /** > 0 while skipping an event nested too deep: how many of its elements are still open. */
  private skipLevel = 0;
  private eventLine = 0;
  private count = 0;

  constructor(
    private readonly file: string,
    private readonly onProblem: ProblemSink,
  ) {}

  feed(tokens: XmlToken[], out: SourceEvent[]): void {
    for (const t of tokens) this.token(t, out);
  }

  finish(): void {
    if (this.stack.length > 0) {
      this.problem(this.eventLine, `input ends inside <${this.stack[this.stack.length - 1]!.name}> (event skipped)`);
      this.stack = [];
    }
  }

  private problem(line: number, message: string): void {
    this.onProblem({ kind: 'malformed-xml', file: this.file, where: `line ${line}`, message, skipped: true });
  }

  /** Take one token; completed events are appended to `out`. */
  token(t: XmlToken, out: SourceEvent[]): void {
    if (this.skipLevel > 0) {
      if (t.type === 'error') {
        this.skipLevel = 0;
        this.problem(t.line, t.message);
      } else if (t.type === 'open' && !t.selfClosing) this.skipLevel++;
      else if (t.type === 'close') this.skipLevel--;
      return;
    }
    const stack = this.stack;
    if (t.type === 'error') {
      if (stack.length > 0) {
        this.problem(t.line, `${t.message}; event starting at line ${this.eventLine} skipped`);
        this.stack = [];
      } else this.problem(t.line, t.message);
      return;
    }
    if (stack.length === 0) {
      if (t.type === 'open' && isEventTag(t.name)) {
        this.eventLine = t.line;
        const el: XmlElement = { name: t.name, attrs: t.attrs, children: [], text: '' };
        if (t.selfClosing) this.emit(el, out);
        else stack.push(el);
      }
      return; // wrappers such as <Events>, whitespace, and their end tags
    }
    if (t.type === 'open' && isEventTag(t.name)) {
      // Events do not nest: this one starts while the last has not ended (its end tag lost, or
      // its text cut off). The unfinished one is reported; the new one is read.
      this.problem(this.eventLine, `<${stack[0]!.name}> not closed before the next event at line ${t.line}; event starting at line ${this.eventLine} skipped`);
      this.stack = [];
      this.token(t, out);
      return;
    }
    const top = stack[stack.length - 1]!;
    if (t.type === 'text') {
      top.text += t.text;
      return;
    }
    if (t.type === 'open') {
      if (!t.selfClosing && stack.length >= MAX_JSON_DEPTH) {
        // Its JSON form would nest as deep: skipped before anything recurses (docs/sources.md).
        this.problem(t.line, `nested deeper than ${MAX_JSON_DEPTH} elements; event starting at line ${this.eventLine} skipped`);
        this.skipLevel = stack.length + 1;
        this.stack = [];
        return;
      }
      const el: XmlElement = { name: t.name, attrs: t.attrs, children: [], text: '' };
      top.children.push(el);
      if (!t.selfClosing) stack.push(el);
      return;
    }
    if (t.name !== top.name) {
      this.problem(t.line, `</${t.name}> does not close <${top.name}>; event starting at line ${this.eventLine} skipped`);
      this.stack = [];
      return;
    }
    stack.pop();
    if (stack.length === 0) this.emit(top, out);
  }

  private emit(el: XmlElement, out: SourceEvent[]): void {
    this.count++;
    out.push({ event: xmlEventToJson(el), file: this.file, position: this.count });
  }
}

/** Read Windows event XML from a UTF-8 byte stream. Positions are 1-based event numbers. */
export async function* readXmlEvents(
  bytes: AsyncIterable<Buffer>,
  file: string,
  onProblem: ProblemSink,
): AsyncIterable<SourceEvent[]> {
  const decoder = new StringDecoder('utf8');
  const tokenizer = new XmlTokenizer();
  const assembler = new XmlEventAssembler(file, onProblem);
  let batch: SourceEvent[] = [];
  const sink = { push: (t: XmlToken): void => assembler.token(t, batch) };
  let first = true;
  for await (const chunk of bytes) {
    let text = decoder.write(chunk);
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    tokenizer.write(text, sink);
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  tokenizer.write(decoder.end(), sink);
  assembler.feed(tokenizer.end(), batch);
  assembler.finish();
  if (batch.length > 0) yield batch;
}

/**
 * A small, strict, streaming XML tokenizer: enough for Windows event XML, no dependency.
 *
 * Feed text with `push`, get tokens as soon as they are complete; an incomplete token at the end
 * of the text waits for the next push. Handles start/end/empty-element tags, attributes quoted
 * with `"` or `'`, the five predefined entities and numeric character references, CDATA,
 * comments, processing instructions and DOCTYPE. Line numbers are tracked for error reports.
 */

export type XmlToken =
  | { type: 'open'; name: string; attrs: [string, string][]; selfClosing: boolean; line: number }
  | { type: 'close'; name: string; line: number }
  | { type: 'text'; text: string; line: number }
  | { type: 'error'; message: string; line: number };

/** Text longer than this without any markup is treated as a broken file. */
const MAX_PENDING = 64 * 1024 * 1024;

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decode entity and character references; throws on an unknown or malformed reference. */
export function decodeEntities(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(/&([^;&\s]{0,12});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new Error(`bare '&' or unterminated reference ${JSON.stringify(whole)}`);
    if (ref.startsWith('#x') || ref.startsWith('#X')) return codePoint(ref.slice(2), 16, whole);
    if (ref.startsWith('#')) return codePoint(ref.slice(1), 10, whole);
    const named = NAMED_ENTITIES[ref];
    if (named === undefined) throw new Error(`unknown entity ${whole}`);
    return named;
  });
}

function codePoint(digits: string, radix: number, whole: string): string {
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/;
  const n = valid.test(digits) ? parseInt(digits, radix) : NaN;
  if (!Number.isFinite(n) || n > 0x10ffff) throw new Error(`bad character reference ${whole}`);
  return String.fromCodePoint(n);
}

/** Where tokens go (an array will do). */
export interface TokenSink {
  push(t: XmlToken): unknown;
}

export class XmlTokenizer {
  private buf = '';
  private line = 1;
  /** Advance the line count over buf[from, to). (A plain loop: String#indexOf('\n') turned out
   * to be pathologically slow here in optimized code.) */
  private countLines(s: string, from: number, to: number): void {
    let n = 0;
    for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
    this.line += n;
  }

  /** Append text; returns every token completed so far. */
  push(text: string): XmlToken[] {
    const out: XmlToken[] = [];
    this.write(text, out);
    return out;
  }

  /**
   * Append text and hand each completed token to `sink` as soon as it is complete. Preferred for
   * big inputs: tokens die young instead of piling up per chunk (which made GC dominate).
   */
  write(text: string, sink: TokenSink): void {
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.drain(false, sink);
  }

  /** End of input: flush trailing text, report an unfinished construct. */
  end(): XmlToken[] {
    const out: XmlToken[] = [];
    this.drain(true, out);
    return out;
  }

  private drain(final: boolean, out: TokenSink): void {
    const s = this.buf;
    let pos = 0;
    while (pos < s.length) {
      const lt = s.indexOf('<', pos);
      if (lt !== pos) {
        const stop = lt === -1 ? s.length : lt;
        if (lt === -1 && !final) break; // the text may go on in the next chunk
        out.push(this.textToken(s.slice(pos, stop)));
        this.countLines(s, pos, stop);
        pos = stop;
        continue;
      }
      const consumed = this.markup(s, pos, out);
      if (consumed === 0) {
        // Markup that never completes (an unclosed comment, CDATA section or tag) would take the
        // rest of the input with it: at the end of the input, or once it is longer than anything
        // real, it is reported and only its '<' given up; reading goes on from the next character
        // (the events after it are read; the assembler has dropped the one it was in).
        if (final || s.length - pos > MAX_PENDING) {
          out.push({ type: 'error', message: final ? 'input ends inside markup' : `over ${MAX_PENDING} characters without complete markup`, line: this.line });
          pos++;
          continue;
        }
        break;
      }
      this.countLines(s, pos, pos + consumed);
      pos += consumed;
    }
    this.buf = pos === s.length ? '' : s.slice(pos);
    if (this.buf.length > MAX_PENDING && this.buf.charCodeAt(0) !== 60) {
      out.push({ type: 'error', message: `over ${MAX_PENDING} characters without complete markup`, line: this.line });
      this.buf = '';
    }
  }

  private textToken(raw: string): XmlToken {
    try {
      return { type: 'text', text: decodeEntities(raw), line: this.line };
    } catch (e) {
      return { type: 'error', message: (e as Error).message, line: this.line };
    }
  }

  /** Tokenize the markup at s[pos] === '<'; returns characters consumed, 0 if incomplete. */
  private markup(s: string, pos: number, out: TokenSink): number {
    const line = this.line;
    if (s.startsWith('<!--', pos)) {
      const e = s.indexOf('-->', pos + 4);
      // An event's start tag inside a comment is an unclosed comment, not a comment about events.
      // Searched only inside the comment when it is closed (a file of many comments stays linear).
      EVENT_START.lastIndex = 0;
      const m = EVENT_START.exec(e === -1 ? s.slice(pos + 4) : s.slice(pos + 4, e));
      if (m !== null) {
        out.push({ type: 'error', message: 'comment not closed before the next <Event>', line });
        return m.index + 4;
      }
      return e === -1 ? 0 : e + 3 - pos;
    }
    if (s.startsWith('<![CDATA[', pos)) {
      const e = s.indexOf(']]>', pos + 9);
      if (e === -1) return 0;
      out.push({ type: 'text', text: s.slice(pos + 9, e), line });
      return e + 3 - pos;
    }
    if (s.startsWith('<?', pos)) {
      const e = s.indexOf('?>', pos + 2);
      return e === -1 ? 0 : e + 2 - pos;
    }
    if (s.startsWith('<!', pos)) {
      if (s.length - pos < 9) return 0; // could still become <![CDATA[ or <!--
      // DOCTYPE (with an optional internal subset in [ ]).
      const bracket = s.indexOf('[', pos);
      const gt = s.indexOf('>', pos);
      if (gt === -1) return 0;
      if (bracket !== -1 && bracket < gt) {
        const e = s.indexOf(']>', bracket);
        return e === -1 ? 0 : e + 2 - pos;
      }
      return gt + 1 - pos;
    }
    // A tag: find its '>' outside quotes.
    let quote = 0;
    let gt = -1;
    for (let i = pos + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (quote) {
        if (c === quote) quote = 0;
        else if (c === 60) {
          // '<' cannot occur in an attribute value: the quote was never closed.
          out.push({ type: 'error', message: "attribute value not closed ('<' inside it)", line });
          return i - pos;
        }
      } else if (c === 34 || c === 39) quote = c;
      else if (c === 62) {
        gt = i;
        break;
      } else if (c === 60) {
        out.push({ type: 'error', message: "'<' inside a tag", line });
        return i - pos;
      }
    }
    if (gt === -1) return 0;
    const body = s.slice(pos + 1, gt);
    out.push(parseTag(body, line));
    return gt + 1 - pos;
  }
}

/** An `<Event>` start tag (any namespace prefix), as the assembler recognises events. */
const EVENT_START = /<(?:[A-Za-z_][-A-Za-z0-9_.]*:)?Event[\s>\/]/g;

const NAME_RE = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
/** An attribute, which must follow whitespace. */
const ATTR_RE = /\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TRAILING_SPACE_RE = /\s*$/y;

function parseTag(body: string, line: number): XmlToken {
  if (body.startsWith('/')) {
    const name = body.slice(1).trim();
    if (!NAME_RE.test(name) || NAME_RE.exec(name)![0] !== name) return { type: 'error', message: `bad end tag </${preview(body.slice(1))}>`, line };
    return { type: 'close', name, line };
  }
  const selfClosing = body.endsWith('/');
  const inner = selfClosing ? body.slice(0, -1) : body;
  const m = NAME_RE.exec(inner);
  if (!m) return { type: 'error', message: `bad tag <${preview(body)}>`, line };
  const name = m[0];
  const attrs: [string, string][] = [];
  let i = name.length;
  while (i < inner.length) {
    ATTR_RE.lastIndex = i;
    const a = ATTR_RE.exec(inner);
    if (!a) {
      TRAILING_SPACE_RE.lastIndex = i;
      if (TRAILING_SPACE_RE.test(inner)) break;
      return { type: 'error', message: `bad attribute syntax in <${preview(body)}>`, line };
    }
    const raw = a[2] ?? a[3] ?? '';
    try {
      attrs.push([a[1]!, raw.indexOf('&') === -1 ? raw : decodeEntities(raw)]);
    } catch (e) {
      return { type: 'error', message: `${(e as Error).message} in attribute ${a[1]}`, line };
    }
    i = ATTR_RE.lastIndex;
  }
  return { type: 'open', name, attrs, selfClosing, line };
}

/** At most 40 characters of markup for a message, control characters (NUL runs…) escaped. */
function preview(s: string): string {
  const runs = s.replace(/\u0000{4,}/g, (m) => `[${m.length} NUL bytes]`);
  const t = runs.length > 40 ? `${runs.slice(0, 40)}…` : runs;
  // eslint-disable-next-line no-control-regex
  return t.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

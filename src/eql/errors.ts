/** Characters shown on each side of the error column when a source line is very long. */
const CONTEXT = 80;

/**
 * The one error type of the EQL front end, for syntax and semantic errors alike: it carries a
 * 1-based line and column, what the parser expected, and can render the offending source line
 * with a caret under the position.
 */
export class EqlSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  readonly expected?: string[];
  /** The full query text, kept to render `format()`. */
  readonly source: string;
  /** The bare reason, without position (`message` adds `line:column`). */
  readonly reason: string;

  constructor(reason: string, source: string, line: number, column: number, expected?: string[]) {
    super(`${line}:${column}: ${reason}`);
    this.name = 'EqlSyntaxError';
    this.reason = reason;
    this.source = source;
    this.line = line;
    this.column = column;
    if (expected !== undefined && expected.length > 0) this.expected = expected;
  }

  /** Multi-line message: `line:column: reason`, the source line, and a caret under the column. */
  format(): string {
    const lines = this.source.split(/\r\n|\r|\n/);
    let text = lines[this.line - 1] ?? '';
    let col = this.column;
    // Show a window around the column of a very long line (a one-line rule with a huge list).
    if (text.length > 2 * CONTEXT) {
      const from = Math.max(0, col - 1 - CONTEXT);
      const to = Math.min(text.length, col - 1 + CONTEXT);
      const head = from > 0 ? '…' : '';
      text = `${head}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
      col = col - from + head.length;
    }
    // Keep tabs in the caret line so the caret stays aligned with the source line.
    const pad = text.slice(0, col - 1).replace(/[^\t]/g, ' ');
    const gutter = `${this.line} | `;
    return [
      `EQL error at line ${this.line}, column ${this.column}: ${this.reason}`,
      `${gutter}${text}`,
      `${' '.repeat(gutter.length)}${pad}^`,
    ].join('\n');
  }
}

/** Maps a character offset to a 1-based line and column (binary search over line starts). */
export class SourceMap {
  private readonly lineStarts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.lineStarts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  error(offset: number, reason: string, expected?: string[]): EqlSyntaxError {
    const { line, column } = this.position(offset);
    return new EqlSyntaxError(reason, this.text, line, column, expected);
  }
}

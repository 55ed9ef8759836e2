/**
 * Readable YAML problems for user-written configuration (the exceptions file): `FILE:LINE:COL:
 * message`, then the source line and a caret under the column — never a stack trace. Also the
 * position of a node, so type errors name the key and where it is.
 */
import type { LineCounter, YAMLError } from 'yaml';

/** `FILE:LINE:COL` of a node's start (1-based), or `FILE` when the node has no range. */
export function nodeWhere(file: string, lc: LineCounter, node: { range?: [number, number, number] | null } | null | undefined): string {
  if (!node?.range) return file;
  const p = lc.linePos(node.range[0]);
  return `${file}:${p.line}:${p.col}`;
}

/** A YAML syntax error as `FILE:LINE:COL: YAML: message` + the offending line + a caret line. */
export function formatYamlError(file: string, text: string, lc: LineCounter, err: YAMLError): string {
  const p = lc.linePos(err.pos[0]);
  // The library's message repeats the position and an excerpt after the first line: keep only the first.
  const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const line = (text.split(/\r?\n/)[p.line - 1] ?? '').replace(/\t/g, ' ');
  const shown = line.length > 160 ? line.slice(0, 160) + '…' : line;
  const caret = ' '.repeat(Math.min(Math.max(0, p.col - 1), shown.length)) + '^';
  return `${file}:${p.line}:${p.col}: YAML: ${message}\n  ${shown}\n  ${caret}`;
}

/**
 * Readable YAML problems for user-written configuration (the exceptions file): `FILE:LINE:COL:
 * message`, then the source line and a caret under the column — never a stack trace. Also the
 * position of a node, so type errors name the key and where it is.
 */
import { LineCounter, isMap, isSeq, parseDocument, visit, type Document, type YAMLError } from 'yaml';

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

/**
 * The first mapping key that is a list or a map (`[Image, CommandLine]: x`, `? {a: 1}`), which YAML
 * allows but a JSON object cannot hold: converted to JS it would become the key's text
 * (`"[ Image, CommandLine ]"`) with a warning printed by the library, and a rule would test a field
 * of that name — matching nothing, silently. Its start offset and its text, or null when none.
 */
export function collectionKey(doc: Document): { offset: number; text: string } | null {
  let found: { offset: number; text: string } | null = null;
  visit(doc, {
    Pair(_key, pair) {
      const k = pair.key;
      if (isMap(k) || isSeq(k)) {
        const text = String(k).replace(/\s+/g, ' ').trim();
        found = { offset: (k as { range?: [number, number, number] }).range?.[0] ?? 0, text: text.length > 60 ? text.slice(0, 60) + '…' : text };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** What collectionKey found, as a problem text `LINE:COL: YAML: …` (without the file). */
export function collectionKeyMessage(key: { offset: number; text: string }, lc: LineCounter): string {
  const p = lc.linePos(key.offset);
  return `${p.line}:${p.col}: YAML: a mapping key must be a single value, not a list or a map (${key.text})`;
}

/**
 * YAML text to plain data for configuration and list files, strictly: a syntax error, a duplicate
 * key or a key that is a list or a map throws an Error `FILE:LINE:COL: …` (plain `parse` would warn
 * on stderr and keep the key's text as a key).
 */
export function parseYamlData(text: string, file: string): unknown {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(formatYamlError(file, text, lc, doc.errors[0]!));
  const bad = collectionKey(doc);
  if (bad !== null) throw new Error(`${file}:${collectionKeyMessage(bad, lc)}`);
  return doc.toJS({ maxAliasCount: 100 });
}

/**
 * Shortening table cells for a terminal without losing what matters: a path keeps its file name,
 * words are not cut in the middle, a command line keeps its program and its (interesting) end.
 * Only used when the output is a terminal; files and pipes get every cell whole.
 */

const ELLIPSIS = '…';

/** `C:\Windows\Very\Long\…\PSEXESVC.exe`: cut inside the directories, keep the file name whole. */
export function cutPath(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return s.slice(0, max);
  const sep = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
  const tail = sep >= 0 ? s.slice(sep) : s;
  if (tail.length + 1 > max) return cutWords(s, max); // the name alone does not fit
  const room = max - 1 - tail.length;
  let head = s.slice(0, room);
  // End the kept head at a directory boundary when there is one.
  const lastSep = Math.max(head.lastIndexOf('\\'), head.lastIndexOf('/'));
  if (lastSep > 0) head = head.slice(0, lastSep + 1);
  return `${head}${ELLIPSIS}${tail}`;
}

/** Cut at the end, at a word boundary (space, separator, punctuation) when one is near. */
export function cutWords(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return s.slice(0, max);
  const room = max - 1;
  const slice = s.slice(0, room + 1);
  // The last boundary within the room, if it keeps at least half of it.
  let at = -1;
  for (let i = room; i >= Math.ceil(room / 2); i--) {
    if (/[\s\\/,;:|¦–-]/.test(slice[i] ?? '')) {
      at = i;
      break;
    }
  }
  const kept = at > 0 ? s.slice(0, at).trimEnd() : s.slice(0, room);
  return kept + ELLIPSIS;
}

/**
 * `powershell.exe …-enc SQBFAFgA…`: the program's file name, then the end of the line (where the
 * arguments are); the middle (usually the program's directory and routine switches) goes.
 */
export function cutCommandLine(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return s.slice(0, max);
  const m = /^\s*("([^"]*)"|(\S+))/.exec(s);
  const program = m ? (m[2] ?? m[3] ?? '') : '';
  const name = program.split(/[\\/]/).pop() ?? '';
  const prefix = name && name.length + 2 <= Math.floor(max / 2) ? `${name} ` : '';
  const room = max - prefix.length - 1;
  let tail = s.slice(s.length - room);
  // Start the kept end at a word when one starts soon enough.
  const sp = tail.indexOf(' ');
  if (sp >= 0 && sp < room / 3) tail = tail.slice(sp + 1);
  return `${prefix}${ELLIPSIS}${tail}`;
}

/**
 * A details cell (`Cmdline: … ¦ Proc: …`) shortened to `max`: the command line is shortened first
 * (program + end), then the cell is cut at the end between words.
 */
export function cutDetails(fields: Record<string, string>, max: number, join: (f: Record<string, string>) => string): string {
  let text = join(fields);
  if (text.length <= max) return text;
  const cmd = fields.Cmdline;
  if (cmd !== undefined) {
    const over = text.length - max;
    const target = Math.max(24, cmd.length - over);
    if (target < cmd.length) {
      text = join({ ...fields, Cmdline: cutCommandLine(cmd, target) });
      if (text.length <= max) return text;
    }
  }
  return cutWords(text, max);
}

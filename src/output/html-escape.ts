/** Escaping for HTML text, attribute values and SVG text: event data is attacker-controlled. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escape for element content and quoted attribute values; control characters are dropped visibly. */
export function esc(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\uFFFD');
}

/** A value safe for an element id / fragment: only [A-Za-z0-9_-]. */
export function safeId(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_');
}

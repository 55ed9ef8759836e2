/**
 * Multi-valued fields that can also be read as one text.
 *
 * Windows EventData may carry several unnamed `<Data>` values (MSSQL 18456, MSI 1040, ESENT 325,
 * Windows PowerShell 400/800…). Sigma rules test them as one field, `Data|contains: …`, and the
 * SigmaHQ rules describe `Data` as "the container for the event data as a whole". So such a field
 * is an array of its values (a test matches when any value matches, as for every array) that
 * also carries the values joined into one text (a test that matches the joined text matches the
 * field too: `Data|contains: 'a b'` finds `['…a', 'b…']`).
 *
 * The joined text rides on the array under a symbol, not as an element: JSON output, spreads and
 * structured clones see only the values. Normalization (native view) builds such arrays; the
 * engine's any-value loops read the joined text after the elements.
 */

/** Key of the joined text on a multi-valued array (a non-enumerable own property). */
export const JOINED_TEXT: unique symbol = Symbol('spoor.joinedText');

/** What separates values in the joined text. */
export const JOIN_SEPARATOR = ' ';

export type MultiValue = unknown[] & { readonly [JOINED_TEXT]?: string };

/** An array of `values` that also reads as their text joined by a space (values as text; null/absent → ''). */
export function multiValue(values: readonly unknown[]): MultiValue {
  const out = values.slice();
  const joined = values.map(valueText).join(JOIN_SEPARATOR);
  Object.defineProperty(out, JOINED_TEXT, { value: joined, enumerable: false });
  return out;
}

/** The joined text of a multi-valued array, or undefined for any other value. */
export function joinedText(v: unknown): string | undefined {
  return Array.isArray(v) ? (v as MultiValue)[JOINED_TEXT] : undefined;
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return '';
}

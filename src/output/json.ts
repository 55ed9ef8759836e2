/**
 * JSON text for alerts. Events keep 64-bit integers as bigint (parseJsonExact), which
 * JSON.stringify rejects; here they are written as exact integer literals instead.
 */
import { randomBytes } from 'node:crypto';

/** JSON.stringify that writes bigint values as plain integer literals (exact, not quoted). */
export function stringifyExact(value: unknown, indent?: number): string {
  let sawBigint = false;
  // A per-call nonce: event data cannot forge the marker that is turned back into a number.
  const marker = `\u0001bigint-${randomBytes(6).toString('hex')}:`;
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') {
        sawBigint = true;
        return marker + v.toString();
      }
      return v;
    },
    indent,
  );
  if (!sawBigint) return text;
  const quoted = JSON.stringify(marker).slice(0, -1); // `"` + escaped marker, no closing quote
  return text.split(quoted).map((part, i) => (i === 0 ? part : part.replace(/^(-?\d+)"/, '$1'))).join('');
}

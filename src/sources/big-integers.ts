/**
 * A fast pre-check for `parseJsonExact`: can this text hold an integer literal of 16+ digits?
 * Only such text needs the exact (slower) parse; the rest goes straight to `JSON.parse`.
 *
 * Scans like Boyer–Moore for a character class: look at every 16th character; only when it is a
 * digit look back for the start of its run. About 8× faster than `/\d{16}/` on log data, whose
 * many short digit runs (timestamps, pids) make the regex backtrack.
 */
const RUN = 16;

/** JavaScript's `\s` (the class parseJsonExact's pattern uses). */
function isSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Exactly `/[:,[]\s*-?\d{16}/.test(s)` (parseJsonExact's own first check), at the speed of
 * the skip scan above: a run of 16+ digits counts only where a JSON number may stand, after `:`, `,` or `[`
 * (spaces and a minus sign between). Long digit runs inside strings (Elastic Defend's
 * `"header_bytes":"0000…"`, hashes, GUIDs) no longer send a line, or a whole block of lines, to
 * the exact parse: on the generated Defend data 15% of the lines held one, none a 64-bit number.
 */
export function mayHoldBigLiteral(s: string): boolean {
  const n = s.length;
  let i = RUN - 1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) {
      i += RUN;
      continue;
    }
    const stop = i - RUN;
    let j = i - 1;
    while (j > stop) {
      const d = s.charCodeAt(j);
      if (d < 48 || d > 57) break;
      j--;
    }
    if (j !== stop) {
      i = j + RUN; // the next window that could be all digits ends here
      continue;
    }
    // s[j+1 … i] are 16 digits: find where the run starts, then what stands before it.
    while (j >= 0) {
      const d = s.charCodeAt(j);
      if (d < 48 || d > 57) break;
      j--;
    }
    let k = j;
    if (k >= 0 && s.charCodeAt(k) === 45 /* - */) k--;
    while (k >= 0 && isSpace(s.charCodeAt(k))) k--;
    if (k >= 0) {
      const p = s.charCodeAt(k);
      if (p === 58 /* : */ || p === 44 /* , */ || p === 91 /* [ */) return true;
    }
    // Not a literal: go on past the end of this run.
    let e = i + 1;
    while (e < n) {
      const d = s.charCodeAt(e);
      if (d < 48 || d > 57) break;
      e++;
    }
    i = e + RUN;
  }
  return false;
}

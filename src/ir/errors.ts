/** Errors of the rule IR layer (shared by both front ends and the engine). */

/** A rule regex that spoor refuses to run: it could not be matched in linear time, or uses syntax outside the supported set. */
export class UnsupportedRegexError extends Error {
  /** The bare reason, without the pattern. */
  readonly reason: string;
  constructor(message: string, reason: string) {
    super(message);
    this.name = 'UnsupportedRegexError';
    this.reason = reason;
  }
}

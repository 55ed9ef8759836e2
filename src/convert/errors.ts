/** Conversion errors: "the target cannot express this" kept apart from programming errors. */
export class UnsupportedByTarget extends Error {
  override name = 'UnsupportedByTarget';
  constructor(
    readonly target: string,
    readonly feature: string,
  ) {
    super(`${target} cannot express ${feature}`);
  }
}

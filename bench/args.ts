/**
 * Command-line options of the benchmarks and the long test scripts: `--name value` options and
 * `--flag` switches, read from process.argv. A numeric option that is not a number stops the
 * script with a message instead of running with NaN.
 */
const argv = process.argv.slice(2);

/** The value after `--name`, or undefined when the option is not given. */
export function maybeOption(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : undefined;
}

/** The value after `--name`, or `def`. */
export function option(name: string, def: string): string {
  return maybeOption(name) ?? def;
}

/** The number after `--name`, or `def`. */
export function numOption(name: string, def: number): number {
  const v = maybeOption(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) {
    console.error(`--${name} wants a number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

/** Whether the switch `--name` is given. */
export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}

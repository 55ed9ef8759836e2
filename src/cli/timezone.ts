/** `--timezone` / `--utc` for hunt, query and dump: how times written without a zone are read. */
import type { Command } from 'commander';
import { parseTimeZone, type TimeZoneSpec } from '../events/timestamp.js';
import { learnClock } from '../hunt/clock-scan.js';
import { Clock, useClock } from '../normalize/index.js';
import { formatTimeZones } from '../output/summary.js';
import { discoverInputs, type InputFile } from '../sources/index.js';

export interface TimeZoneCliOptions {
  timezone?: string;
  utc?: boolean;
}

export const TIMEZONE_HELP = `
Times without a zone (nxlog EventTime, flat TimeCreated) are read in --timezone (an IANA name such as
America/New_York, or ±HH:MM), as UTC with --utc, or by default at the offset learned per host from
events carrying both (Sysmon UtcTime beside the zone-less time); the assumption is reported.`;

export function addTimeZoneOptions(cmd: Command): Command {
  return cmd
    .option('--timezone <zone>', 'read times written without a zone in ZONE (IANA name or ±HH:MM); default: learned per host')
    .option('--utc', 'read times written without a zone as UTC');
}

/** The zone given on the command line (undefined: learn), or an error message. */
export function timeZoneOf(o: TimeZoneCliOptions): { zone?: TimeZoneSpec; error?: string } {
  if (o.utc && o.timezone !== undefined) return { error: '--utc and --timezone exclude each other' };
  if (o.utc) return { zone: parseTimeZone('UTC')! };
  if (o.timezone === undefined) return {};
  const zone = parseTimeZone(o.timezone);
  if (!zone) return { error: `--timezone '${o.timezone}': not an IANA time zone name or ±HH:MM offset` };
  return { zone };
}

/**
 * dump/query: make the clock for zone-less times active (learning offsets from the start of the
 * inputs unless a zone is given or `learn` is false: nothing shown needs a time). Returns a
 * function that prints what was assumed to stderr. `inputs`: the paths already discovered (a zip
 * archive discovered again would be decompressed again).
 */
export async function startClock(paths: string[], zone: TimeZoneSpec | undefined, learn = true, inputs?: InputFile[]): Promise<() => void> {
  const clock = new Clock(zone ?? null);
  if (learn && !zone && !paths.includes('-')) await learnClock(inputs ?? (await discoverInputs(paths, () => {})), clock);
  useClock(clock);
  return () => {
    for (const line of formatTimeZones(clock.takeReport())) process.stderr.write(`spoor: time zone: ${line}\n`);
  };
}

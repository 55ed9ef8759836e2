/** `maxspan` durations: a number and a unit, converted to nanoseconds. */
import type { EqlDialect } from './types.js';

const NS_PER: Record<string, number> = {
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
};

/** Endgame also accepts spelled-out units. */
const ENDGAME_ALIASES: Record<string, string> = {
  msec: 'ms', millisecond: 'ms', milliseconds: 'ms',
  sec: 's', secs: 's', second: 's', seconds: 's',
  min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  day: 'd', days: 'd',
};

/** Nanoseconds for `value unit`, or undefined when the unit is unknown in this dialect. */
export function durationNs(value: number, unit: string, dialect: EqlDialect): number | undefined {
  let u = unit;
  if (dialect === 'endgame') u = ENDGAME_ALIASES[unit.toLowerCase()] ?? unit.toLowerCase();
  const per = NS_PER[u];
  return per === undefined ? undefined : Math.round(value * per);
}

export function durationUnits(dialect: EqlDialect): string[] {
  return dialect === 'endgame' ? [...Object.keys(NS_PER), ...Object.keys(ENDGAME_ALIASES)] : Object.keys(NS_PER);
}

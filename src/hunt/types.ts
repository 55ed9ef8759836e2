/** The contract of `spoor hunt` (src/hunt/run.ts): what it takes and what it returns. */
import type { Alert } from '../alert/types.js';
import type { ProblemKind, SourceProblem } from '../sources/types.js';
import type { TimeZoneSpec } from '../events/timestamp.js';
import type { ClockAssumption } from '../normalize/index.js';
import type { BlindSpot } from './blind-spots.js';
import type { FeedStats } from '../intel/types.js';
import type { Rule } from '../ir/types.js';

export interface HuntOptions {
  /** Files, directories (recursive) or `-` for stdin; any format the sources read. */
  inputs: string[];
  /** Extra EQL/Sigma rule directories beside the built-in pack (`--rules DIR`). */
  rulesDirs?: string[];
  /** Sigma rule directories (`--sigma DIR`). */
  sigmaDirs?: string[];
  /** Rule ids to leave out (`--exclude-rule ID`). */
  excludeRules?: string[];
  /** YAML exceptions file (trusted signers, paths, hosts, accounts). */
  exceptionsFile?: string;
  /** Also run hunting-level rules (off by default). */
  hunting?: boolean;
  /** Also run Elastic building-block rules (`--building-blocks`; hidden by default). */
  buildingBlocks?: boolean;
  /** Apply Elastic rules to every event flavour, whatever their `index` patterns say (`--ignore-index`). */
  ignoreIndex?: boolean;
  /**
   * Orders events of equal time (EQL tiebreaker; `--tiebreaker FIELD`): default `event.sequence`
   * (where events have it), `none` for input order. Events without the field come after those with it.
   */
  tiebreaker?: string;
  /** Apply Elastic rules only to the flavours their `index` names (`--strict-index`; see docs/eql.md). */
  strictIndex?: boolean;
  /** Worker threads; default: one per core (inputs under 8 MB run in the main thread). 0 = main thread only. */
  workers?: number;
  /** Show a progress bar (only when stderr is a terminal). */
  progress?: boolean;
  /**
   * Skip parsing NDJSON lines no rule can match (default true; only when
   * every rule is gated by category and no timeline context is wanted). See hunt/prefilter.ts.
   */
  prefilter?: boolean;
  /** How many events of the same host to keep around each alert for the report's timeline (default 0). */
  contextEvents?: number;
  /**
   * The zone of zone-less times (`--timezone`, `--utc`). Default: learned per host from events
   * carrying both (normalize/clock.ts, hunt/clock-scan.ts).
   */
  timeZone?: TimeZoneSpec;
  /** Threat-intel hash feeds, files or directories (`--intel`): alerts whose hashes are listed are enriched and raised. */
  intel?: string[];
  /**
   * Hosts with more bytes than this, over several files, are cut into time slices processed in
   * parallel (hunt/slices.ts). Default: the input's bytes over twice the workers, at least 4 MiB.
   */
  sliceBytes?: number;
  /** Keep only the rules this accepts (`--min-level`, `--status`, `--rule-tag`; output/filters.ts). */
  ruleFilter?: (rule: Rule) => boolean;
}

export interface HuntSummary {
  files: number;
  events: number;
  /** Wall time of the run after the rules were loaded (planning, reading, detecting, ordering). */
  seconds: number;
  /** events / seconds: rule loading is not included (see ruleLoadSeconds). */
  eventsPerSecond: number;
  /** Seconds spent loading the rules before the run (not part of `seconds`). */
  ruleLoadSeconds?: number;
  /** Units of work the run was cut into (files, split parts, host time slices; hunt/plan.ts). */
  workUnits?: number;
  /** Hosts cut into time slices whose files were not in time order: run again as one unit each (hunt/slices.ts). */
  hostsRerunWhole?: number;
  rulesLoaded: number;
  /** Rules that could not be loaded, with reasons (never dropped silently). */
  rulesSkipped: { id?: string; source: string; reason: string; notRunnable?: true }[];
  alertsByRule: Record<string, number>;
  /** Skipped input by kind (malformed-json: 3, corrupt-chunk: 1, …). */
  skipped: Partial<Record<ProblemKind, number>>;
  /** Problems where the data was kept (e.g. crc-mismatch), by kind. */
  warnings?: Partial<Record<ProblemKind, number>>;
  /** The first problems, for the report (all are printed to stderr as they happen). */
  problems: SourceProblem[];
  /** Of `events`, NDJSON lines counted but never parsed: no rule could use them (hunt/prefilter.ts). */
  prefiltered?: number;
  /** Events with no recognisable time (processed at the time of the event before them). */
  noTimestamp?: number;
  /** Events that arrived behind the time order even after re-sorting (processed, not dropped). */
  outOfOrder?: number;
  /** Events parsed a second time past the end of a split part, to complete its sequences. */
  overlapRead?: number;
  /** Alerts removed by the exceptions file (accounts, hosts…). */
  alertsExcepted?: number;
  /** How zone-less times were read, per host (absent when every time named its zone). */
  timeZones?: ClockAssumption[];
  /** Per rule stage: whether the telemetry it needs was present, per host (hunt/blind-spots.ts). */
  blindSpots?: BlindSpot[];
  /** Hash feeds loaded (`--intel`) and how many alerts they matched. */
  intel?: { feeds: FeedStats[]; hashes: number; alertsMatched: number };
}

export interface HuntResult {
  alerts: Alert[];
  summary: HuntSummary;
}

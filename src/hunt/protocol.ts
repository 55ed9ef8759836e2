/** Messages between the hunt's main thread and its workers. */
import type { SourceProblem } from '../sources/types.js';
import type { WorkUnit } from './plan.js';
import type { OwnSpan } from './unit.js';
import type { StreamStats } from './ordered-stream.js';
import type { DetectorProblem } from './detector.js';
import type { ClockAssumption } from '../normalize/index.js';
import type { TelemetryCounts } from './telemetry.js';

export type ToWorker = { type: 'unit'; unit: WorkUnit } | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  /**
   * Alerts as v8.serialize bytes (an Alert[]): the main thread keeps them packed until the workers
   * are gone (run.ts AlertStore). `unitId`: the alerts of a time slice, kept apart until its
   * host's slices are checked (run.ts).
   */
  | { type: 'alerts'; alerts: Uint8Array; unitId?: number }
  | { type: 'problems'; problems: SourceProblem[] }
  | { type: 'progress'; unitId: number; events: number }
  | { type: 'done'; unitId: number; stats: StreamStats; ruleProblems: DetectorProblem[]; clock: ClockAssumption[]; telemetry?: TelemetryCounts; own?: OwnSpan }
  | { type: 'failed'; unitId: number; message: string };

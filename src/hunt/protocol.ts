/** Messages between the hunt's main thread and its workers. */
import type { Alert } from '../alert/types.js';
import type { SourceProblem } from '../sources/types.js';
import type { WorkUnit } from './plan.js';
import type { StreamStats } from './ordered-stream.js';
import type { DetectorProblem } from './detector.js';
import type { ClockAssumption } from '../normalize/index.js';
import type { TelemetryCounts } from './telemetry.js';

export type ToWorker = { type: 'unit'; unit: WorkUnit } | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'alerts'; alerts: Alert[] }
  | { type: 'problems'; problems: SourceProblem[] }
  | { type: 'progress'; unitId: number; events: number }
  | { type: 'done'; unitId: number; stats: StreamStats; ruleProblems: DetectorProblem[]; clock: ClockAssumption[]; telemetry?: TelemetryCounts }
  | { type: 'failed'; unitId: number; message: string };

/**
 * The part of `spoor serve`'s JSON contract the UI reads: types only, from src/serve/api-types.ts
 * (which imports no Node module), so the UI and the server cannot drift apart.
 */
export type {
  ApiSeverity,
  AlertStatus as ApiAlertStatus,
  ApiEvent,
  ApiAlertSummary,
  ApiAlertDetail,
  ApiAlertList,
  ApiHealth,
  ApiRules,
  ApiExceptionSet,
  ApiExceptions,
  ApiNote,
  ApiRuleInfo,
  ApiShares,
  ApiSourceHealth,
  ApiHostHealth,
  ApiBlindSpot,
  ApiIntelStatus,
} from '../serve/api-types.js';

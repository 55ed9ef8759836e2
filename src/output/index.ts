/** Output formats: alert table/JSON/NDJSON/CSV, the run summary and the HTML report. */
export { formatAlerts, NdjsonAlertWriter, ALERT_FORMATS, type AlertFormat } from './format.js';
export { formatTable, type TableOptions } from './table.js';
export { formatCsv, csvCell, CSV_COLUMNS } from './csv.js';
export { formatSummary, formatTimeZones, type SummaryOptions } from './summary.js';
export { stringifyExact } from './json.js';
export { renderHtmlReport, renderLiveUiPage, type HtmlReportOptions } from './html.js';
export { describeEvent, type EventDescription } from './describe.js';
export { sanitize } from './text.js';

/**
 * The full differential run (too slow for `npm test`: every SigmaHQ Windows rule on every event
 * of ../shared/datasets and of the Sigma regression data, rule by rule): exits 1 on any
 * difference between the multi-rule matcher and rule-by-rule evaluation.
 *   node dist/test/sigma/differential-full.js [STRIDE]
 */
import { join } from 'node:path';
import { loadSigmaDir } from '../../src/sigma/index.js';
import { sharedRoot } from '../helpers/shared.js';
import { compareWithRuleByRule, nativeEvents } from './differential.js';

const stride = Number(process.argv[2] ?? 1);
const { rules } = await loadSigmaDir(join(sharedRoot, 'conformance/sigma/rules/windows'));
const { events, problems } = await nativeEvents([join(sharedRoot, 'datasets'), join(sharedRoot, 'conformance/sigma/regression_data')]);
const t = process.hrtime.bigint();
const r = compareWithRuleByRule(rules, events, stride);
const s = Number(process.hrtime.bigint() - t) / 1e9;
console.log(JSON.stringify({ ...r, missing: r.missing.length, extra: r.extra.length, readerProblems: problems, seconds: s }));
for (const m of r.missing.slice(0, 50)) console.log(`missing: ${m}`);
for (const m of r.extra.slice(0, 50)) console.log(`extra: ${m}`);
process.exit(r.missing.length + r.extra.length > 0 ? 1 : 0);

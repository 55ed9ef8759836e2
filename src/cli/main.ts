#!/usr/bin/env node
/** The `spoor` command line. Each command lives in its own module and registers itself here. */
import { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerDump } from './dump.js';
import { registerHunt } from './hunt.js';
import { registerQuery } from './query.js';
import { registerRules } from './rules.js';
import { registerServe } from './serve.js';
import { registerShares } from './shares.js';
import { registerSysmonCheck } from './sysmon-check.js';
import { registerIntel } from './intel.js';
import { registerConvert } from './convert.js';

const program = new Command();
program
  .name('spoor')
  .description('Threat detection for Windows endpoint telemetry (EVTX, Elastic/Winlogbeat JSON) with EQL and Sigma rules.')
  .version('0.1.0')
  // Usage errors exit 2 (commander's 1 would read as "alerts"); inherited by every command below.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .addHelpText(
    'after',
    `
Start with:
  spoor demo                                   a small network with planted attacks, hunted, with a report
  spoor hunt ./logs/ --report report.html      every rule over every log below ./logs
  spoor query 'process where process.pid == 4' Security.evtx
  spoor dump Sysmon.evtx --view ecs -n 5       what the rules see in a file

Exit codes (hunt, query): 0 nothing found, 1 alerts/results, 2 errors, 3 alerts/results and errors;
dump 0 done, 2 errors; usage errors 2.
Run 'spoor COMMAND --help' for each command's options, defaults and examples; docs/cli.md has them all.`,
  );

registerHunt(program);
registerQuery(program);
registerDump(program);
registerRules(program);
registerDemo(program);
registerServe(program);
registerShares(program);
registerSysmonCheck(program);
registerIntel(program);
registerConvert(program);

await program.parseAsync(process.argv);

#!/usr/bin/env node
/** The `spoor` command line. Each command lives in its own module and registers itself here. */
import { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerDump } from './dump.js';
import { registerHunt } from './hunt.js';
import { registerQuery } from './query.js';
import { registerRules } from './rules.js';

const program = new Command();
program
  .name('spoor')
  .description('Threat detection for Windows endpoint telemetry (EVTX, Elastic/Winlogbeat JSON) with EQL and Sigma rules.')
  .version('0.1.0');

registerHunt(program);
registerQuery(program);
registerDump(program);
registerRules(program);
registerDemo(program);

await program.parseAsync(process.argv);

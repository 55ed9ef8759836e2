#!/usr/bin/env node
/**
 * The `spoor` command line. Each command lives in its own module and registers itself here.
 *
 * Commands are imported lazily: when the first word is a command name, only that command's module
 * (and what it imports) is loaded, so `spoor query` does not pay for Sigma, serve, SQLite, NATS or
 * the UI (start-up is mostly module loading; BENCHMARKS.md, `spoor query`'s fixed cost). For
 * `spoor --help`, `spoor help …` or an unknown word every command is registered, so commander's
 * help and "unknown command" messages are the same as before.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;
/** Command name → its module's register function, imported on demand. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  hunt: async () => (await import('./hunt.js')).registerHunt,
  query: async () => (await import('./query.js')).registerQuery,
  dump: async () => (await import('./dump.js')).registerDump,
  rules: async () => (await import('./rules.js')).registerRules,
  demo: async () => (await import('./demo.js')).registerDemo,
  serve: async () => (await import('./serve.js')).registerServe,
  shares: async () => (await import('./shares.js')).registerShares,
  'sysmon-check': async () => (await import('./sysmon-check.js')).registerSysmonCheck,
  intel: async () => (await import('./intel.js')).registerIntel,
  convert: async () => (await import('./convert.js')).registerConvert,
};

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

// The program itself has no options but --help/--version, so the first argument is the command.
const first = process.argv[2];
const only = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
for (const register of await Promise.all(only.map((name) => COMMANDS[name]!()))) register(program);

await program.parseAsync(process.argv);

/**
 * A minimal `spoor` with only the dump command, so the dump tests run as a child process without
 * depending on the other commands. Does nothing unless SPOOR_DUMP_CLI=1 (node --test may load it).
 */
import { Command } from 'commander';
import { registerDump } from '../../src/cli/dump.js';

if (process.env.SPOOR_DUMP_CLI === '1') {
  const program = new Command().name('spoor');
  registerDump(program);
  await program.parseAsync(process.argv);
}

/**
 * `spoor sysmon-check CONFIG.xml`: does a Sysmon configuration log what the file-share rules need —
 * FileCreate (11) by the System process (PID 4) of executables on admin-share paths, and
 * ProcessCreate (1) of those paths — and if not, which exclusion (or missing include) drops it.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkSysmonConfig, type SysmonCheck } from '../sysmon/index.js';
import { sanitize } from '../output/text.js';
import { collect, EXIT, toJson, writeOut } from './common.js';

interface SysmonCheckCliOptions {
  path?: string[];
  json: boolean;
}

export function registerSysmonCheck(program: Command): void {
  program
    .command('sysmon-check')
    .description('Check a Sysmon configuration: are FileCreate by System (PID 4) and ProcessCreate of the written paths logged?')
    .argument('<config>', 'Sysmon configuration XML (sysmon -c format; SwiftOnSecurity, sysmon-modular, …)')
    .option('--path <path>', 'a file path to probe instead of the built-in list (repeatable)', collect)
    .option('--json', 'machine-readable report', false)
    .addHelpText(
      'after',
      `
Each probe is an event as Sysmon would see it (Image "System", ProcessId 4, TargetFilename PATH;
then Image PATH started by services.exe) run through the configuration's include/exclude filters
(RuleGroup groupRelation, <Rule> groups, conditions is, contains, begin with, end with, image, …;
exclude always wins). A dropped probe names the exclusion by line, group and filter.

Exit codes: 0 everything probed is logged, 1 something is dropped, 2 unreadable or invalid configuration.

Examples:
  spoor sysmon-check sysmonconfig-export.xml
  spoor sysmon-check sysmonconfig.xml --path 'D:\\Shares\\tools\\x.exe' --json
`,
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .action(async (file: string, o: SysmonCheckCliOptions) => {
      process.exitCode = await runSysmonCheck(file, o);
    });
}

async function runSysmonCheck(file: string, o: SysmonCheckCliOptions): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    process.stderr.write(`spoor sysmon-check: ${file}: ${(e as Error).message}\n`);
    return EXIT.ERROR;
  }
  const r = checkSysmonConfig(text, o.path);
  if ('error' in r) {
    process.stderr.write(`spoor sysmon-check: ${file}: ${r.error}\n`);
    return EXIT.ERROR;
  }
  for (const p of r.problems) process.stderr.write(`spoor sysmon-check: ${file}:${p.line}: ${p.message}\n`);
  if (o.json) {
    await writeOut(toJson({ file, ...r }, 2) + '\n');
  } else {
    const out: string[] = [`Sysmon configuration ${sanitize(file)}${r.schemaVersion ? ` (schema ${sanitize(r.schemaVersion)})` : ''}`];
    const section = (title: string, checks: SysmonCheck[]): void => {
      const logged = checks.filter((c) => c.verdict.logged).length;
      out.push(`${title}: ${logged === checks.length ? 'logged' : logged === 0 ? 'DROPPED' : 'PARTLY DROPPED'} (${logged} of ${checks.length} paths)`);
      for (const c of checks) out.push(`  ${c.verdict.logged ? 'ok     ' : 'DROPPED'}  ${sanitize(c.probe.fields[c.probe.event === 'FileCreate' ? 'TargetFilename' : 'Image']!)}: ${sanitize(c.verdict.reason)}`);
    };
    section('FileCreate (11) by System (PID 4)', r.checks.filter((c) => c.probe.event === 'FileCreate'));
    section('ProcessCreate (1) of those paths', r.checks.filter((c) => c.probe.event === 'ProcessCreate'));
    out.push(
      r.ok
        ? 'The file-share rules can see both steps with this configuration.'
        : 'The file-share rules cannot see every step with this configuration: a hunt over its logs reports 0 alerts whatever happened. Remove or narrow the exclusions named above (or use Security 5145 + 4688 auditing: rule file-share-remote-exec-security-audit).',
    );
    await writeOut(out.join('\n') + '\n');
  }
  return r.ok ? EXIT.OK : EXIT.ALERTS;
}

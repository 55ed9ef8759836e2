/**
 * Spawning the spoor CLI the way a user does: from dist/ when the tests run compiled (`npm test`),
 * from the TypeScript sources through tsx when they run with `node --import tsx --test`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../helpers/shared.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Text piped to stdin (stdin is closed empty otherwise). */
  stdin?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** True when these tests run from dist/ (npm test), so the CLI under test is the compiled one. */
export const compiled = fileURLToPath(import.meta.url).includes(`${join('dist', 'test')}`);
const distMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** The argv prefix that starts the CLI: `node dist/src/cli/main.js` or `node --import tsx src/cli/main.ts`. */
export function cliCommand(): string[] {
  if (compiled || !existsSync(join(repoRoot, 'node_modules', 'tsx'))) return [process.execPath, distMain];
  return [process.execPath, '--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')];
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const [cmd, ...prefix] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...prefix, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

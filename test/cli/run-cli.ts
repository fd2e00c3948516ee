// Runs the CLI in-process with captured output, as a user would see it.
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; stdin?: string; isTTY?: boolean }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'berth', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: opts.env ?? {},
    cwd: opts.cwd,
    readStdin: () => opts.stdin ?? '',
    stdinStream: () => Readable.from([Buffer.from(opts.stdin ?? '')]),
    isTTY: opts.isTTY ?? false,
  });
  return { code, stdout, stderr };
}

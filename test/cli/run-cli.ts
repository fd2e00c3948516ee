// Runs the CLI in-process with captured output, as a user would see it.
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** What the command wrote as bytes (`cp SERVICE:PATH -`); absent when it wrote none. */
  stdoutBytes?: Buffer;
}

export interface RunCliOptions {
  cwd: string;
  env?: Record<string, string>;
  stdin?: string;
  isTTY?: boolean;
  /** Ctrl-C this long after the command starts (for the commands that run until interrupted). */
  interruptAfterMs?: number;
}

export async function runCli(args: string[], opts: RunCliOptions): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const bytes: Buffer[] = [];
  const code = await main(['node', 'berth', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stdoutBytes: (b) => void bytes.push(Buffer.from(b)),
    stderr: (t) => {
      stderr += t;
    },
    env: opts.env ?? {},
    cwd: opts.cwd,
    readStdin: () => opts.stdin ?? '',
    stdinStream: () => Readable.from([Buffer.from(opts.stdin ?? '')]),
    isTTY: opts.isTTY ?? false,
    ...(opts.interruptAfterMs !== undefined
      ? {
          onInterrupt: (handler: (signal?: NodeJS.Signals) => void) => {
            const t = setTimeout(() => handler('SIGINT'), opts.interruptAfterMs);
            return () => clearTimeout(t);
          },
        }
      : {}),
  });
  return { code, stdout, stderr, ...(bytes.length ? { stdoutBytes: Buffer.concat(bytes) } : {}) };
}

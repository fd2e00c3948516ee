// What a command may touch of its surroundings. Injected so tests run the CLI in-process.
import type { Readable } from 'node:stream';
import type { Command } from 'commander';

export interface CliIO {
  stdout: (text: string) => void;
  /** Bytes as they are (a tar stream from `cp SERVICE:PATH -`); absent, they go through `stdout` as UTF-8. */
  stdoutBytes?: (data: Buffer) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  readStdin: () => string;
  /** Whether stdout is a terminal (colour, live progress). */
  isTTY: boolean;
  /**
   * Registers a Ctrl-C (SIGINT/SIGTERM) handler while a long command runs; returns its removal.
   * Absent: the command cannot be interrupted gracefully (tests inject it to simulate Ctrl-C).
   */
  onInterrupt?: (handler: (signal?: NodeJS.Signals) => void) => () => void;
  /**
   * The user's input as a stream, for `exec` and `run` (attached to the container's stdin).
   * Absent: those commands attach no stdin.
   */
  stdinStream?: () => Readable;
  /** Whether stdin is a terminal (exec/run allocate a TTY only then). */
  stdinIsTTY?: boolean;
  /**
   * Tests only: sees (and may wrap) the options object each command's action receives, so a
   * test can tell which options the command's code actually reads (test/cli/options-audit.test.ts).
   */
  observeOptions?: (command: Command, options: Record<string, unknown>) => Record<string, unknown>;
}

// What a command may touch of its surroundings. Injected so tests run the CLI in-process.
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  readStdin: () => string;
  /** Whether stdout is a terminal (colour, live progress). */
  isTTY: boolean;
  /** Ends long-running commands (`watch`) in-process; the CLI uses SIGINT/SIGTERM when absent. */
  signal?: AbortSignal;
}

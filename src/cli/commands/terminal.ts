// The user's terminal for `exec` and `run`: a TTY session (raw mode, restored afterwards) when
// stdin and stdout are terminals and the user did not say -T; otherwise plain streams. Output is
// decoded per stream (a multi-byte character split across chunks stays whole) and written to io.
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { Output } from '../../compose/exec.js';
import type { CliIO } from '../io.js';

export interface TerminalSession {
  tty: boolean;
  stdin?: Readable;
  output: Output;
  restore(): void;
}

export function terminalSession(io: CliIO, o: { wantTty: boolean; attachStdin: boolean }): TerminalSession {
  const tty = o.wantTty && io.stdinIsTTY === true && io.isTTY;
  const out = new StringDecoder('utf8');
  const err = new StringDecoder('utf8');
  const output: Output = { stdout: (d) => io.stdout(out.write(d)), stderr: (d) => io.stderr(err.write(d)) };
  const stdin = o.attachStdin ? io.stdinStream?.() : undefined;
  if (!stdin) return { tty, output, restore: () => undefined };
  const raw = tty && 'setRawMode' in stdin ? (stdin as Readable & { setRawMode(m: boolean): void }) : undefined;
  raw?.setRawMode(true);
  return {
    tty,
    stdin,
    output,
    restore: () => {
      raw?.setRawMode(false);
      // Our end of stdin must not keep the process alive once the session is over.
      stdin.pause();
      (stdin as Readable & { unref?: () => void }).unref?.();
    },
  };
}

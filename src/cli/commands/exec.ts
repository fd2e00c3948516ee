// `berth exec [-d] [-T] [-e K=V] [-u USER] [-w DIR] [--index N] [--privileged] SERVICE COMMAND...`:
// thin over src/compose/exec.ts. A TTY when stdin and stdout are terminals and no -T; the command's
// exit code is the CLI's.
import { execInService } from '../../compose/exec.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { terminalSession } from './terminal.js';

export interface ExecFlags {
  detach?: boolean;
  /** commander's `-T, --no-TTY`: false when given. */
  TTY?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  index?: string;
  privileged?: boolean;
  interactive?: boolean;
}

export async function runExec(globals: GlobalFlags, flags: ExecFlags, service: string, command: string[], io: CliIO): Promise<number> {
  const index = intFlag('--index', flags.index);
  const detach = flags.detach ?? false;
  const wantTty = flags.TTY !== false;
  const attachStdin = !detach && flags.interactive !== false;
  const env = flags.env ?? [];
  const { user, workdir } = flags;
  const privileged = flags.privileged ?? false;
  const c = await lifecycleContext(globals, io, { engine: 'change', services: [service] });
  const session = terminalSession(io, { wantTty, attachStdin });
  try {
    return await execInService(
      c.target,
      service,
      command,
      {
        detach,
        tty: session.tty,
        env,
        ...(user ? { user } : {}),
        ...(workdir ? { workdir } : {}),
        ...(privileged ? { privileged: true } : {}),
        ...(index !== undefined ? { index } : {}),
        ...(session.stdin ? { stdin: session.stdin } : {}),
      },
      session.output,
    );
  } finally {
    session.restore();
  }
}

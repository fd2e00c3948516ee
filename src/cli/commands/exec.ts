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
  tty?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  index?: string;
  privileged?: boolean;
  interactive?: boolean;
}

export async function runExec(globals: GlobalFlags, flags: ExecFlags, service: string, command: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io);
  const index = intFlag('--index', flags.index);
  const session = terminalSession(io, { wantTty: flags.tty !== false, attachStdin: !flags.detach && flags.interactive !== false });
  try {
    return await execInService(
      c.target,
      service,
      command,
      {
        detach: flags.detach ?? false,
        tty: session.tty,
        env: flags.env ?? [],
        ...(flags.user ? { user: flags.user } : {}),
        ...(flags.workdir ? { workdir: flags.workdir } : {}),
        ...(flags.privileged ? { privileged: true } : {}),
        ...(index !== undefined ? { index } : {}),
        ...(session.stdin ? { stdin: session.stdin } : {}),
      },
      session.output,
    );
  } finally {
    session.restore();
  }
}

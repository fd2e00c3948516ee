// `berth run [--rm] [-d] [-e K=V] [--entrypoint CMD] [-p PORT] [--service-ports] [--no-deps]
// [--name N] [-v VOL] [-w DIR] [-u USER] [-T] [-l K=V] SERVICE [COMMAND...]`: thin over
// src/compose/run.ts. Attached, the CLI exits with the container's exit code; -d prints its name.
import { runOneOff } from '../../compose/run.js';
import type { CliIO } from '../io.js';
import { lifecycleContext, requireModel } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { terminalSession } from './terminal.js';

export interface RunFlags {
  build?: boolean;
  rm?: boolean;
  detach?: boolean;
  env?: string[];
  entrypoint?: string;
  publish?: string[];
  servicePorts?: boolean;
  deps?: boolean;
  name?: string;
  volume?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  interactive?: boolean;
  label?: string[];
}

export async function runRun(globals: GlobalFlags, flags: RunFlags, service: string, command: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io, { required: true });
  const project = requireModel(c, 'run');
  const session = terminalSession(io, { wantTty: flags.tty !== false, attachStdin: !flags.detach && flags.interactive !== false });
  try {
    const result = await runOneOff(
      { port: c.target.port, project, progress: c.progress },
      service,
      command,
      {
        build: flags.build === true,
        rm: flags.rm ?? false,
        detach: flags.detach ?? false,
        env: flags.env ?? [],
        ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint } : {}),
        publish: flags.publish ?? [],
        servicePorts: flags.servicePorts ?? false,
        noDeps: flags.deps === false,
        ...(flags.name ? { name: flags.name } : {}),
        volumes: flags.volume ?? [],
        ...(flags.workdir ? { workdir: flags.workdir } : {}),
        ...(flags.user ? { user: flags.user } : {}),
        tty: session.tty,
        labels: flags.label ?? [],
        environment: io.env,
        ...(session.stdin ? { stdin: session.stdin } : {}),
      },
      session.output,
    );
    if (flags.detach) io.stdout(`${result.name}\n`);
    return result.exitCode;
  } finally {
    session.restore();
  }
}

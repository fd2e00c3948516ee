// `berth run [--rm] [-d] [-e K=V] [--entrypoint CMD] [-p PORT] [--service-ports] [--no-deps]
// [--name N] [-v VOL] [-w DIR] [-u USER] [-T] [-l K=V] SERVICE [COMMAND...]`: thin over
// src/compose/run.ts. Attached, the CLI exits with the container's exit code; -d prints its name.
import { parsePublish, runOneOff } from '../../compose/run.js';
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
  /** commander's `-T, --no-TTY`: false when given. */
  TTY?: boolean;
  interactive?: boolean;
  label?: string[];
}

export async function runRun(globals: GlobalFlags, flags: RunFlags, service: string, command: string[], io: CliIO): Promise<number> {
  const detach = flags.detach ?? false;
  const wantTty = flags.TTY !== false;
  const attachStdin = !detach && flags.interactive !== false;
  const { entrypoint, name, workdir, user } = flags;
  const options = {
    build: flags.build === true,
    rm: flags.rm ?? false,
    detach,
    env: flags.env ?? [],
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    publish: flags.publish ?? [],
    servicePorts: flags.servicePorts ?? false,
    noDeps: flags.deps === false,
    ...(name ? { name } : {}),
    volumes: flags.volume ?? [],
    ...(workdir ? { workdir } : {}),
    ...(user ? { user } : {}),
    labels: flags.label ?? [],
    environment: io.env,
  };
  for (const spec of options.publish) parsePublish(spec);
  const c = await lifecycleContext(globals, io, { engine: 'change', required: true, services: [service] });
  const project = requireModel(c, 'run');
  const session = terminalSession(io, { wantTty, attachStdin });
  try {
    const result = await runOneOff(
      { port: c.target.port, project, progress: c.progress },
      service,
      command,
      { ...options, tty: session.tty, ...(session.stdin ? { stdin: session.stdin } : {}) },
      session.output,
    );
    if (detach) io.stdout(`${result.name}\n`);
    return result.exitCode;
  } finally {
    session.restore();
  }
}

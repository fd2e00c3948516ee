// The global flags every project command shares (-f, -p, --profile, --env-file,
// --project-directory). main.ts declares them on every start, so this module imports nothing
// heavy: loading the project is project-load.ts, imported only by the commands that load one.
import type { Command } from 'commander';

export interface GlobalFlags {
  file?: string[];
  projectName?: string;
  profile?: string[];
  envFile?: string[];
  projectDirectory?: string;
  /** As given; src/cli/output-style.ts checks it (and COMPOSE_ANSI). */
  ansi?: string;
  /** `--engine builtin|docker|swarm`; see src/client/select.ts for the default. */
  engine?: string;
  /** `--swarm-mode services|containers` on a Docker host that is a Swarm manager (src/client/select-swarm.ts). */
  swarmMode?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addGlobalOptions(program: Command): Command {
  return program
    .option('-f, --file <path>', 'compose file (repeatable; "-" reads standard input)', collect)
    .option('-p, --project-name <name>', 'project name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'alternate environment file (repeatable)', collect)
    .option('--project-directory <dir>', 'alternate working directory (default: the first compose file\'s directory)')
    .option('--ansi <when>', 'control characters (colour, redrawn progress): never, always or auto (default $COMPOSE_ANSI, else auto)')
    .option('--engine <kind>', 'container engine: builtin, docker, or swarm (services on the Swarm manager at $DOCKER_HOST) (default: $BERTH_ENGINE, $DOCKER_HOST, the built-in engine where it can run, else Docker)')
    .option('--swarm-mode <mode>', 'on a Docker host that is a Swarm manager: deploy services or containers (default containers, as docker compose does; $BERTH_SWARM_MODE)');
}

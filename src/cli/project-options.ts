// The global flags every project command shares (-f, -p, --profile, --env-file,
// --project-directory) and their translation into loader options.
import type { Command } from 'commander';
import { formatWarning } from '../errors.js';
import { loadProject, type LoadedProject, type LoadOptions } from '../spec/loader.js';
import type { CliIO } from './io.js';

export interface GlobalFlags {
  file?: string[];
  projectName?: string;
  profile?: string[];
  envFile?: string[];
  projectDirectory?: string;
  ansi?: 'never' | 'always' | 'auto';
  /** `--engine builtin|docker`; see src/client/select.ts for the default. */
  engine?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addGlobalOptions(program: Command): Command {
  return program
    .option('-f, --file <path>', 'compose file (repeatable; "-" reads standard input)', collect)
    .option('-p, --project-name <name>', 'project name')
    .option('--profile <name>', 'enable a profile (repeatable)', collect)
    .option('--env-file <path>', 'alternate environment file (repeatable)', collect)
    .option('--project-directory <dir>', 'alternate working directory (default: the first compose file\'s directory)')
    .option('--ansi <when>', 'control characters: never|always|auto', 'auto')
    .option('--engine <kind>', 'container engine: builtin or docker (default: $BERTH_ENGINE, $DOCKER_HOST, the built-in engine where it can run, else Docker)');
}

export function loadOptionsFrom(flags: GlobalFlags, io: CliIO, extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    files: flags.file,
    projectName: flags.projectName,
    profiles: flags.profile,
    envFiles: flags.envFile,
    projectDirectory: flags.projectDirectory,
    workingDir: io.cwd,
    environment: io.env,
    readStdin: io.readStdin,
    ...extra,
  };
}

/** Loads the project and prints its warnings on stderr, as compose does before any output. */
export function loadForCommand(flags: GlobalFlags, io: CliIO, extra: Partial<LoadOptions> = {}): LoadedProject {
  const loaded = loadProject(loadOptionsFrom(flags, io, extra));
  for (const w of loaded.warnings) io.stderr(`warning: ${formatWarning(w)}\n`);
  return loaded;
}

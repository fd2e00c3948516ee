// The global flags' translation into loader options, and loading the project for a command.
// Apart from project-options.ts so that `berth --version`, `help` and the engine commands do not
// pay for importing the loader (its module graph is most of a command's start-up).
import { formatWarning } from '../errors.js';
import { loadProject, type LoadedProject, type LoadOptions } from '../loader/loader.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

export function loadOptionsFrom(flags: GlobalFlags, io: CliIO, extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    files: flags.file,
    projectName: flags.projectName,
    profiles: flags.profile,
    // COMPOSE_ENV_FILES (comma-separated) stands in for --env-file, as in compose.
    envFiles: flags.envFile ?? (io.env.COMPOSE_ENV_FILES ? io.env.COMPOSE_ENV_FILES.split(',').map((f) => f.trim()).filter(Boolean) : undefined),
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

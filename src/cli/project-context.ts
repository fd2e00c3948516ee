// What `up`, `down` and `ps` need from the stack files: the project (when the files load) and its
// name. `down` and `ps` also work with only `-p NAME` when no compose file is around, as compose does.
import { BerthError, UsageError } from '../errors.js';
import type { Project } from '../model/project.js';
import type { CliIO } from './io.js';
import { loadForCommand } from './project-load.js';
import type { GlobalFlags } from './project-options.js';

export interface ProjectContext {
  name: string;
  project?: Project;
  workingDir?: string;
  configFiles?: string[];
}

/**
 * `services`: the services named on the command line. They activate their profiles, and one the
 * stack does not have is a usage error here, before any engine is chosen or started (compose
 * v2 says the same words, later).
 */
export function projectContext(globals: GlobalFlags, io: CliIO, opts: { required: boolean; services?: readonly string[] }): ProjectContext {
  const loaded = loadOrName(globals, io, opts);
  for (const s of opts.services ?? []) {
    if (loaded.project && !(s in loaded.project.services)) throw new UsageError(`no such service: ${s} (the stack has ${Object.keys(loaded.project.services).sort().join(', ') || 'no services'})`);
  }
  return loaded;
}

function loadOrName(globals: GlobalFlags, io: CliIO, opts: { required: boolean; services?: readonly string[] }): ProjectContext {
  try {
    const loaded = loadForCommand(globals, io, opts.services?.length ? { explicitServices: [...opts.services] } : {});
    return {
      name: loaded.project.name,
      project: loaded.project,
      workingDir: loaded.discovery.projectDir,
      configFiles: loaded.discovery.files,
    };
  } catch (e) {
    const byName = globals.projectName ?? io.env.COMPOSE_PROJECT_NAME;
    if (!opts.required && byName && e instanceof BerthError && /no configuration file|not found|no such file/i.test(e.message)) return { name: byName };
    throw e;
  }
}

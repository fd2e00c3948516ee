// What `up`, `down` and `ps` need from the stack files: the project (when the files load) and its
// name. `down` and `ps` also work with only `-p NAME` when no compose file is around, as compose does.
import { BerthError } from '../errors.js';
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

export function projectContext(globals: GlobalFlags, io: CliIO, opts: { required: boolean; services?: string[] }): ProjectContext {
  try {
    const loaded = loadForCommand(globals, io, opts.services?.length ? { explicitServices: opts.services } : {});
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

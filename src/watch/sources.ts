// Which files a watch reloads on: everything that shaped the last model (the loader's `inputs`),
// plus the files whose mere appearance would change it — the project's `.env` and the override
// file beside each compose file — so creating one of those is noticed too.
import path from 'node:path';
import type { LoadedProject } from '../loader/loader.js';
import type { WatchSpec } from './file-watcher.js';

const OVERRIDE_EXTENSIONS = ['.yaml', '.yml'];

export interface StackSources {
  /** Absolute paths, sorted. */
  files: string[];
}

export function stackSources(loaded: LoadedProject, opts: { explicitEnvFiles: boolean; explicitFiles: boolean }): StackSources {
  const files = new Set(loaded.inputs);
  const { discovery } = loaded;
  if (!opts.explicitEnvFiles) files.add(path.join(discovery.projectDir, '.env'));
  // Only a compose file found by discovery brings its override file along (-f files do not).
  for (const f of opts.explicitFiles ? [] : discovery.files) {
    if (f === '-' || /\.override\.ya?ml$/.test(f)) continue;
    const dir = path.dirname(f);
    const base = path.basename(f, path.extname(f));
    for (const ext of OVERRIDE_EXTENSIONS) files.add(path.join(dir, `${base}.override${ext}`));
  }
  return { files: [...files].sort() };
}

/** Merges the files of a failed load's predecessor with what is known now: a broken file stays watched. */
export function unionSources(a: StackSources, b: StackSources): StackSources {
  return { files: [...new Set([...a.files, ...b.files])].sort() };
}

/** Stack files are watched through their directories (see file-watcher.ts for why). */
export function stackWatchSpec(sources: StackSources): WatchSpec {
  const wanted = new Set(sources.files);
  return {
    roots: [...new Set(sources.files.map((f) => path.dirname(f)))].sort(),
    shallow: true,
    accept: (file) => wanted.has(file),
  };
}

// The only module that knows chokidar. Everything else sees a FileWatcher: a set of roots to
// watch, a predicate for which paths matter, and a callback per event.
//
// Why roots and a predicate instead of the files themselves: editors save by writing a temp file
// and renaming it over the original (atomic replace), or by deleting and re-creating it. A watch
// on the file follows the old inode and goes silent; a watch on its directory sees every
// replacement, and also the creation of a file that did not exist yet (an optional env_file,
// a new compose.override.yaml). So stack files are watched through their directories.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export type FileEventKind = 'add' | 'change' | 'unlink';

export interface FileEvent {
  path: string;
  kind: FileEventKind;
}

export interface WatchSpec {
  /** Directories (or files) to watch. */
  roots: string[];
  /** Only directories' own entries when true (stack files); the whole tree otherwise (develop.watch). */
  shallow: boolean;
  /** Whether an event on this absolute path matters. Directories below roots are entered when `enterDir` allows. */
  accept: (file: string) => boolean;
  /** Whether to descend into this directory (default: yes). Lets `.git` or ignored trees cost nothing. */
  enterDir?: (dir: string) => boolean;
}

export interface FileWatcher {
  /** Replaces what is watched; resolves once the new roots are being watched. */
  update(spec: WatchSpec): Promise<void>;
  close(): Promise<void>;
}

export type FileWatcherFactory = (onEvent: (e: FileEvent) => void, onError: (e: Error) => void) => FileWatcher;

export const chokidarWatcher: FileWatcherFactory = (onEvent, onError) => {
  let spec: WatchSpec = { roots: [], shallow: true, accept: () => false };
  let watcher: FSWatcher | undefined;
  let watchedRoots = new Set<string>();

  const ignored = (p: string, stats?: { isDirectory(): boolean }): boolean => {
    if (watchedRoots.has(p)) return false;
    // chokidar asks before it knows the type, then again with stats: only decide on a known type.
    if (!stats) return false;
    if (stats.isDirectory()) return spec.shallow || (spec.enterDir ? !spec.enterDir(p) : false);
    return !spec.accept(p);
  };

  const emit = (kind: FileEventKind) => (p: string) => {
    const abs = path.resolve(p);
    if (spec.accept(abs)) onEvent({ path: abs, kind });
  };

  const start = (roots: string[], shallow: boolean): Promise<FSWatcher> =>
    new Promise((resolve) => {
      const w = watch(roots, {
        ignoreInitial: true,
        persistent: true,
        ignored,
        depth: shallow ? 0 : undefined,
        // Atomic saves arrive as one `change`, not `unlink` + `add`.
        atomic: true,
      });
      w.on('add', emit('add')).on('change', emit('change')).on('unlink', emit('unlink'));
      // chokidar drops a rename-save that lands within its throttle window of the previous one
      // (seen with saves 30 ms apart). The raw inotify events of the directory never miss one,
      // so they are a second source; duplicates are harmless, consumers batch by path.
      w.on('raw', (_event, name: string | null, details: unknown) => {
        const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
        if (!watched) return;
        // chokidar also watches single files; their raw events name the file itself, not an entry.
        const abs = path.resolve(watched);
        const inDir = name && isDirectory(abs) ? path.resolve(abs, name) : undefined;
        const target = inDir ? (spec.accept(inDir) ? inDir : undefined) : spec.accept(abs) ? abs : undefined;
        if (target) onEvent({ path: target, kind: existsSync(target) ? 'change' : 'unlink' });
      });
      w.on('error', (e) => onError(e instanceof Error ? e : new Error(String(e))));
      w.once('ready', () => resolve(w));
    });

  return {
    async update(next) {
      const roots = new Set(next.roots.map((r) => path.resolve(r)));
      const same = next.shallow === spec.shallow && roots.size === watchedRoots.size && [...roots].every((r) => watchedRoots.has(r));
      spec = next;
      if (same && watcher) return;
      // The new watcher is ready before the old one closes: no gap in which a save goes unseen
      // (an event seen twice is harmless, the loop debounces).
      const old = watcher;
      watchedRoots = new Set([...roots, ...watchedRoots]);
      watcher = roots.size ? await start([...roots], next.shallow) : undefined;
      watchedRoots = roots;
      await old?.close();
    },
    async close() {
      await watcher?.close();
      watcher = undefined;
    },
  };
};

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

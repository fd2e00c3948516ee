// Loads a generated CommonJS file (the precompiled schema validators) with a V8 code cache made
// at build time beside it (`<file>.cache`). Node 20 caches no compiled code between processes, and
// the validators are ~330 KB of generated functions: compiling them (and, on first call, the
// functions a typical stack reaches) was the largest single cost of loading a compose file.
// Without a cache, or with one V8 rejects (another Node version, other flags), it only compiles.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

/** How a file's code was obtained: from its cache, compiled because V8 rejected it, or no cache. */
export type CodeCacheUse = 'accepted' | 'rejected' | 'none';

const loaded = new Map<string, { script: vm.Script; exports: unknown; cache: CodeCacheUse }>();

/** How `file` was loaded in this process (tests and benchmarks), undefined when it was not. */
export function codeCacheUse(file: string): CodeCacheUse | undefined {
  return loaded.get(file)?.cache;
}

export function codeCacheFile(file: string): string {
  return `${file}.cache`;
}

/**
 * The cache for `file`, when one was written after it: a cache older than its source was made
 * for an earlier build of it, whose compiled code must not be used for this one.
 */
function cacheFor(file: string): Buffer | undefined {
  try {
    const cache = codeCacheFile(file);
    if (statSync(cache).mtimeMs < statSync(file).mtimeMs) return undefined;
    return readFileSync(cache);
  } catch {
    return undefined;
  }
}

/** Runs `file` as a CommonJS module (once per process, as require would) and returns its exports. */
export function requireWithCodeCache(file: string, require: NodeJS.Require): unknown {
  const done = loaded.get(file);
  if (done) return done.exports;
  const source = readFileSync(file, 'utf8');
  const cachedData = cacheFor(file);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => void)(module.exports, require, module, file, path.dirname(file));
  loaded.set(file, { script, exports: module.exports, cache: !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted' });
  return module.exports;
}

/**
 * Writes `<file>.cache` from this process's compiled code of `file` (loaded through
 * requireWithCodeCache): call it after running what should be in the cache. Build step only.
 */
export function writeCodeCache(file: string): string {
  const script = loaded.get(file)?.script;
  if (!script) throw new Error(`${file} was not loaded through requireWithCodeCache`);
  const cache = codeCacheFile(file);
  const partial = `${cache}.${process.pid}.tmp`;
  writeFileSync(partial, script.createCachedData());
  // Renamed, so a CLI starting meanwhile reads the old cache or the new one, never half of one.
  renameSync(partial, cache);
  return cache;
}

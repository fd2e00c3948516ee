// Loads the one-file CLI bundle (dist/cli/berth.cjs, built by scripts/build-cli-bundle.mjs) with
// the V8 code cache the build made for it. Node 20 has no compile cache for user modules: parsing
// and compiling the ~100 modules of a project command costs more than anything the command then
// does. One file skips the ESM loader's per-module resolve/read/link, and the code cache skips
// compiling what the build's warm-up run already compiled.
//
// The build produces the cache through compileBundle too, so the wrapper the cache was made for
// is byte for byte the one it is used with.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** Where the build writes the bundle and its cache, next to dist/cli/main.js. */
export function bundlePaths(distCliDir) {
  const bundle = path.join(distCliDir, 'berth.cjs');
  return { bundle, cache: `${bundle}.cache`, main: path.join(distCliDir, 'main.js') };
}

/**
 * Compiles the bundle as a CommonJS module would be (same wrapper parameters), using cachedData
 * when given. Returns the script (for createCachedData) and the module's exports once run.
 */
export function compileBundle(file, cachedData) {
  const source = readFileSync(file, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // The bundle keeps import() for what it leaves external; resolve it as the main context would.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  return { script, exports: module.exports, cacheRejected: Boolean(cachedData) && script.cachedDataRejected === true };
}

/**
 * The bundle's main(), or undefined when there is no bundle or it is older than dist/cli/main.js
 * (tsc rebuilt dist/ without the bundle step: the bundle would run stale code; main.js is then
 * the truth). A cache V8 rejects (another Node version, other V8 flags) only costs the compile.
 *
 * `debug` (BERTH_DEBUG=1): the bundle is required as an ordinary module instead, without the code
 * cache. Node applies source maps (berth.cjs.map, with process.setSourceMapsEnabled) only to
 * modules its loader compiled, not to a vm.Script, and a debug run wants traces that name src/.
 */
export function bundledMain(distCliDir, { debug = false } = {}) {
  const paths = bundlePaths(distCliDir);
  let cachedData;
  try {
    if (statSync(paths.bundle).mtimeMs < statSync(paths.main).mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  if (debug) return createRequire(import.meta.url)(paths.bundle).main;
  try {
    // A cache older than the bundle was made for an earlier build of it: compile instead.
    if (statSync(paths.cache).mtimeMs >= statSync(paths.bundle).mtimeMs) cachedData = readFileSync(paths.cache);
  } catch {
    cachedData = undefined;
  }
  return compileBundle(paths.bundle, cachedData).exports.main;
}

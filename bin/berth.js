#!/usr/bin/env -S node --
// Thin launcher: the CLI lives in dist/ (built by `npm ci` through the prepare script). It runs
// the one-file bundle with its code cache when the build made one that is current (start-up is
// most of a no-op command's time; see bundle-loader.js), else the ESM modules of dist/cli/.
// BERTH_NO_BUNDLE=1 forces the modules.
//
// Why `node --` in the shebang: Node 20 scans its whole command line, the script's arguments
// included, for `--env-file` before it runs any JavaScript, and stops only at a `--`. Without it
// `berth --env-file missing.env config` ends in node itself ("node: missing.env: not found",
// exit 9) and an existing file's NODE_OPTIONS are applied to berth's own process. The `--`
// must come before the script; nothing this file does can help once node has started, so
// `node bin/berth.js --env-file x` cannot be fixed here: run `berth` / `bin/berth.js`, or
// `node -- bin/berth.js`.
import { fileURLToPath } from 'node:url';
import { bundledMain } from './bundle-loader.js';

// Traces name src/ files (the bundle and dist/ carry source maps). Only BERTH_DEBUG=1 prints
// traces at all (src/cli/main.ts), and then loads the bundle the way Node maps it.
process.setSourceMapsEnabled(true);

const bundled = process.env.BERTH_NO_BUNDLE ? undefined : bundledMain(fileURLToPath(new URL('../dist/cli/', import.meta.url)), { debug: Boolean(process.env.BERTH_DEBUG) });
const main = bundled ?? (await import('../dist/cli/main.js')).main;

process.exitCode = await main(process.argv);

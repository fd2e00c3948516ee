#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm ci` through the prepare script). It runs
// the one-file bundle with its code cache when the build made one that is current (start-up is
// most of a no-op command's time; see bundle-loader.js), else the ESM modules of dist/cli/.
// BERTH_NO_BUNDLE=1 forces the modules (debugging: stack traces then name the real files).
import { fileURLToPath } from 'node:url';
import { bundledMain } from './bundle-loader.js';

const bundled = process.env.BERTH_NO_BUNDLE ? undefined : bundledMain(fileURLToPath(new URL('../dist/cli/', import.meta.url)));
const main = bundled ?? (await import('../dist/cli/main.js')).main;

process.exitCode = await main(process.argv);

// What the real-container tests need: root, runc, the busybox-static binary and a C compiler for
// the shim. Whether a suite may run is decided by test/support/gates.ts (`engineHost()`).

import { execFileSync } from 'node:child_process';
import path from 'node:path';

export { BUSYBOX, RUNC } from '../../support/gates.js';
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

/**
 * Builds the shim into `outDir` (each test file owns its binary, inside its own temp dir, so
 * parallel test files never depend on each other's builds).
 */
/** Compiles the native helpers into `<outDir>/native` and returns the shim's path. */
export function buildShim(outDir: string): string {
  return buildNative(outDir, 'berth-shim');
}

/** The same build; the spawner's path (native/berth-spawner.c). */
export function buildSpawner(outDir: string): string {
  return buildNative(outDir, 'berth-spawner');
}

/** The same build; the network helper's path (native/berth-netns.c). */
export function buildNetns(outDir: string): string {
  return buildNative(outDir, 'berth-netns');
}

/** The same build; the mknod/xattr helper's path (native/berth-fsops.c). */
export function buildFsops(outDir: string): string {
  return buildNative(outDir, 'berth-fsops');
}

function buildNative(outDir: string, name: string): string {
  const out = path.join(outDir, 'native');
  const printed = execFileSync('sh', [path.join(repoRoot, 'native/build.sh'), out], { encoding: 'utf8' });
  return printed.trim().split('\n').find((line) => line.endsWith(`/${name}`)) ?? path.join(out, name);
}

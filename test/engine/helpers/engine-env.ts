// What the real-container tests need: root, runc, the busybox-static binary and a C compiler for
// the shim. `engineSkipReason()` says why a suite must skip (printed once), or undefined.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'].find((p) => existsSync(p));
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

export function engineSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (!RUNC) return 'runc not installed';
  if (!BUSYBOX) return 'busybox-static not installed';
  return undefined;
}

export function skipNotice(suite: string): boolean {
  const reason = engineSkipReason();
  if (reason) console.log(`[skip] ${suite}: needs root, runc and busybox-static (${reason})`);
  return reason !== undefined;
}

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

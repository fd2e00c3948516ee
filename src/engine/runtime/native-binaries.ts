// Where the engine's compiled helpers (native/*.c, built by native/build.sh into dist/native/) are.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * $`envVar` when set, else dist/native/`name` of this package: the same place whether running from
 * src/ or dist/src/, since both are three levels below the root or the dist root sits inside it.
 */
export function nativeBinaryPath(name: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const candidates = [path.join(packageRoot, 'dist/native', name), path.join(packageRoot, '../dist/native', name)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

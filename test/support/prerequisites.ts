// Tools a test file needs from the system. Locally a missing tool means a printed notice and a
// skipped file; in CI (CI=true) it means a failing test, so a broken install step cannot hide
// behind a green run.
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

export function missingTools(tools: string[]): string[] {
  return tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
}

/** True when every tool is there. Otherwise false, after registering a failing test (CI) or printing a notice. */
export function haveTools(what: string, tools: string[]): boolean {
  const missing = missingTools(tools);
  if (missing.length === 0) return true;
  const msg = `${what} need ${missing.join(', ')} (scripts/install-system-deps.sh installs them)`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    describe(`${what}: prerequisites`, () => {
      it(`has ${missing.join(', ')}`, () => {
        throw new Error(`missing in CI: ${msg}`);
      });
    });
  } else {
    console.log(`notice: ${msg}; skipping`);
  }
  return false;
}

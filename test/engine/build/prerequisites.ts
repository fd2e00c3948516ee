// Tests whose prerequisite (the reference corpus, a kernel feature, disk space) may be missing:
// skipped with a visible notice on a developer machine, failing in CI (CI=true), where a
// missing prerequisite means the environment is broken, not that the test may be left out.
import { describe, it } from 'vitest';

export function describeNeeding(available: boolean, what: string, name: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () =>
      it(`needs ${what}`, () => {
        throw new Error(`prerequisite missing in CI: ${what}`);
      }),
    );
    return;
  }
  console.warn(`NOTICE: ${name}: skipped, needs ${what}`);
  describe.skip(name, () => it(`needs ${what}`, () => {}));
}

// `npm test`: install what only the tests need, type-check, run the whole vitest suite, and end
// with one plain summary line ("N passed, N failed, N skipped") that CI and people can read at a
// glance.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The quick start installs only what running berth needs; the tests' own packages (dockerd,
// docker-compose, PostgreSQL, a registry…) come here, so the README's test command passes on a
// fresh machine after the quick start. Without root or apt-get this only warns: each area's gate
// then names what is missing (and fails under CI=true). BERTH_SKIP_SYSTEM_DEPS=1 skips it.
if (process.platform === 'linux' && process.env.BERTH_SKIP_SYSTEM_DEPS !== '1') {
  const deps = spawnSync('bash', [path.join(path.dirname(new URL(import.meta.url).pathname), 'install-system-deps.sh'), '--tests'], { stdio: 'inherit' });
  if (deps.status !== 0) console.log('npm test: could not install the tests\' system packages (see above); the areas that need them will say so');
}

const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.log('type check failed');
  process.exit(tsc.status ?? 1);
}

const dir = mkdtempSync(path.join(tmpdir(), 'berth-test-'));
const report = path.join(dir, 'report.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit' });

let summary = 'no test report was written';
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A test file that fails before any test runs (an import or collection error) counts as a failure.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  summary = `${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed, ${skipped} skipped`;
} catch {
  /* vitest failed before reporting; its own output says why */
}
rmSync(dir, { recursive: true, force: true });
console.log(summary);
process.exit(run.status ?? 1);

// The gate policy itself: a missing prerequisite skips with a notice on a developer's machine and
// fails the run in CI. Checked on a real test file (the docker CLI suite over the fake engine)
// whose docker CLI is pointed at a path that does not exist.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

function runGatedFile(ci: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_TEST_DOCKER_CLI: '/nonexistent/docker' };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  const r = spawnSync(process.execPath, [path.join(repo, 'node_modules/vitest/vitest.mjs'), 'run', 'test/engine/api/api-docker-cli.test.ts'], { cwd: repo, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('requirePrereq', () => {
  it('locally: a missing docker CLI skips the suite with a notice naming it and its install step', () => {
    const r = runGatedFile(undefined);
    expect(r.out).toContain('[skip] docker CLI against the berth API server: missing the docker CLI at /nonexistent/docker (not found; apt-get install docker.io');
    expect(r.code).toBe(0);
  }, 60_000);

  it('with CI=true: the same gate is a failing test that says what is missing', () => {
    const r = runGatedFile('true');
    expect(r.out).toContain('[prerequisite missing] docker CLI against the berth API server');
    expect(r.out).toContain('CI=true: docker CLI against the berth API server cannot run: missing the docker CLI at /nonexistent/docker');
    expect(r.code).toBe(1);
  }, 60_000);
});

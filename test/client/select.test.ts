// Engine selection: an explicit choice is honoured, and when nothing answers the error lists
// every attempt.
import { describe, expect, it } from 'vitest';
import { NoEngineError, selectEngine } from '../../src/client/select.js';

describe('selectEngine', () => {
  it('lists every strategy it tried when no engine answers', async () => {
    const err = await selectEngine({ env: {}, cwd: '/tmp', builtinRunnable: () => 'it needs root', autoStart: false }).catch((e) => e);
    expect(err).toBeInstanceOf(NoEngineError);
    expect(err.message).toMatch(/built-in engine: it needs root/);
    expect(err.message).toMatch(/Docker Engine at unix:\/\/\/var\/run\/docker.sock/);
  });

  it('DOCKER_HOST that does not answer is reported with its address', async () => {
    const err = await selectEngine({ env: { DOCKER_HOST: 'unix:///tmp/berth-no-such.sock' }, cwd: '/tmp' }).catch((e) => e);
    expect(err.message).toMatch(/DOCKER_HOST unix:\/\/\/tmp\/berth-no-such.sock/);
  });

  it('rejects an unknown --engine', async () => {
    await expect(selectEngine({ engine: 'podman', env: {}, cwd: '/tmp' })).rejects.toThrow(/unknown engine "podman" \(use builtin or docker\)/);
  });
});

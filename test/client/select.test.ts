// Engine selection: an explicit choice is honoured, and when nothing answers the error lists
// every attempt.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoEngineError, selectEngine } from '../../src/client/select.js';

/** An endpoint on a unix socket that answers /version as an engine with this platform does. */
async function versionEndpoint(platform: string): Promise<{ socket: string; requests: string[]; close: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-select-'));
  const socket = path.join(dir, 'engine.sock');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (!req.url?.endsWith('/version')) return void res.writeHead(404).end('{"message":"page not found"}');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Version: '1.0', ApiVersion: '1.45', Os: 'linux', Arch: 'amd64', Platform: { Name: platform } }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, requests, close: () => new Promise<void>((resolve) => server.close(() => (rmSync(dir, { recursive: true, force: true }), resolve()))) };
}

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

  it('DOCKER_HOST costs one round trip, which also tells berth\'s engine from Docker', async () => {
    for (const [platform, kind] of [['berth engine', 'builtin'], ['Docker Engine - Community', 'docker']] as const) {
      const endpoint = await versionEndpoint(platform);
      try {
        const selected = await selectEngine({ env: { DOCKER_HOST: `unix://${endpoint.socket}` }, cwd: '/tmp' });
        expect(selected.kind).toBe(kind);
        expect(endpoint.requests).toHaveLength(1);
        expect(endpoint.requests[0]).toMatch(/^GET .*\/version$/);
      } finally {
        await endpoint.close();
      }
    }
  });

  it('without autoStart, a built-in engine that could run but does not is selected as not running, not started', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-select-idle-'));
    try {
      const runRoot = path.join(dir, 'run');
      const selected = await selectEngine({ env: { BERTH_RUN_ROOT: runRoot, BERTH_ROOT: path.join(dir, 'root') }, cwd: '/tmp', builtinRunnable: () => undefined, autoStart: false });
      expect(selected).toMatchObject({ kind: 'builtin', running: false, description: `built-in engine at ${runRoot}/engine.sock` });
      expect(await selected.port.containers.list()).toEqual([]);
      await expect(selected.port.containers.inspect('x')).rejects.toThrow(`the built-in engine at ${runRoot}/engine.sock is not running (start it with \`berth engine start\`, or \`berth up\`)`);
      expect(existsSync(runRoot)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown --engine', async () => {
    await expect(selectEngine({ engine: 'podman', env: {}, cwd: '/tmp' })).rejects.toThrow(/unknown engine "podman" \(use builtin or docker\)/);
  });
});

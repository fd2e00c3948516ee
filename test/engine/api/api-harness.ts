// Starts the API server over a FakeBackend on a fresh socket, and runs the real `docker` CLI
// against it (asynchronously: the server lives in this same process).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiServer, type ApiServer } from '../../../src/engine/api/server.js';
import { FakeBackend } from '../../support/api-fake-backend.js';
import { runDockerCli, type CliResult } from '../helpers/docker-cli.js';

export interface FakeEngine {
  fake: FakeBackend;
  server: ApiServer;
  dir: string;
  socketPath: string;
  close(): Promise<void>;
}

export async function startFakeEngine(): Promise<FakeEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-api-'));
  const socketPath = path.join(dir, 'engine.sock');
  const fake = new FakeBackend();
  const server = createApiServer(fake.backend(), { listen: [{ kind: 'unix', path: socketPath }] });
  await server.listen();
  return {
    fake,
    server,
    dir,
    socketPath,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { DOCKER_CLI, type CliResult } from '../helpers/docker-cli.js';

export function docker(engine: FakeEngine, args: string[], input?: string): Promise<CliResult> {
  return runDockerCli(engine, args, input !== undefined ? { input } : {});
}

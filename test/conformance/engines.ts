// The two engines the conformance script runs against, each long-lived for the whole script:
// - `builtin`: a private built-in engine (test/engine/helpers/daemon-harness.ts), busybox imported;
// - `dockerd`: a private dockerd from Debian's docker.io (test/compose/dockerd.ts), busybox
//   imported, with a default bridge of its own (made here, removed at the end) so that plain
//   `docker run` works as on a stock install.
// Their address pools are disjoint (and apart from Docker's 172.x defaults, which other test
// engines on the machine use), so the two can run side by side; the normaliser maps both back.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDockerd, type PrivateDockerd } from '../compose/dockerd.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';

export type EngineName = 'builtin' | 'dockerd';

export interface ConformanceEngine {
  name: EngineName;
  /** Scratch dir: HOME and DOCKER_CONFIG of the CLI, and `work/` for the script's files. */
  dir: string;
  socketPath: string;
  /** Where the engine keeps its state (appears in inspect output; normalised away). */
  stateDirs: string[];
  /** The script's files (bind sources, env files): `{{work}}` in a step. */
  work: string;
  close(): Promise<void>;
}

/** First two octets of each engine's subnets: dockerd's default bridge, dockerd's pool, the built-in engine's pool. */
export const SUBNET_PREFIXES = ['10.212', '10.213', '10.214'] as const;

export async function startBuiltin(): Promise<ConformanceEngine> {
  const e: TestEngine = await startTestEngine('conf', { engine: { addressPools: [{ base: '10.214.0.0/16', size: 24 }] } });
  const work = path.join(e.dir, 'work');
  mkdirSync(work);
  return { name: 'builtin', dir: e.dir, socketPath: e.socketPath, stateDirs: [e.root, e.runRoot], work, close: () => e.close() };
}

export async function startReferenceDockerd(): Promise<ConformanceEngine> {
  const bridge = `bcf${process.pid}`.slice(0, 15);
  execFileSync('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  let d: PrivateDockerd | undefined;
  try {
    execFileSync('ip', ['addr', 'add', '10.212.0.1/24', 'dev', bridge]);
    execFileSync('ip', ['link', 'set', bridge, 'up']);
    d = await startDockerd('conf', { bridge, addressPools: 'base=10.213.0.0/16,size=24' });
  } catch (e) {
    execFileSync('ip', ['link', 'del', bridge]);
    throw e;
  }
  const dockerd = d;
  const dir = path.dirname(dockerd.socket);
  const work = path.join(dir, 'work');
  mkdirSync(work);
  return {
    name: 'dockerd',
    dir,
    socketPath: dockerd.socket,
    stateDirs: [path.join(dir, 'data'), path.join(dir, 'exec')],
    work,
    async close() {
      try {
        await dockerd.stop();
      } finally {
        execFileSync('ip', ['link', 'del', bridge]);
      }
    },
  };
}

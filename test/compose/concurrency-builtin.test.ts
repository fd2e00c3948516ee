// Concurrency on the built-in engine (issue #19, "Concurrency"): several `berth up` of one project at
// once (separate CLI processes, so no in-process state can serialise them), several projects up and
// down in parallel, and 50 API clients driving container lifecycles at once. Each scenario checks
// the outcome (exit codes, exactly the objects wanted, nothing left behind) and, for the API load,
// that an engine restarted on the same root finds a consistent state. The README's "Guarantees"
// section cites these tests by name.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { type TestEngine } from '../engine/helpers/daemon-harness.js';
import { useTestEngine } from '../support/engines.js';
import { engineHost, requirePrereq } from '../support/gates.js';
import { expectCode, makeStack } from './scenario.js';
import type { CliResult } from '../cli/run-cli.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skip = requirePrereq('concurrency on the built-in engine', engineHost());
const LOOP = `["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]`;
const projectFilter = (p: string): string => JSON.stringify({ label: [`com.docker.compose.project=${p}`] });

/** `berth` as its own process (bin/berth.js, the built bundle), as a user runs it. */
function berthProcess(cwd: string, args: string[], dockerHost: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/berth.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', DOCKER_HOST: dockerHost }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Every file or directory under `dirs` whose name holds one of `ids` (records, bundles, logs, sockets). */
function namesMentioning(dirs: string[], ids: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (ids.some((id) => e.name.includes(id.slice(0, 12)))) found.push(full);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(full);
    }
  };
  for (const d of dirs) walk(d);
  return found;
}

/** service → container numbers, from the compose labels of the project's containers. */
function numbersByService(containers: Map<string, { labels: Record<string, string> }>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const c of containers.values()) (out[c.labels['com.docker.compose.service']] ??= []).push(Number(c.labels['com.docker.compose.container-number']));
  for (const s of Object.keys(out)) out[s].sort((a, b) => a - b);
  return out;
}

describe.skipIf(skip)('concurrency on the built-in engine', () => {
  let engine: TestEngine;
  let docker: Docker;
  useTestEngine('conc', (e) => {
    engine = e;
    docker = new Docker({ socketPath: e.socketPath });
  });
  const host = (): string => `unix://${engine.socketPath}`;

  it('two berth up processes of one project at once: both exit 0, one container per replica, the network and volume once', async () => {
    const stack = makeStack(host(), 'c2');
    const p = stack.project;
    try {
      stack.write(`
services:
  a:
    image: busybox
    command: ${LOOP}
    scale: 3
    volumes: ["data:/data"]
    networks: [inner]
  b:
    image: busybox
    command: ${LOOP}
    depends_on: [a]
    networks: [inner]
networks: { inner: {} }
volumes: { data: {} }
`);
      const started = Date.now();
      const runs = await Promise.all([0, 1].map(() => berthProcess(stack.dir, ['-p', p, 'up', '-d', '--progress', 'plain'], host())));
      console.log(`two concurrent berth up processes: ${Date.now() - started} ms`);
      for (const r of runs) expectCode(r, 0);
      const containers = await stack.containers();
      expect([...containers.keys()].sort()).toEqual([`${p}-a-1`, `${p}-a-2`, `${p}-a-3`, `${p}-b-1`]);
      expect(numbersByService(containers)).toEqual({ a: [1, 2, 3], b: [1] });
      expect([...containers.values()].map((c) => c.state)).toEqual(['running', 'running', 'running', 'running']);
      expect((await docker.listNetworks({ filters: projectFilter(p) })).map((n) => n.Name)).toEqual([`${p}_inner`]);
      expect(((await docker.listVolumes({ filters: projectFilter(p) })).Volumes ?? []).map((v) => v.Name)).toEqual([`${p}_data`]);
      // Every container is on the one network, each with its own address.
      const ips = await Promise.all([...containers.values()].map(async (c) => (await docker.getContainer(c.id).inspect()).NetworkSettings.Networks[`${p}_inner`]?.IPAddress));
      expect(new Set(ips).size).toBe(4);
      expectCode(await stack.berth(['down', '-v', '-t', '0', '--progress', 'quiet']), 0);
      expect((await stack.containers()).size).toBe(0);
    } finally {
      await stack.berth(['down', '-v', '-t', '0', '--progress', 'quiet']);
      stack.cleanup();
    }
  }, 120_000);

  it('three projects up in parallel, then down in parallel: each has exactly its objects, and nothing is left', async () => {
    const before = await engine.leftovers();
    const stacks = ['ca', 'cb', 'cc'].map((prefix) => makeStack(host(), prefix));
    try {
      for (const s of stacks) {
        s.write(`
services:
  db:
    image: busybox
    command: ${LOOP}
    volumes: ["data:/data"]
    networks: [back]
  api:
    image: busybox
    command: ${LOOP}
    depends_on: [db]
    networks: [back, front]
  web:
    image: busybox
    command: ${LOOP}
    depends_on: [api]
    networks: [front]
networks: { front: {}, back: {} }
volumes: { data: {} }
`);
      }
      const started = Date.now();
      const ups = await Promise.all(stacks.map((s) => s.berth(['up', '-d', '--progress', 'quiet'])));
      console.log(`three projects up in parallel: ${Date.now() - started} ms`);
      for (const r of ups) expectCode(r, 0);
      for (const s of stacks) {
        const p = s.project;
        const containers = await s.containers();
        expect([...containers.keys()].sort()).toEqual([`${p}-api-1`, `${p}-db-1`, `${p}-web-1`]);
        expect([...containers.values()].every((c) => c.state === 'running')).toBe(true);
        expect((await docker.listNetworks({ filters: projectFilter(p) })).map((n) => n.Name).sort()).toEqual([`${p}_back`, `${p}_front`]);
        expect(((await docker.listVolumes({ filters: projectFilter(p) })).Volumes ?? []).map((v) => v.Name)).toEqual([`${p}_data`]);
        // api reaches web's network and db's: its endpoints are its project's, nobody else's.
        const api = await docker.getContainer(`${p}-api-1`).inspect();
        expect(Object.keys(api.NetworkSettings.Networks).sort()).toEqual([`${p}_back`, `${p}_front`]);
      }
      const startedDown = Date.now();
      const downs = await Promise.all(stacks.map((s) => s.berth(['down', '-v', '-t', '0', '--progress', 'quiet'])));
      console.log(`three projects down in parallel: ${Date.now() - startedDown} ms`);
      for (const r of downs) expectCode(r, 0);
      expect(await docker.listContainers({ all: true })).toEqual([]);
      expect((await docker.listNetworks()).map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
      expect((await docker.listVolumes()).Volumes ?? []).toEqual([]);
      expect(await engine.leftovers()).toEqual(before);
    } finally {
      await Promise.all(stacks.map((s) => s.berth(['down', '-v', '-t', '0', '--progress', 'quiet'])));
      for (const s of stacks) s.cleanup();
    }
  }, 180_000);

  it('50 API clients at once, each create → start → wait or inspect → remove -f, lists interleaved: every call answered, unique ids, nothing left, and a restarted engine finds a clean state', async () => {
    const CLIENTS = 50;
    const ids: string[] = [];
    const failures: string[] = [];
    let calls = 0;
    /** Every call is counted; a rejection (socket error, any 4xx/5xx) is recorded with its client and step. */
    const call = async <T>(client: number, what: string, run: () => Promise<T>): Promise<T | undefined> => {
      calls++;
      try {
        return await run();
      } catch (e) {
        failures.push(`client ${client} ${what}: ${(e as Error).message}`);
        return undefined;
      }
    };
    const client = async (n: number): Promise<void> => {
      // Each client its own connection pool, as separate programs would have.
      const d = new Docker({ socketPath: engine.socketPath });
      // Even clients run a short command and wait for it; odd ones a long one they inspect and force-remove.
      const short = n % 2 === 0;
      const created = await call(n, 'create', () =>
        d.createContainer({ Image: 'busybox', Cmd: short ? ['sh', '-c', `echo client ${n}`] : ['sleep', '300'], ...(n % 3 === 0 ? { name: `conc-client-${n}` } : {}), Labels: { 'berth.test': 'concurrency' } }),
      );
      if (!created) return;
      ids.push(created.id);
      if (n % 5 === 0) await call(n, 'list', () => d.listContainers({ all: true }));
      if ((await call(n, 'start', () => created.start())) === undefined) return;
      if (short) {
        const waited = await call(n, 'wait', () => created.wait());
        if (waited && waited.StatusCode !== 0) failures.push(`client ${n}: exit ${waited.StatusCode}`);
      } else {
        const info = await call(n, 'inspect', () => created.inspect());
        if (info && info.Id !== created.id) failures.push(`client ${n}: inspect answered ${info.Id}`);
      }
      if (n % 5 === 2) await call(n, 'list', () => d.listContainers({ all: true, filters: JSON.stringify({ label: ['berth.test=concurrency'] }) }));
      await call(n, 'remove -f', () => created.remove({ force: true }));
    };
    // The engine serves in this process: a warning it emits under the load (a listener limit taken
    // for a leak) would reach a daemon's log on every busy moment.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const started = Date.now();
    try {
      await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    const wall = Date.now() - started;
    console.log(`${CLIENTS} concurrent API clients: ${calls} calls in ${wall} ms`);
    expect(failures).toEqual([]);
    expect(warnings).toEqual([]);
    expect(ids.length).toBe(CLIENTS);
    expect(new Set(ids).size).toBe(CLIENTS);
    expect(await docker.listContainers({ all: true })).toEqual([]);
    const idle = { mounts: [], runc: [], cgroups: [], ioSockets: [] };
    const pick = (l: Awaited<ReturnType<TestEngine['leftovers']>>) => ({ mounts: l.mounts, runc: l.runc, cgroups: l.cgroups, ioSockets: l.ioSockets });
    expect(pick(await engine.leftovers())).toEqual(idle);

    // The engine restarted on the same root loads what it wrote meanwhile: no container comes back,
    // the images and the predefined networks are all there, no record is left for any id.
    const images = async () => (await docker.listImages()).map((i) => `${i.Id} ${(i.RepoTags ?? []).join(',')}`).sort();
    const imagesBefore = await images();
    await engine.restartDaemon();
    expect(await docker.listContainers({ all: true })).toEqual([]);
    expect(await images()).toEqual(imagesBefore);
    expect((await docker.listNetworks()).map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
    expect(namesMentioning([engine.root, engine.runRoot], ids)).toEqual([]);
    expect(pick(await engine.leftovers())).toEqual(idle);
    // And it still works: one more lifecycle on the restarted engine.
    const again = await docker.createContainer({ Image: 'busybox', Cmd: ['true'] });
    await again.start();
    expect((await again.wait()).StatusCode).toBe(0);
    await again.remove({ force: true });
  }, 180_000);
});

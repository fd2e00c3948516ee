// The measuring half of compare against real containers: PostgreSQL from Debian and the example
// app on the built-in engine (host image), laid out by hand the two ways that need no bridge —
// two containers sharing a socket directory, and one container holding both — then sampled,
// killed and driven into the memory limit. The orchestrated runs are in compare-engine.test.ts.

import { chownSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exhaustDatabaseMemory, killDatabase, type BlastContext, type MemberPlacement } from '../../src/compare/blast-radius.js';
import { portProbe, type EngineProbe } from '../../src/compare/engine-probe.js';
import { DockerPort } from '../../src/client/docker-port.js';
import { runHttpWorkload, waitServed } from '../../src/compare/http-workload.js';
import { startResourceSampler } from '../../src/compare/resource-sampler.js';
import { resolveCompareTarget } from '../../src/compare/target.js';
import { loadProject } from '../../src/loader/loader.js';
import { startTestEngine, type TestEngine } from '../engine/helpers/daemon-harness.js';
import { engineHost, file as filePrereq, requirePrereq } from '../support/gates.js';
import { freeLoopbackPort } from '../support/ports.js';

const repo = path.resolve(import.meta.dirname, '../..');
const example = path.join(repo, 'examples/db-layouts');
const skip = requirePrereq('compare blast radius (PostgreSQL on the built-in engine)', [
  ...engineHost(),
  filePrereq('PostgreSQL', existsSync('/usr/lib/postgresql'), 'apt-get install postgresql (scripts/install-system-deps.sh --tests)'),
  filePrereq('node_modules/pg', existsSync(path.join(repo, 'node_modules/pg')), 'npm ci'),
]);

const target = resolveCompareTarget(loadProject({ files: [path.join(example, 'compose.yaml')], workingDir: example, environment: {} }).project);
const hog = target.memoryHog!;

describe.skipIf(skip)('compare blast radius on real PostgreSQL', () => {
  let engine: TestEngine;
  let docker: Docker;
  let probe: EngineProbe;
  const project = `cmp-blast-${process.pid}`;
  const labels = (service: string) => ({ 'com.docker.compose.project': project, 'com.docker.compose.service': service });
  const dbEnv = (pgPort: number) => ['PGDATA=/tmp/pgdata', 'POSTGRES_PASSWORD=x', `PGPORT=${pgPort}`, 'PG_LISTEN='];
  const appEnv = (port: number, pgPort: number) => [`PORT=${port}`, 'DB_HOSTS=/var/run/postgresql', 'PGUSER=postgres', 'PGDATABASE=postgres', `PGPORT=${pgPort}`];
  const binds = (sock: string) => [`${example}/db:/app/db:ro`, `${example}/api:/app/api:ro`, `${repo}/node_modules:/app/node_modules:ro`, `${sock}:/var/run/postgresql`];

  beforeAll(async () => {
    engine = await startTestEngine('cmpblast', { importBusybox: false });
    docker = new Docker({ socketPath: engine.socketPath });
    probe = portProbe(new DockerPort({ socketPath: engine.socketPath }));
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
  }, 60_000);

  function context(placements: MemberPlacement[], url: string, recoveryTimeoutMs = 20_000): BlastContext {
    return {
      probe,
      placements: async () => {
        // Containers keep their ids across restarts here (no orchestrator recreates them).
        return placements;
      },
      database: 'db',
      databaseProcess: new RegExp(target.databaseProcess),
      appUrl: () => url,
      recoveryTimeoutMs,
      signal: (pid, sig) => process.kill(pid, sig),
    };
  }

  it('two containers: samples both, kill restarts only the database, the app survives and serves again', async () => {
    const sock = path.join(engine.dir, 'sock-split');
    mkdirSync(sock, { recursive: true });
    chownSync(sock, 101, 104); // Debian's postgres user and group, as the package creates them
    const pgPort = await freeLoopbackPort();
    const port = await freeLoopbackPort();
    const db = await docker.createContainer({
      name: `${project}-db-1`, Image: 'berth/host:latest', User: 'postgres', Cmd: ['sh', '/app/db/start.sh'], Env: dbEnv(pgPort), Labels: labels('db'),
      HostConfig: { NetworkMode: 'none', Binds: binds(sock), Memory: 256 * 2 ** 20, RestartPolicy: { Name: 'unless-stopped' } },
    });
    await db.start();
    const app = await docker.createContainer({
      name: `${project}-api-1`, Image: 'berth/host:latest', User: 'nobody', Cmd: ['node', '/app/api/server.mjs'], Env: appEnv(port, pgPort), Labels: labels('api'),
      HostConfig: { NetworkMode: 'host', Binds: binds(sock), Memory: 256 * 2 ** 20, RestartPolicy: { Name: 'unless-stopped' } },
    });
    await app.start();
    const base = `http://127.0.0.1:${port}`;
    expect(await waitServed(`${base}/health`, 30_000)).toBeDefined();
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true, db: 'unix /var/run/postgresql' });

    const listed = await probe.projectContainers(project);
    expect(listed.map((c) => c.service)).toEqual(['api', 'db']);
    const sampler = startResourceSampler(probe, listed.map((c) => ({ id: c.id, name: c.name, services: [c.service] })), 100);
    const work = await runHttpWorkload({ url: `${base}/query`, clients: 2, durationMs: 1000 });
    const usage = await sampler.stop();
    expect(work.errors).toBe(0);
    expect(work.requests).toBeGreaterThan(20);
    for (const c of usage.containers) {
      expect(c.samples).toBeGreaterThan(3);
      expect(c.memoryMaxBytes).toBeGreaterThan(1 * 2 ** 20);
      expect(c.cpuPercent).toBeGreaterThan(0);
    }
    expect(usage.stackMemoryMaxBytes).toBeGreaterThanOrEqual(Math.max(...usage.containers.map((c) => c.memoryMaxBytes)));

    const placements: MemberPlacement[] = [
      { service: 'db', containerId: db.id, shared: false },
      { service: 'api', containerId: app.id, shared: false },
    ];
    const kill = await killDatabase(context(placements, `${base}/query`));
    expect(kill.effective).toBe(true);
    expect(kill.recoveredMs).toBeGreaterThan(0);
    expect(kill.members).toEqual([
      { service: 'db', outcome: 'target', detail: expect.stringMatching(/container restarted \(restarts 1\)/) },
      { service: 'api', outcome: 'survived', detail: 'same container, never stopped' },
    ]);

    const oom = await exhaustDatabaseMemory(context(placements, `${base}/query`), hog);
    expect(oom.effective, oom.note).toBe(true);
    expect(oom.note).toMatch(/limit 256 MiB/);
    expect(oom.recoveredMs).toBeGreaterThan(0);
    expect(oom.members.find((m) => m.service === 'api')?.outcome).toBe('survived');
    expect(oom.members.find((m) => m.service === 'db')?.detail).toMatch(/^main process kept/);
    // The backend died, the postmaster recovered: the container itself never restarted again.
    expect((await probe.state(db.id))?.restartCount).toBe(1);
    await app.remove({ force: true });
    await db.remove({ force: true });
  }, 120_000);

  it('one container holding both: members are judged by their processes', async () => {
    const sock = path.join(engine.dir, 'sock-single');
    mkdirSync(sock, { recursive: true });
    chownSync(sock, 101, 104);
    const pgPort = await freeLoopbackPort();
    const port = await freeLoopbackPort();
    const group = await docker.createContainer({
      name: `${project}-backend-1`, Image: 'berth/host:latest', User: 'postgres', Cmd: ['sh', '/app/db/start.sh'], Env: dbEnv(pgPort),
      Labels: { ...labels('db'), 'io.berth.placement.members': 'api' },
      HostConfig: { NetworkMode: 'host', Binds: binds(sock), Memory: 256 * 2 ** 20 },
    });
    await group.start();
    const base = `http://127.0.0.1:${port}`;
    // The app as a supervised process beside the database, the way single mode runs it.
    await new Promise((r) => setTimeout(r, 1500));
    const exec = await group.exec({ Cmd: ['node', '/app/api/server.mjs'], Env: appEnv(port, pgPort), User: 'nobody' });
    await exec.start({ Detach: true });
    expect(await waitServed(`${base}/health`, 30_000)).toBeDefined();
    const placements: MemberPlacement[] = [
      { service: 'db', containerId: group.id, shared: true },
      { service: 'api', containerId: group.id, shared: true },
    ];
    const procs = await probe.processes(group.id);
    expect(procs.some((p) => /server\.mjs/.test(p.command))).toBe(true);
    expect(procs.filter((p) => new RegExp(target.databaseProcess).test(p.command)).length).toBeGreaterThan(2);

    const oom = await exhaustDatabaseMemory(context(placements, `${base}/query`), hog);
    expect(oom.effective, oom.note).toBe(true);
    expect(oom.members).toEqual([
      // The kernel killed one backend; the postmaster reset its workers and recovered.
      { service: 'db', outcome: 'target', detail: expect.stringMatching(/^main process kept, \d+ of its \d+ processes replaced$/) },
      { service: 'api', outcome: 'survived', detail: 'same processes' },
    ]);
    expect(oom.recoveredMs).toBeGreaterThan(0);
    await group.remove({ force: true });
  }, 120_000);
});

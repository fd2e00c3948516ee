// The planner against the fake engine: golden plan text for each decision, and the executor doing
// exactly the steps the plan says (no engine writes on a no-op up).
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../support/fake-engine.js';
import { EnginePortError } from '../../src/client/engine-port.js';
import { loadProject } from '../../src/loader/loader.js';
import type { Project } from '../../src/model/project.js';
import { gatherState } from '../../src/observe/state.js';
import { planUp, type PlanOptions } from '../../src/plan/plan.js';
import { formatPlanForTest } from '../../src/plan/format.js';
import { executeUp } from '../../src/apply/up.js';
import { executeDown } from '../../src/apply/down.js';
import { ProgressTracker, quietReporter } from '../../src/apply/progress.js';

function load(yaml: string, env: Record<string, string> = {}): Project {
  return loadProject({ files: ['-'], readStdin: () => yaml, workingDir: '/tmp', environment: env, projectName: 'app' }).project;
}

const STACK = `
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
    healthcheck: { test: ["CMD", "true"], interval: 1s }
    volumes: ["data:/data", "/scratch"]
  migrate:
    image: busybox
    command: ["true"]
    depends_on: { db: { condition: service_healthy } }
  api:
    image: busybox
    command: ["sleep", "1000"]
    environment:
      MODE: "\${MODE:-a}"
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    networks: [front, back]
  web:
    image: busybox
    command: ["sleep", "1000"]
    ports: ["127.0.0.1:8080:80"]
    depends_on: [api]
    networks: [front]
networks: { front: {}, back: {} }
volumes: { data: {} }
`;

const fixedHash = (p: Project, s: string) => JSON.stringify(p.services[s]).length.toString(16) + ':' + JSON.stringify(p.services[s].environment ?? {});

function engine(): FakeEngine {
  return new FakeEngine({ images: ['busybox'], behaviour: (c) => (c.Name === 'app-migrate-1' ? { exitCode: 0 } : undefined), now: () => 1_700_000_000_000 });
}

async function plan(fake: FakeEngine, project: Project, opts: PlanOptions = {}) {
  return planUp(project, await gatherState(fake, project), { hash: fixedHash, ...opts });
}

async function up(fake: FakeEngine, project: Project, opts: PlanOptions = {}) {
  const p = await plan(fake, project, opts);
  const r = await executeUp(p, { port: fake, progress: new ProgressTracker(quietReporter, () => 0), now: () => Date.now() });
  await r.watch.close();
  return p;
}

describe('executeUp and networks', () => {
  it('connects a second network after create, or names every network in the create where the engine takes them', async () => {
    const legacy = engine();
    await up(legacy, load(STACK));
    expect(legacy.writes().filter((c) => c.op === 'network.connect')).toHaveLength(1);
    const modern = new FakeEngine({ images: ['busybox'], createsWithAllNetworks: true, behaviour: (c) => (c.Name === 'app-migrate-1' ? { exitCode: 0 } : undefined) });
    await up(modern, load(STACK));
    expect(modern.writes().filter((c) => c.op === 'network.connect')).toEqual([]);
    const api = [...modern.store.containers.values()].find((c) => c.Name === 'app-api-1')!;
    expect(Object.keys(api.networks).sort()).toEqual(['app_back', 'app_front']);
  });
});

describe('planUp', () => {
  it('plans a cold start: networks, volumes, then containers by level', async () => {
    const fake = engine();
    expect(formatPlanForTest(await plan(fake, load(STACK)))).toBe(
      [
        'network app_back: create (not found)',
        'network app_default: create (not found)',
        'network app_front: create (not found)',
        'volume app_data: create (not found)',
        'container app-db-1: create (not found)',
        'container app-migrate-1: create (not found)',
        'container app-api-1: create (not found)',
        'container app-web-1: create (not found)',
        '',
      ].join('\n'),
    );
  });

  it('executes in dependency order, waits for healthy and completed, and a second up touches nothing', async () => {
    const fake = engine();
    const project = load(STACK);
    await up(fake, project);
    const order = fake.writeLog().filter((l) => l.startsWith('container.create')).map((l) => l.split(' ')[1]);
    expect(order).toEqual(['app-db-1', 'app-migrate-1', 'app-api-1', 'app-web-1']);
    expect(fake.writeLog()).toContain('network.connect app_front ' + fake.container('app-api-1')!.Id);
    const ids = [...fake.store.containers.values()].map((c) => c.Id).sort();
    fake.resetCalls();
    const again = await up(fake, project);
    expect(again.empty).toBe(false); // migrate exited: compose starts it again
    expect(formatPlanForTest(again)).toContain('container app-migrate-1: start (exited)');
    expect(fake.writeLog()).toEqual([`container.start ${fake.container('app-migrate-1')!.Id}`]);
    expect([...fake.store.containers.values()].map((c) => c.Id).sort()).toEqual(ids);
  });

  it('a no-op up of long-running services makes no engine write at all', async () => {
    const fake = engine();
    const project = load(STACK);
    await up(fake, project, { services: ['web'] });
    fake.exit('app-migrate-1', 0);
    fake.resetCalls();
    const p = await up(fake, load(STACK.replace('command: ["true"]', 'command: ["sleep", "1000"]')), { services: ['db'] });
    expect(p.empty).toBe(true);
    expect(fake.writes()).toEqual([]);
  });

  it('recreates only the changed service, keeping its anonymous volume; dependents stay', async () => {
    const fake = engine();
    await up(fake, load(STACK));
    const webId = fake.container('app-web-1')!.Id;
    const p = await plan(fake, load(STACK, { MODE: 'b' }));
    expect(formatPlanForTest(p).split('\n').filter((l) => !l.includes('noop') && l)).toEqual([
      'network app_back: exists (up to date)',
      'network app_default: exists (up to date)',
      'network app_front: exists (up to date)',
      'volume app_data: exists (up to date)',
      'container app-migrate-1: start (exited)',
      'container app-api-1: recreate (config hash changed)',
    ]);
    await up(fake, load(STACK, { MODE: 'b' }));
    expect(fake.container('app-web-1')!.Id).toBe(webId);
  });

  it('depends_on restart: true restarts an unchanged dependent when its dependency is recreated, and that restart propagates', async () => {
    const stack = (tag: string) => `
services:
  db:
    image: busybox
    command: ["sleep", "1000"]
    environment: { TAG: "${tag}" }
  api:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: { db: { condition: service_started, restart: true } }
  web:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: { api: { condition: service_started, restart: true } }
  plain:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [db]
`;
    const fake = engine();
    await up(fake, load(stack('a')));
    const ids = Object.fromEntries(['api', 'web', 'plain'].map((s) => [s, fake.container(`app-${s}-1`)!.Id]));
    const p = await plan(fake, load(stack('b')));
    expect(formatPlanForTest(p).split('\n').filter((l) => l.startsWith('container') && !l.includes('noop'))).toEqual([
      'container app-db-1: recreate (config hash changed)',
      'container app-api-1: restart (dependency db recreated or restarted (restart: true))',
      'container app-web-1: restart (dependency api recreated or restarted (restart: true))',
    ]);
    const before = fake.writeLog().length;
    await up(fake, load(stack('b')));
    const writes = fake.writeLog().slice(before);
    expect(writes.filter((l) => l.startsWith('container.restart'))).toHaveLength(2);
    for (const s of ['api', 'web', 'plain']) expect(fake.container(`app-${s}-1`)!.Id).toBe(ids[s]);
  });

  it('a recreate keeps anonymous volumes, -V renews them', async () => {
    const fake = engine();
    await up(fake, load(STACK));
    const anon = () => (fake.container('app-db-1')!.body.HostConfig!.Mounts as { Target: string; Source: string }[]).find((m) => m.Target === '/scratch')!.Source;
    const before = anon();
    await up(fake, load(STACK), { forceRecreate: true, services: ['db'], noDeps: true });
    expect(anon()).toBe(before);
    await up(fake, load(STACK), { forceRecreate: true, renewAnonVolumes: true, services: ['db'], noDeps: true });
    expect(anon()).not.toBe(before);
  });

  it('scales 1 → 3 → 1 by container number', async () => {
    const fake = engine();
    // Replicas cannot share a fixed host port (one engine binds it once): published on an ephemeral one.
    const project = load(STACK.replace('"127.0.0.1:8080:80"', '"127.0.0.1::80"'));
    expect(() => planUp(load(STACK), { containers: [], networks: [], volumes: [], images: { busybox: 'sha256:b' }, externalNetworks: {}, externalVolumes: {}, networksSupported: true, volumesSupported: true, project: 'app' }, { services: ['web'], noDeps: true, scale: { web: 3 } })).toThrow(/publishes host port 127.0.0.1:8080\/tcp from 3 replicas/);
    await up(fake, project, { services: ['web'], noDeps: true, scale: { web: 3 } });
    expect([...fake.store.containers.values()].map((c) => c.Name).sort()).toEqual(['app-web-1', 'app-web-2', 'app-web-3']);
    const down = await plan(fake, project, { services: ['web'], noDeps: true, scale: { web: 1 } });
    expect(formatPlanForTest(down).split('\n').filter((l) => l.startsWith('container'))).toEqual([
      'container app-web-1: noop (up to date)',
      'container app-web-3: remove (scaled to 1)',
      'container app-web-2: remove (scaled to 1)',
    ]);
  });

  it('orphans: a warning without --remove-orphans, a removal with it', async () => {
    const fake = engine();
    await up(fake, load(STACK));
    const smaller = load(STACK.replace(/  web:[\s\S]*?networks: \[front\]\n/, ''));
    const kept = await plan(fake, smaller);
    expect(kept.warnings.join()).toMatch(/orphan containers \(app-web-1\)/);
    const removed = await plan(fake, smaller, { removeOrphans: true });
    expect(formatPlanForTest(removed)).toContain('container app-web-1: remove (orphan: service not in the project)');
  });

  it('a missing image is pulled first (one pull per image); with --pull never it is a clear error; --no-recreate never recreates', async () => {
    const fake = new FakeEngine({ images: [] });
    const p0 = await plan(fake, load(STACK));
    expect(formatPlanForTest(p0).split('\n')[0]).toBe('image busybox: pull (not on the engine) for api, db, migrate, web');
    await expect(plan(fake, load(STACK), { pull: 'never' })).rejects.toThrow(/image busybox for service "api" is not on the engine, and its pull policy is never/);
    const f2 = engine();
    await up(f2, load(STACK));
    const p = await plan(f2, load(STACK, { MODE: 'z' }), { noRecreate: true });
    expect(formatPlanForTest(p)).not.toContain('recreate');
  });

  it('pod placement: a sandbox holds ports and networks, members join its namespaces', async () => {
    const fake = engine();
    const project = load(`${STACK}\nx-placement:\n  groups:\n    edge: { mode: pod, services: [api, web] }\n`);
    const p = await plan(fake, project);
    expect(formatPlanForTest(p)).toContain('container app-edge-sandbox: create (not found)');
    await up(fake, project);
    const web = fake.container('app-web-1')!;
    expect(web.body.HostConfig?.NetworkMode).toBe('container:app-edge-sandbox');
    expect(web.body.HostConfig?.PortBindings).toBeUndefined();
    const sandbox = fake.container('app-edge-sandbox')!;
    expect(Object.keys(sandbox.body.HostConfig?.PortBindings ?? {})).toEqual(['80/tcp']);
    expect(Object.keys(sandbox.networks).sort()).toEqual(['app_back', 'app_front']);
  });

  it('down stops dependents before their dependencies and leaves nothing', async () => {
    const fake = engine();
    const project = load(STACK);
    await up(fake, project);
    const nameOf = new Map([...fake.store.containers.values()].map((c) => [c.Id, c.Name]));
    fake.resetCalls();
    await executeDown('app', project, { volumes: true }, { port: fake, progress: new ProgressTracker(quietReporter, () => 0) });
    const names = new Map([...fake.store.containers.values()].map((c) => [c.Id, c.Name]));
    const stops = fake.writeLog().filter((l) => l.startsWith('container.stop')).map((l) => nameOf.get(l.split(' ')[1]));
    expect(stops).toEqual(['app-web-1', 'app-api-1', 'app-db-1']); // migrate had exited already
    expect(fake.store.containers.size).toBe(0);
    expect([...fake.store.networks.values()].map((n) => n.inspect.Name).sort()).toEqual(['bridge', 'host', 'none']);
    expect(fake.store.volumes.size).toBe(0);
  });

  it('down removes a container whose stop failed (it exited meanwhile), then its networks; only a failed removal fails down', async () => {
    const fake = engine();
    const project = load(STACK);
    await up(fake, project);
    const stop = fake.containers.stop.bind(fake.containers);
    fake.containers.stop = async (id, opts) => {
      await stop(id, opts);
      throw new EnginePortError('container.stop', id, 500, 'runc kill: container does not exist');
    };
    await executeDown('app', project, { volumes: true }, { port: fake, progress: new ProgressTracker(quietReporter, () => 0) });
    expect(fake.store.containers.size).toBe(0);
    expect([...fake.store.networks.values()].map((n) => n.inspect.Name).sort()).toEqual(['bridge', 'host', 'none']);

    await up(fake, project);
    const remove = fake.containers.remove.bind(fake.containers);
    fake.containers.remove = async (id, opts) => {
      if (fake.store.containers.get(id)?.Name === 'app-web-1') throw new EnginePortError('container.remove', id, 500, 'device busy');
      return remove(id, opts);
    };
    const failed = await executeDown('app', project, {}, { port: fake, progress: new ProgressTracker(quietReporter, () => 0) }).catch((e: Error) => e);
    expect(String(failed)).toMatch(/runc kill: container does not exist[\s\S]*device busy/);
  });
});

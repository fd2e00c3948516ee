// What the planner refuses, with messages that say what is wrong and what to do.
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../support/fake-engine.js';
import { loadProject } from '../../src/loader/loader.js';
import { gatherState } from '../../src/observe/state.js';
import { PlacementScaleError, planUp } from '../../src/plan/plan.js';
import { parsePullPolicy } from '../../src/plan/pulls.js';
import { formatPlanForTest } from '../../src/plan/format.js';

const load = (yaml: string) => loadProject({ files: ['-'], readStdin: () => yaml, workingDir: '/tmp', environment: {}, projectName: 'app' }).project;

describe('planUp refuses', () => {
  it('an external network or volume that does not exist', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    const project = load('services:\n  a:\n    image: busybox\n    networks: [ext]\n    volumes: ["vol:/v"]\nnetworks:\n  ext: { external: true }\nvolumes:\n  vol: { external: true, name: shared }\n');
    const state = await gatherState(fake, project);
    expect(() => planUp(project, state)).toThrow(/network ext declared as external, but could not be found[\s\S]*external volume "shared" not found/);
  });

  it('an existing volume whose driver differs: an error, never a replacement', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    await fake.volumes.create({ Name: 'app_vol', Driver: 'other', Labels: { 'com.docker.compose.project': 'app', 'com.docker.compose.volume': 'vol' } });
    const project = load('services:\n  a:\n    image: busybox\n    volumes: ["vol:/v"]\nvolumes:\n  vol: {}\n');
    const state = await gatherState(fake, project);
    expect(() => planUp(project, state)).toThrow(/volume app_vol exists with driver other, but the project wants local; berth does not replace a volume/);
  });

  it('build without an image on the engine: planned as a build, refused with --no-build; --pull always pulls even what is there', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    const built = load('services:\n  a:\n    build: .\n');
    const empty = { containers: [], networks: [], volumes: [], images: {}, externalNetworks: {}, externalVolumes: {}, networksSupported: true, volumesSupported: true, project: 'app' };
    expect(formatPlanForTest(planUp(built, empty, { hash: () => 'h' }))).toContain('image app-a: build (image not found)');
    expect(() => planUp(built, empty, { build: 'never' })).toThrow(/image app-a for service "a" is not on the engine, and building was turned off \(--no-build\)/);
    const project = load('services:\n  a:\n    image: busybox\n');
    const plan = planUp(project, await gatherState(fake, project), { pull: 'always', hash: () => 'h' });
    const text = formatPlanForTest(plan);
    expect(text.split('\n')[0]).toBe('image busybox: pull (pull_policy always) for a');
    expect(text).toContain('container app-a-1: create (not found)');
  });

  it('pull policies: daily/weekly/every_ against the time the engine last pulled the image; bad ones named', async () => {
    const day = 86_400_000;
    const t0 = Date.UTC(2026, 5, 1);
    const fake = new FakeEngine({ registry: { 'busybox:latest': 'v1', 'alpine:latest': 'v1' }, now: () => t0 });
    await fake.images.pull('busybox');
    await fake.images.pull('alpine');
    const project = load('services:\n  a: { image: busybox, pull_policy: daily }\n  b: { image: alpine, pull_policy: every_3d }\n  c: { image: busybox, pull_policy: weekly }\n');
    const state = await gatherState(fake, project);
    const at = (ms: number) => formatPlanForTest(planUp(project, state, { hash: () => 'h', now: () => ms })).split('\n').filter((l) => l.startsWith('image'));
    expect(at(t0 + day / 2)).toEqual([]);
    // c shares a's image, but weekly is not due: only a asks for the pull.
    expect(at(t0 + 2 * day)).toEqual(['image busybox: pull (pull_policy daily, last pulled 2 days ago) for a']);
    expect(at(t0 + 4 * day)).toEqual(['image alpine: pull (pull_policy every_3d, last pulled 4 days ago) for b', 'image busybox: pull (pull_policy daily, last pulled 4 days ago) for a']);
    expect(at(t0 + 8 * day)).toContain('image busybox: pull (pull_policy daily, last pulled 8 days ago) for a, c');
    // A value outside compose's grammar is the loader's error, with its line.
    expect(() => load('services:\n  a: { image: busybox, pull_policy: every_soon }\n')).toThrow(/2:24: services.a.pull_policy must match the pattern/);
    expect(() => parsePullPolicy('refresh', undefined, 'services.a')).toThrow(/pull_policy refresh needs pull_refresh_after/);
    const refresh = load('services:\n  a: { image: busybox, pull_policy: refresh, pull_refresh_after: 1h }\n');
    expect(formatPlanForTest(planUp(refresh, state, { hash: () => 'h', now: () => t0 + 2 * 3_600_000 }))).toContain('image busybox: pull (pull_policy refresh after 1h, last pulled 2 h ago) for a');
  });

  it('host ports every replica would bind on one engine: counted with scale, deploy.replicas and --scale (the loader lets them through, for Swarm)', async () => {
    const state = { containers: [], networks: [], volumes: [], images: { busybox: 'x' }, externalNetworks: {}, externalVolumes: {}, networksSupported: true, volumesSupported: true, project: 'app' };
    const fixed = load('services:\n  web: { image: busybox, ports: ["8080:80"], deploy: { replicas: 3 } }\n');
    expect(() => planUp(fixed, state, { hash: () => 'h' })).toThrow('services.web.ports[0]: service "web" publishes host port 8080/tcp from 3 replicas; only one container can bind it (publish a range such as "8080-8082", or leave the host port out)');
    const one = load('services:\n  web: { image: busybox, ports: ["8080:80"] }\n');
    expect(() => planUp(one, state, { hash: () => 'h' })).not.toThrow();
    expect(() => planUp(one, state, { scale: { web: 2 }, hash: () => 'h' })).toThrow(/publishes host port 8080\/tcp from 2 replicas/);
    const range = load('services:\n  web: { image: busybox, ports: ["8000-8001:80"] }\n');
    expect(() => planUp(range, state, { scale: { web: 2 }, hash: () => 'h' })).not.toThrow();
    expect(() => planUp(range, state, { scale: { web: 3 }, hash: () => 'h' })).toThrow('services.web.ports[0]: service "web" needs 3 host port(s) from 8000-8001/tcp, one per replica, but only 2 of them are free (widen the range, or move the other services off it)');
  });

  it('replicas a placement cannot hold: single always, pod when they listen on ports', async () => {
    const yaml = [
      'services:',
      '  db: { image: busybox }',
      '  api: { image: busybox, expose: ["8080"] }',
      '  worker: { image: busybox }',
      'x-placement:',
      '  groups:',
      '    app: { mode: pod, services: [db, api, worker] }',
      '',
    ].join('\n');
    const project = load(yaml);
    const state = { containers: [], networks: [], volumes: [], images: { busybox: 'x' }, externalNetworks: {}, externalVolumes: {}, networksSupported: true, volumesSupported: true, project: 'app' };
    expect(() => planUp(project, state, { scale: { api: 3 }, hash: () => 'h' })).toThrow(
      'services.api: 3 replicas cannot run in placement group "app" (mode pod): its members share one network namespace and every replica would bind 8080. Use --placement split, or scale it to 1.',
    );
    // The refusal is typed: compare's table reads why from it, not from the message.
    const refused = (() => {
      try {
        planUp(project, state, { scale: { api: 3 }, hash: () => 'h' });
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(PlacementScaleError);
    expect((refused as PlacementScaleError).refusals).toEqual([expect.objectContaining({ service: 'api', replicas: 3, mode: 'pod', why: 'every replica would bind 8080 in the shared namespace' })]);
    // Replicas that bind nothing share a namespace fine.
    expect(formatPlanForTest(planUp(project, state, { scale: { worker: 2 }, hash: () => 'h' }))).toContain('container app-worker-2: create');
    expect(() => planUp(project, state, { scale: { worker: 2 }, placement: 'single', hash: () => 'h' })).toThrow(/services\.worker: 2 replicas cannot run in placement group "app" \(mode single\): the group is one container/);
    expect(() => planUp(project, state, { scale: { api: 3 }, placement: 'split', hash: () => 'h' })).not.toThrow();
  });

  it('--force-recreate with --no-recreate', async () => {
    const project = load('services:\n  a:\n    image: busybox\n');
    expect(() => planUp(project, { containers: [], networks: [], volumes: [], images: { busybox: 'x' }, externalNetworks: {}, externalVolumes: {}, networksSupported: true, volumesSupported: true, project: 'app' }, { forceRecreate: true, noRecreate: true })).toThrow(/cannot be combined/);
  });
});

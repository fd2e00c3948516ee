// What the planner refuses, with messages that say what is wrong and what to do.
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../support/fake-engine.js';
import { loadProject } from '../../src/loader/loader.js';
import { gatherState } from '../../src/observe/state.js';
import { planUp } from '../../src/plan/plan.js';
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

  it('build without an image on the engine: planned as a build, refused with --no-build; --pull always warns instead of pulling', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    const built = load('services:\n  a:\n    build: .\n');
    const empty = { containers: [], networks: [], volumes: [], images: {}, externalNetworks: {}, externalVolumes: {}, networksSupported: true, volumesSupported: true, project: 'app' };
    expect(formatPlanForTest(planUp(built, empty, { hash: () => 'h' }))).toContain('image app-a: build (image not found)');
    expect(() => planUp(built, empty, { build: 'never' })).toThrow(/image app-a for service "a" is not on the engine, and building was turned off \(--no-build\)/);
    const project = load('services:\n  a:\n    image: busybox\n');
    const plan = planUp(project, await gatherState(fake, project), { pull: 'always', hash: () => 'h' });
    expect(plan.warnings.join()).toMatch(/pull_policy always, but there is no registry; using the local busybox/);
    expect(formatPlanForTest(plan)).toContain('container app-a-1: create (not found)');
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

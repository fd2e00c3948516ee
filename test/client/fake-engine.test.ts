// The fake engine answers like a Docker Engine where the compose engine can tell the difference,
// and observe finds a project's objects in it by label.
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../support/fake-engine.js';
import { isConflict, isNotFound } from '../../src/client/engine-port.js';
import { containerLabels, LABEL, networkLabels } from '../../src/observe/labels.js';
import { observeProject } from '../../src/observe/observe.js';

const labels = (service: string, n: number) => containerLabels({ project: 'app', service, number: n, configHash: 'h1' });

describe('FakeEngine', () => {
  it('keeps names unique, refuses removing a running container, and records writes', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    const { Id } = await fake.containers.create('app-web-1', { Image: 'busybox', Labels: labels('web', 1) });
    await expect(fake.containers.create('app-web-1', { Image: 'busybox' })).rejects.toSatisfy(isConflict);
    await expect(fake.containers.create('x', { Image: 'nope' })).rejects.toSatisfy(isNotFound);
    await fake.containers.start(Id);
    await fake.containers.start(Id); // already running: no error
    await expect(fake.containers.remove(Id)).rejects.toSatisfy(isConflict);
    await fake.containers.stop(Id);
    await fake.containers.remove(Id);
    expect(fake.writeLog()).toEqual([
      'container.create app-web-1', 'container.create app-web-1', 'container.create x',
      'container.start ' + Id, 'container.start ' + Id, 'container.remove ' + Id, 'container.stop ' + Id, 'container.remove ' + Id,
    ]);
  });

  it('runs behaviours: a one-shot exits with its code, a healthcheck turns healthy, events follow', async () => {
    const fake = new FakeEngine({ images: ['busybox'], behaviour: (c) => (c.Name === 'job' ? { exitCode: 3 } : undefined) });
    const ac = new AbortController();
    const seen: string[] = [];
    const events = fake.events({ signal: ac.signal });
    const reading = (async () => {
      for await (const e of events) {
        seen.push(`${e.Actor.Attributes.name} ${e.Action}`);
        if (seen.length === 5) ac.abort();
      }
    })();
    const job = await fake.containers.create('job', { Image: 'busybox' });
    const db = await fake.containers.create('db', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'] } });
    await fake.containers.start(job.Id);
    await fake.containers.start(db.Id);
    await reading;
    expect(seen).toEqual(['job create', 'db create', 'job start', 'job die', 'db start']);
    expect(await fake.containers.wait(job.Id)).toEqual({ StatusCode: 3 });
    expect((await fake.containers.inspect('db')).State.Health?.Status).toBe('healthy');
  });

  it('refuses removing a network with endpoints (down must remove containers first)', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    await fake.networks.create({ Name: 'app_default', Labels: networkLabels('app', 'default') });
    const c = await fake.containers.create('app-web-1', { Image: 'busybox', Labels: labels('web', 1), NetworkingConfig: { EndpointsConfig: { app_default: { Aliases: ['web'] } } } });
    await expect(fake.networks.remove('app_default')).rejects.toThrow(/active endpoints/);
    await fake.containers.remove(c.Id, { force: true });
    await fake.networks.remove('app_default');
  });
});

describe('observeProject', () => {
  it('finds containers (sorted by service and number), networks and volumes by project label', async () => {
    const fake = new FakeEngine({ images: ['busybox'] });
    await fake.networks.create({ Name: 'app_default', Labels: networkLabels('app', 'default') });
    await fake.volumes.create({ Name: 'app_data', Labels: { [LABEL.project]: 'app', [LABEL.volume]: 'data' } });
    for (const [s, n] of [['web', 2], ['db', 1], ['web', 1]] as const) await fake.containers.create(`app-${s}-${n}`, { Image: 'busybox', Labels: labels(s, n) });
    await fake.containers.create('other-web-1', { Image: 'busybox', Labels: containerLabels({ project: 'other', service: 'web', number: 1, configHash: 'x' }) });
    fake.resetCalls();
    const seen = await observeProject(fake, 'app');
    expect(seen.containers.map((c) => `${c.name} ${c.state} ${c.configHash}`)).toEqual(['app-db-1 created h1', 'app-web-1 created h1', 'app-web-2 created h1']);
    expect(seen.networks.map((n) => `${n.name} ${n.key}`)).toEqual(['app_default default']);
    expect(seen.volumes.map((v) => `${v.name} ${v.key}`)).toEqual(['app_data data']);
    expect(fake.writes()).toEqual([]);
  });

  it('reads an engine without networks or volumes as having none', async () => {
    const fake = new FakeEngine({ images: ['busybox'], networks: false, volumes: false });
    expect(await observeProject(fake, 'app')).toEqual({ project: 'app', containers: [], networks: [], volumes: [] });
  });
});

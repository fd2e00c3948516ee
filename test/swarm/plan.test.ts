// The Swarm planner, against the in-memory manager: the plan's text form for a fresh stack, a
// no-op, each cause of an update, config rotation (old objects kept while a previous spec refers
// to them, removed after), orphans, mode changes, refusals of waits Swarm cannot satisfy.
import { describe, expect, it } from 'vitest';
import { ComposeError, ComposeErrors } from '../../src/errors.js';
import { ProgressTracker, quietReporter } from '../../src/apply/progress.js';
import { loadProject } from '../../src/loader/loader.js';
import type { Project } from '../../src/model/project.js';
import { applySwarmPlan, planSwarm, type SwarmPlanOptions } from '../../src/swarm/converge.js';
import { formatStackPlan } from '../../src/swarm/plan.js';
import { FakeSwarm } from '../support/fake-swarm.js';

const IMG = 'reg.lab:5000/busybox:latest';
const DIGEST = `sha256:${'a'.repeat(64)}`;

function load(yaml: string): Project {
  return loadProject({ files: ['-'], readStdin: () => yaml, workingDir: '/srv/shop', environment: {}, projectName: 'shop' }).project;
}

const STACK = (site = 'hello', apiEnv = 'one') => `
services:
  db:
    image: ${IMG}
    command: ["sleep", "1000"]
    healthcheck: { test: ["CMD", "true"], interval: 1s }
  migrate:
    image: ${IMG}
    command: ["echo", "migrated"]
    depends_on: { db: { condition: service_healthy } }
  api:
    image: ${IMG}
    command: ["sleep", "1000"]
    environment: { MODE: ${apiEnv} }
    deploy: { replicas: 3 }
    configs: [site]
    secrets: [token]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
configs:
  site: { content: ${site} }
secrets:
  token: { environment: TOKEN }
`;

function swarm(): FakeSwarm {
  const s = new FakeSwarm();
  s.digests[IMG] = DIGEST;
  return s;
}

const opts = (extra: Partial<SwarmPlanOptions> = {}): SwarmPlanOptions => ({ environment: { TOKEN: "s3cret" }, ...extra });
const progress = () => new ProgressTracker(quietReporter, Date.now);

async function up(s: FakeSwarm, yaml: string, extra: Partial<SwarmPlanOptions> = {}): Promise<string> {
  const plan = await planSwarm({ port: s, vip: false }, load(yaml), opts(extra));
  await applySwarmPlan({ port: s, vip: false }, plan, { progress: progress(), pollMs: 5 });
  return formatStackPlan(plan, { includeNoop: false }).replace(/-[0-9a-f]{8}\b/g, '-HASH');
}

describe('planStack', () => {
  it('plans a fresh stack: networks, objects by content, services in dependency order with their waits', async () => {
    const s = swarm();
    const plan = await planSwarm({ port: s, vip: false }, load(STACK()), opts());
    expect(formatStackPlan(plan).replace(/-[0-9a-f]{8}\b/g, '-HASH')).toBe(
      [
        'network shop_default: create (not found)',
        'config shop_site-HASH: create (new content)',
        'secret shop_token-HASH: create (new content)',
        'service shop_db: create (not found)',
        'service shop_migrate: create (not found) after db healthy',
        'service shop_api: create (not found) after db healthy, migrate completed',
        '',
      ].join('\n'),
    );
    expect(plan.services.map((x) => [x.name, x.level, x.job])).toEqual([['shop_db', 0, false], ['shop_migrate', 1, true], ['shop_api', 2, false]]);
    // Pinned to the digest the registry serves, labelled for `docker stack` and for berth.
    const api = plan.services[2].spec!;
    expect(api.TaskTemplate.ContainerSpec.Image).toBe(`${IMG}@${DIGEST}`);
    expect(api.Labels).toMatchObject({ 'com.docker.stack.namespace': 'shop', 'com.docker.compose.depends_on': 'db:service_healthy:false,migrate:service_completed_successfully:false', 'io.berth.swarm.spec-hash': expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(api.TaskTemplate.ContainerSpec.Labels?.['io.berth.swarm.task-hash']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a second up changes nothing; a changed service is updated alone, with its cause', async () => {
    const s = swarm();
    await up(s, STACK());
    s.calls.length = 0;
    expect(await up(s, STACK())).toBe('');
    expect(s.calls).toEqual([]);
    expect(await up(s, STACK('hello', 'two'))).toBe('service shop_api: update (config hash changed) after db healthy, migrate completed\n');
    expect(s.calls).toEqual(['service.update shop_api']);
  });

  it('names each cause: replicas, image digest, --force-recreate, --no-recreate, restart: true dependents', async () => {
    const s = swarm();
    await up(s, STACK());
    expect(await up(s, STACK(), { scale: { api: 5 } })).toBe('service shop_api: update (replicas 3 → 5) after db healthy, migrate completed\n');
    s.digests[IMG] = `sha256:${'b'.repeat(64)}`;
    expect(await up(s, STACK(), { scale: { api: 5 } })).toBe(
      [
        `service shop_db: update (image ${IMG}@${DIGEST} → ${IMG}@sha256:${'b'.repeat(64)})`,
        `service shop_migrate: update (image ${IMG}@${DIGEST} → ${IMG}@sha256:${'b'.repeat(64)}) after db healthy`,
        `service shop_api: update (image ${IMG}@${DIGEST} → ${IMG}@sha256:${'b'.repeat(64)}) after db healthy, migrate completed`,
        '',
      ].join('\n'),
    );
    expect(await up(s, STACK(), { scale: { api: 5 }, services: ['db'], forceUpdate: true })).toBe('service shop_db: update (--force-recreate)\n');
    expect(await up(s, STACK('x', 'y'), { scale: { api: 5 }, noUpdate: true })).toMatch(/^config shop_site-HASH: create \(new content\)\n/);
    const restart = STACK().replace('depends_on: { db: { condition: service_healthy } }', 'depends_on: { db: { condition: service_healthy, restart: true } }');
    await up(s, restart, { scale: { api: 5 } });
    expect(await up(s, restart.replace('interval: 1s', 'interval: 2s'), { scale: { api: 5 } })).toContain('service shop_migrate: update (dependency db updated (restart: true)) after db healthy');
  });

  it('rotates a config: the new content is a new object; the old one stays while a previous spec refers to it, then goes', async () => {
    const s = swarm();
    await up(s, STACK('v1'));
    const v1 = s.configStore.map((c) => c.Spec.Name);
    expect(await up(s, STACK('v2'))).toBe(['config shop_site-HASH: create (new content)', 'service shop_api: update (config site: new content) after db healthy, migrate completed', ''].join('\n'));
    // v1 is the api's previous spec's: a rollback needs it.
    expect(s.configStore.map((c) => c.Spec.Name)).toEqual([...v1, expect.stringMatching(/^shop_site-/)]);
    expect(await up(s, STACK('v3'))).toBe(['config shop_site-HASH: create (new content)', 'service shop_api: update (config site: new content) after db healthy, migrate completed', 'config shop_site-HASH: remove (no service uses it any more)', ''].join('\n'));
    expect(s.configStore).toHaveLength(2);
    expect(s.configStore.map((c) => c.Spec.Name)).not.toContain(v1[0]);
  });

  it('leaves orphans with a warning, removes them with --remove-orphans', async () => {
    const s = swarm();
    await up(s, STACK());
    const fewer = STACK().replace(/  migrate:\n(.*\n){3}/, '').replace('      migrate: { condition: service_completed_successfully }\n', '');
    const plan = await planSwarm({ port: s, vip: false }, load(fewer), opts());
    expect(plan.warnings).toEqual(['service shop_migrate is not in the stack files (an orphan); up --remove-orphans removes it']);
    expect(await up(s, fewer, { removeOrphans: true })).toContain('service shop_migrate: remove (orphan: not in the stack files)');
    expect([...s.serviceStore.keys()].sort()).toEqual(['shop_api', 'shop_db']);
  });

  it('replaces a service whose mode Swarm cannot change in place', async () => {
    const s = swarm();
    await up(s, STACK());
    expect(await up(s, STACK().replace('deploy: { replicas: 3 }', 'deploy: { mode: global }'))).toContain("service shop_api: replace (mode replicated → global (Swarm cannot change a service's mode: removed and created again))");
    expect(s.calls.slice(-2)).toEqual(['service.remove shop_api', 'service.create shop_api']);
  });

  it('refuses to wait for the completion of a service that is not a job', async () => {
    const s = swarm();
    const yaml = STACK().replace('command: ["echo", "migrated"]', 'command: ["echo", "migrated"]\n    deploy: { mode: replicated }');
    const e = await planSwarm({ port: s, vip: false }, load(yaml), opts()).catch((x: unknown) => x);
    const messages = e instanceof ComposeErrors ? e.errors.map((x) => x.message) : [(e as ComposeError).message];
    expect(messages).toEqual(['services.api.depends_on.migrate.condition: waits for migrate to complete, but migrate runs in mode replicated on Swarm and never completes (give migrate deploy.mode: replicated-job (or leave mode out: berth makes it a job), or wait for service_healthy)']);
  });

  it('refuses an image whose digest the registry does not give, unless --pull never', async () => {
    const s = new FakeSwarm();
    await expect(planSwarm({ port: s, vip: false }, load(STACK()), opts())).rejects.toThrow(`services.api.image: the manager cannot read the digest of ${IMG} from its registry (manifest unknown: ${IMG}), so the nodes could run different bytes (push the image to a registry every node reaches, or deploy the tag as written with --pull never)`);
    const plan = await planSwarm({ port: s, vip: false }, load(STACK()), opts({ pull: 'never' }));
    expect(plan.services[0].spec!.TaskTemplate.ContainerSpec.Image).toBe(IMG);
  });

  it('refuses build: when no image builder is given, saying what to do', async () => {
    const s = swarm();
    const yaml = STACK().replace('  api:\n    image:', '  api:\n    build: .\n    image:');
    await expect(planSwarm({ port: s, vip: false }, load(yaml), opts())).rejects.toThrow(/^services\.api\.build: berth cannot build images for Swarm yet .* build and push reg\.lab:5000\/busybox:latest first, then deploy the stack without build: \(docker build -t/);
  });

  it('takes a published host port from several replicas (one per node on Swarm), which one engine refuses when planning', async () => {
    const s = swarm();
    const web = (deploy: string) => `services:\n  web:\n    image: ${IMG}\n    ports: ["8080:80"]\n    deploy: ${deploy}\n`;
    const spread = await planSwarm({ port: s, vip: false }, load(web('{ replicas: 3, placement: { max_replicas_per_node: 1 } }')), opts());
    expect(spread.warnings).toEqual([]);
    expect(spread.services[0].spec!.EndpointSpec.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }]);
    expect((await planSwarm({ port: s, vip: false }, load(web('{ mode: global }')), opts())).warnings).toEqual([]);
    expect((await planSwarm({ port: s, vip: false }, load(web('{ replicas: 3 }')), opts())).warnings).toEqual([
      'service shop_web publishes host port 8080/tcp from 3 replicas: Swarm runs at most one such task per node, so 3 nodes must be eligible (deploy.placement.max_replicas_per_node: 1 says so)',
    ]);
  });

  it('refuses --scale above one for a member of a single group (the group is one service)', async () => {
    const s = swarm();
    const yaml = `${STACK().replace('deploy: { replicas: 3 }', 'deploy: {}')}x-placement:\n  groups:\n    backend: { mode: single, services: [api, db] }\n`;
    await expect(planSwarm({ port: s, vip: false }, load(yaml), opts({ scale: { api: 2 } }))).rejects.toThrow('services.api: 2 replicas cannot run in placement group "backend" (mode single): the group is one service, and each replica would copy all of it. Use --placement split or pod, or scale it to 1.');
  });

  it('pins a pod group to one node, and keeps it there on the next up', async () => {
    const s = swarm();
    const yaml = `${STACK()}x-placement:\n  groups:\n    backend: { mode: pod, services: [api, db] }\n`;
    const plan = await planSwarm({ port: s, vip: false }, load(yaml), opts());
    expect(plan.services.find((x) => x.key === 'db')!.spec!.TaskTemplate.Placement?.Constraints).toEqual(['node.hostname==node1']);
    expect(plan.notices.join('\n')).toContain('Swarm cannot share network, IPC or PID namespaces');
    await applySwarmPlan({ port: s, vip: false }, plan, { progress: progress(), pollMs: 5 });
    s.nodeStore = [...s.nodeStore.slice(1), s.nodeStore[0]]; // node order changes: the pod stays
    const again = await planSwarm({ port: s, vip: false }, load(yaml), opts());
    expect(again.services.filter((x) => x.action !== 'noop')).toEqual([]);
  });
});

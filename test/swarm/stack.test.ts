// berth on a real 3-node Swarm (berth swarm-lab): a stack with a database with a healthcheck and a
// volume, a one-shot migration, an API with 3 replicas spread over the nodes, a config and a secret.
// One scenario, in steps: `up --wait` in dependency order (task timestamps prove it); the real
// `docker stack ls/ps` see the stack; DNS and TCP between services on different nodes; a rolling
// update of one service leaves the others' tasks alone; a node killed (dockerd SIGKILLed): its
// tasks are rescheduled and `berth ps` shows it; the node comes back; `down -v` leaves nothing on
// any node.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceInfo, TaskInfo } from '../../src/client/swarm-api.js';
import { BUSYBOX_BINARY } from '../../src/swarm/lab/busybox.js';
import { killNode, labPrerequisitesMissing, pushBusybox, restartNode, upLab } from '../../src/swarm/lab/lab.js';
import type { LabState } from '../../src/swarm/lab/state.js';
import { downLab } from '../../src/swarm/lab/teardown.js';
import { runCli, type CliResult } from '../cli/run-cli.js';
import { DOCKER_CLI, dockerCli, requirePrereq, type Prereq } from '../support/gates.js';

const labMissing = await labPrerequisitesMissing();
const prereqs: Prereq[] = [
  { name: 'a swarm lab', missing: labMissing, install: 'run as root with docker.io, docker-registry, iproute2 and util-linux (scripts/install-system-deps.sh --tests)' },
  { name: 'busybox-static', missing: BUSYBOX_BINARY ? undefined : 'not installed', install: 'apt-get install busybox-static' },
  dockerCli(),
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(500);
  }
}

function stackFile(image: string, apiGreeting: string): string {
  return `name: shop
services:
  db:
    image: ${image}
    init: true
    # Healthy once it has "loaded its data" (2 s), then it answers every connection on 5432.
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; while :; do echo pong | nc -l -p 5432; done"]
    healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 30 }
    volumes: ["data:/data"]
  migrate:
    image: ${image}
    command: ["sh", "-c", "echo migrating; sleep 1; echo migrated"]
    depends_on: { db: { condition: service_healthy } }
  api:
    image: ${image}
    init: true
    command: ["sh", "-c", "while :; do echo \\"$$GREETING\\" | nc -l -p 8080; done"]
    environment: { GREETING: "${apiGreeting}" }
    configs: [{ source: site, target: /etc/site.conf }]
    secrets: [token]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    deploy:
      replicas: 3
      placement: { preferences: [{ spread: node.id }] }
      update_config: { parallelism: 1, order: start-first, failure_action: rollback }
configs:
  site: { content: "hello from the site config" }
secrets:
  token: { environment: TOKEN }
volumes:
  data: {}
`;
}

describe('berth on a 3-node Swarm', () => {
  if (requirePrereq('berth on a Swarm lab', prereqs)) return;

  let dir: string;
  let work: string;
  let state: LabState;
  let image: string;
  let manager: Docker;
  let env: Record<string, string>;
  const berth = (args: string[]): Promise<CliResult> => runCli(['--engine', 'swarm', ...args], { cwd: work, env });
  const nodeClient = (name: string) => new Docker({ socketPath: state.nodes.find((n) => n.name === name)!.socket });
  const hostnames = async (): Promise<Record<string, string>> => Object.fromEntries(((await manager.listNodes()) as { ID: string; Description: { Hostname: string } }[]).map((n) => [n.ID, n.Description.Hostname]));
  const services = async (): Promise<Record<string, ServiceInfo>> => Object.fromEntries(((await manager.listServices({ filters: { label: ['com.docker.stack.namespace=shop'] } })) as unknown as ServiceInfo[]).map((s) => [s.Spec.Name, s]));
  const tasksOf = async (service: string): Promise<TaskInfo[]> => (await manager.listTasks({ filters: { service: [service] } })) as unknown as TaskInfo[];
  const running = async (service: string): Promise<TaskInfo[]> => (await tasksOf(service)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

  async function exec(node: string, container: string, cmd: string[]): Promise<string> {
    const out = execFileSync(DOCKER_CLI, ['-H', `unix://${state.nodes.find((n) => n.name === node)!.socket}`, 'exec', container, ...cmd], { encoding: 'utf8', timeout: 30_000 });
    return out;
  }

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/bss-');
    work = mkdtempSync(path.join(dir, 'stack-'));
    state = await upLab({ dir, nodes: 3 });
    image = (await pushBusybox(dir)).reference;
    manager = nodeClient('node1');
    env = { DOCKER_HOST: state.nodes[0].dockerHost, TOKEN: 's3cret' };
    writeFileSync(path.join(work, 'compose.yaml'), stackFile(image, 'hello'));
  }, 180_000);

  afterAll(async () => {
    if (dir) await downLab(dir, { graceMs: 10_000 });
  }, 120_000);

  it('up --wait deploys in dependency order: the API starts only after the database is healthy and the migration completed', async () => {
    const r = await berth(['up', '--wait', '--progress', 'plain']);
    expect(r.stderr).toContain('notice: services.migrate: runs as a replicated-job, because another service waits for it to complete successfully');
    expect(r.code).toBe(0);
    // Progress per service, tasks running / desired.
    expect(r.stderr).toMatch(/Service shop_api {2}Running \(3\/3 running\)/);
    expect(r.stderr).toMatch(/Service shop_migrate {2}Completed \(1\/1 completed\)/);
    const [db] = await running('shop_db');
    const [migration] = (await tasksOf('shop_migrate')).filter((t) => t.Status.State === 'complete');
    const api = await running('shop_api');
    // db's task turned `running` when its healthcheck passed (Swarm keeps it `starting` until then).
    const dbHealthy = Date.parse(db.Status.Timestamp);
    expect(Date.parse(migration.CreatedAt)).toBeGreaterThan(dbHealthy);
    const migrated = Date.parse(migration.Status.Timestamp);
    for (const t of api) expect(Date.parse(t.CreatedAt)).toBeGreaterThan(migrated);
    // Spread over the nodes.
    const names = await hostnames();
    expect(api.map((t) => names[t.NodeID!]).sort()).toEqual(['node1', 'node2', 'node3']);
  }, 240_000);

  it('the real docker stack ls / ps see the stack', async () => {
    const docker = (args: string[]) => execFileSync(DOCKER_CLI, ['-H', env.DOCKER_HOST, ...args], { encoding: 'utf8' });
    expect(docker(['stack', 'ls', '--format', '{{.Name}} {{.Services}}']).trim().split('\n')).toContain('shop 3');
    const ps = docker(['stack', 'ps', 'shop', '--filter', 'desired-state=running', '--format', '{{.Name}} {{.CurrentState}}']).trim().split('\n');
    expect(ps.map((l) => l.split(' ')[0]).sort()).toEqual(['shop_api.1', 'shop_api.2', 'shop_api.3', 'shop_db.1']);
    for (const l of ps) expect(l).toMatch(/ Running /);
  }, 60_000);

  it('berth ps lists the tasks with node, desired and current state; ls lists the stack', async () => {
    const r = await berth(['ps']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s{3,}/));
    expect(rows.map((c) => c[0])).toEqual(['shop_api.1', 'shop_api.2', 'shop_api.3', 'shop_db.1', expect.stringMatching(/^shop_migrate\./)]);
    expect(rows.map((c) => c[3])).toEqual(['Running', 'Running', 'Running', 'Running', 'Complete']);
    expect(rows.every((c) => /^node[123]$/.test(c[2]))).toBe(true);
    expect((await berth(['ls'])).stdout).toMatch(/^shop\s+3\s+4\/4\s+running\s+swarm$/m);
    const logs = await berth(['logs', '--no-color', 'migrate']);
    expect(logs.stdout).toMatch(/^shop_migrate\.\w+@node\d {2}\| migrating\nshop_migrate\.\w+@node\d {2}\| migrated\n$/);
  }, 60_000);

  it('DNS and TCP work between services on different nodes; the config and the secret are in place', async () => {
    const [db] = await running('shop_db');
    const names = await hostnames();
    const api = (await running('shop_api')).find((t) => t.NodeID !== db.NodeID)!;
    const node = names[api.NodeID!];
    expect(node).not.toBe(names[db.NodeID!]);
    const id = api.Status.ContainerStatus!.ContainerID!;
    expect(await exec(node, id, ['nslookup', 'db'])).toMatch(/Name:\s+db\s+Address: 10\.\d+\.\d+\.\d+/);
    // Three replicas behind one name (dnsrr: one address each).
    expect((await exec(node, id, ['nslookup', 'api'])).match(/Address: 10\./g)).toHaveLength(3);
    expect((await exec(node, id, ['sh', '-c', 'nc db 5432 </dev/null'])).trim()).toBe('pong');
    expect(await exec(node, id, ['sh', '-c', 'cat /etc/site.conf; echo; cat /run/secrets/token'])).toBe('hello from the site config\ns3cret');
  }, 60_000);

  it('a rolling update of one service leaves the other services\' tasks untouched', async () => {
    const before = await services();
    const dbTasks = (await running('shop_db')).map((t) => t.ID);
    const migrateTasks = (await tasksOf('shop_migrate')).map((t) => t.ID);
    const apiTasks = (await running('shop_api')).map((t) => t.ID);
    writeFileSync(path.join(work, 'compose.yaml'), stackFile(image, 'hello again'));
    const plan = await berth(['up', '--dry-run']);
    expect(plan.stdout).toContain('service shop_api: update (config hash changed) after db healthy, migrate completed');
    expect(plan.stdout).toContain('service shop_db: noop (up to date)');
    const r = await berth(['up', '--wait', '--progress', 'plain']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Service shop_api  Updating (config hash changed)');
    const after = await services();
    // Only the API's spec moved; the others kept their version and their tasks.
    expect(after.shop_api.Version.Index).toBeGreaterThan(before.shop_api.Version.Index);
    expect(after.shop_db.Version.Index).toBe(before.shop_db.Version.Index);
    expect(after.shop_migrate.Version.Index).toBe(before.shop_migrate.Version.Index);
    expect((await running('shop_db')).map((t) => t.ID)).toEqual(dbTasks);
    expect((await tasksOf('shop_migrate')).map((t) => t.ID)).toEqual(migrateTasks);
    const newApi = await running('shop_api');
    expect(newApi).toHaveLength(3);
    for (const t of newApi) expect(apiTasks).not.toContain(t.ID);
    expect(after.shop_api.UpdateStatus?.State).toBe('completed');
    const [one] = newApi;
    const names = await hostnames();
    expect((await exec(names[one.NodeID!], one.Status.ContainerStatus!.ContainerID!, ['sh', '-c', 'echo $GREETING'])).trim()).toBe('hello again');
  }, 240_000);

  it('a node killed: its tasks are rescheduled on the others, and berth ps shows it', async () => {
    const names = await hostnames();
    // A worker that runs an API task: the rolling update before placed the new tasks by Swarm's
    // spread preference, which is a preference (start-first may leave a worker without one).
    const onNode = async (node: string) => (await running('shop_api')).filter((t) => names[t.NodeID!] === node).map((t) => t.ID);
    const victim = (await onNode('node3')).length > 0 ? 'node3' : 'node2';
    const lost = await onNode(victim);
    expect(lost.length).toBeGreaterThan(0);
    killNode(dir, victim);
    await until(`${victim} to be down and the API back to 3 running tasks off it`, 120_000, async () => {
      const down = ((await manager.listNodes()) as { Description: { Hostname: string }; Status: { State: string } }[]).find((n) => n.Description.Hostname === victim);
      const api = await running('shop_api');
      return down?.Status.State === 'down' && api.length === 3 && api.every((t) => names[t.NodeID!] !== victim) ? true : undefined;
    });
    const ps = await berth(['ps', '-a', '--format', 'json']);
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ID: string; Name: string; Node: string; NodeState: string; DesiredState: string; CurrentState: string });
    const current = rows.filter((r) => r.Name.startsWith('shop_api.') && r.DesiredState === 'running');
    expect(current.map((r) => r.Node).filter((n) => n === victim)).toEqual([]);
    expect(current.every((r) => r.CurrentState === 'running')).toBe(true);
    // A lost task is still listed, on its node (down), no longer wanted.
    const gone = rows.find((r) => r.ID === lost[0])!;
    expect([gone.Node, gone.NodeState, gone.DesiredState]).toEqual([victim, 'down', 'shutdown']);
    expect((await berth(['ps'])).stdout).not.toMatch(new RegExp(`shop_api\\.\\d\\s.*${victim}`));
    expect((await berth(['ps', '-a'])).stdout).toMatch(new RegExp(`shop_api\\.\\d\\s+\\S+\\s+${victim} \\(down\\)\\s+Shutdown`));
    // The node comes back; the Swarm shuts down what it ran for the stack.
    await restartNode(dir, victim);
    await until(`${victim} to be ready again`, 60_000, async () => {
      const down = ((await manager.listNodes()) as { Description: { Hostname: string }; Status: { State: string } }[]).find((n) => n.Description.Hostname === victim);
      return down?.Status.State === 'ready' ? true : undefined;
    });
  }, 240_000);

  it('a service with build: is built on the manager, pushed to the registry its image names, and deployed by that digest', async () => {
    const registry = image.split('/')[0];
    const toolDir = mkdtempSync(path.join(dir, 'tool-'));
    mkdirSync(path.join(toolDir, 'ctx'));
    writeFileSync(path.join(toolDir, 'ctx', 'Dockerfile'), `FROM ${image}\nRUN echo built-for-swarm > /marker\nCMD ["sh", "-c", "cat /marker; sleep 3600"]\n`);
    writeFileSync(path.join(toolDir, 'compose.yaml'), `name: tool\nservices:\n  tool:\n    build: ./ctx\n    image: ${registry}/tool:1\n`);
    const tool = (args: string[]): Promise<CliResult> => runCli(['--engine', 'swarm', ...args], { cwd: toolDir, env });
    const up = await tool(['up', '-d', '--wait', '--progress', 'plain']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/Build tool .*Built/);
    const [svc] = (await manager.listServices({ filters: { label: ['com.docker.stack.namespace=tool'] } })) as unknown as ServiceInfo[];
    const pinned = svc.Spec.TaskTemplate.ContainerSpec.Image;
    expect(pinned).toMatch(new RegExp(`^${registry.replace(/\./g, '\\.')}/tool:1@sha256:[0-9a-f]{64}$`));
    const task = await until('the tool task to run', 60_000, async () => (await running(svc.Spec.Name))[0]);
    const node = (await hostnames())[task.NodeID!]!;
    // The task runs what was built (pulled by that digest on its node).
    expect(await exec(node, task.Status.ContainerStatus!.ContainerID!, ['cat', '/marker'])).toBe('built-for-swarm\n');
    expect((await tool(['down'])).code).toBe(0);
  }, 240_000);

  it('down -v removes everything, in reverse order, and leaves nothing on any node', async () => {
    const r = await berth(['down', '-v', '--progress', 'plain']);
    expect(r.code).toBe(0);
    const removed = [...r.stderr.matchAll(/^Service (\S+) {2}Stopped/gm)].map((m) => m[1]);
    // Dependents first: the API before the migration and the database, the migration before the database.
    expect(removed.indexOf('shop_api')).toBeLessThan(removed.indexOf('shop_migrate'));
    expect(removed.indexOf('shop_migrate')).toBeLessThan(removed.indexOf('shop_db'));
    expect(await manager.listServices({ filters: { label: ['com.docker.stack.namespace=shop'] } })).toEqual([]);
    expect(await manager.listConfigs({ filters: { label: ['com.docker.stack.namespace=shop'] } })).toEqual([]);
    expect(await manager.listSecrets({ filters: { label: ['com.docker.stack.namespace=shop'] } })).toEqual([]);
    for (const n of state.nodes) {
      const node = nodeClient(n.name);
      // The killed node was down for a while: give it the time to shut down what it ran before.
      await until(`${n.name} to have no container of the stack`, 90_000, async () => ((await node.listContainers({ all: true, filters: { label: ['com.docker.stack.namespace=shop'] } })).length === 0 ? true : undefined));
      expect((await node.listVolumes()).Volumes ?? []).toEqual([]);
      expect((await node.listNetworks()).map((x) => x.Name).filter((x) => x.startsWith('shop'))).toEqual([]);
    }
    const ls = execFileSync(DOCKER_CLI, ['-H', env.DOCKER_HOST, 'stack', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' });
    expect(ls.split('\n')).not.toContain('shop');
    void readFileSync;
  }, 240_000);
});

// The swarm lab end to end, on real dockerd nodes: `swarm-lab up --nodes 3` forms a Swarm of one
// manager and two workers; a busybox image goes into the lab registry; two dnsrr services on
// different nodes talk over an attachable overlay by service name; a stack translated by
// translateProject is accepted by the real Swarm and its tasks run; `status` shows it all;
// `down` leaves nothing behind — also for a lab whose `up` failed half way.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadProject } from '../../src/loader/loader.js';
import { BUSYBOX_BINARY } from '../../src/swarm/lab/busybox.js';
import { pidAlive } from '../../src/swarm/lab/host.js';
import { labPrerequisitesMissing, pushBusybox, upLab } from '../../src/swarm/lab/lab.js';
import { readLabState, type LabState } from '../../src/swarm/lab/state.js';
import { downLab } from '../../src/swarm/lab/teardown.js';
import { translateProject, withObjectIds } from '../../src/swarm/translate.js';
import { runCli } from '../cli/run-cli.js';

// Debian's CLI: CI has no other (a /usr/local/bin/docker may shadow it on a workstation).
const DOCKER_CLI = '/usr/bin/docker';

const missing = (await labPrerequisitesMissing()) ?? (BUSYBOX_BINARY ? undefined : 'busybox-static not installed');
const inCI = process.env.CI === 'true';
if (missing && !inCI) console.log(`[skip] swarm lab: ${missing}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

interface Task {
  NodeID: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

async function tasksOf(manager: Docker, service: string): Promise<Task[]> {
  return (await manager.listTasks({ filters: { service: [service] } })) as Task[];
}

/** The tasks of a service once all of them reached `state` (a failed or rejected task fails the test at once). */
async function tasksIn(manager: Docker, service: string, state: 'running' | 'complete', count = 1): Promise<Task[]> {
  return until(`${service} to be ${state}`, 60_000, async () => {
    const tasks = await tasksOf(manager, service);
    const broken = tasks.find((t) => ['failed', 'rejected'].includes(t.Status.State));
    if (broken) throw new Error(`${service}: task ${broken.Status.State}: ${broken.Status.Err}`);
    const done = tasks.filter((t) => t.Status.State === state);
    return done.length >= count ? done : undefined;
  });
}

async function exec(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  // Multiplexed stream: 8-byte frame headers before each chunk of output.
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const len = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** Everything a lab could leave behind, checked with the host's own tools rather than the lab's code. */
function hostLeftovers(dir: string, state: LabState): string[] {
  const left: string[] = [];
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const name of [state.bridge, state.registry.hostLink, ...state.nodes.map((n) => n.hostLink)]) if (new RegExp(`: ${name}[@:]`).test(links)) left.push(`link ${name}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.split(' ')[4]?.startsWith(dir)) left.push(`mount ${line.split(' ')[4]}`);
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  for (const line of ps.split('\n')) if (line.includes(`${dir}/`) && /dockerd|containerd|docker-registry/.test(line)) left.push(`process ${line.trim()}`);
  for (const c of ['memory', 'pids', 'cpu', 'unified', 'systemd']) if (existsSync(`/sys/fs/cgroup/${c}${state.cgroupParent}`)) left.push(`cgroup ${c}${state.cgroupParent}`);
  for (const n of state.nodes) if (pidAlive(n.pid)) left.push(`dockerd ${n.name} (pid ${n.pid})`);
  if (pidAlive(state.registry.pid)) left.push(`registry (pid ${state.registry.pid})`);
  if (existsSync(dir)) left.push(`directory ${dir}`);
  return left;
}

describe.skipIf(missing !== undefined && !inCI)('berth swarm-lab', () => {
  let dir: string;
  let halfDir: string;
  let state: LabState;
  let manager: Docker;
  let image: { reference: string; digest: string };
  const nodeClient = (name: string) => new Docker({ socketPath: state.nodes.find((n) => n.name === name)!.socket });

  beforeAll(async () => {
    if (missing) throw new Error(`swarm lab prerequisites missing in CI: ${missing}`);
    dir = mkdtempSync('/tmp/bsl-');
    halfDir = mkdtempSync('/tmp/bsl-half-');
  });

  afterAll(async () => {
    // Whatever happened above, the machine is left clean (down is idempotent).
    const problems: string[] = [];
    for (const d of [dir, halfDir].filter((x) => x !== undefined)) {
      try {
        await downLab(d, { graceMs: 10_000 });
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    if (problems.length) throw new Error(problems.join('\n'));
  }, 90_000);

  it('up --nodes 3: one manager and two workers, all Ready, and the manager\'s DOCKER_HOST printed', async () => {
    const r = await runCli(['swarm-lab', 'up', '--nodes', '3', '--dir', dir], { cwd: '/' });
    expect(r.stderr).toContain('swarm: 3 nodes ready (1 manager)');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`DOCKER_HOST=unix://${dir}/node1/docker.sock\n`);
    state = readLabState(dir)!;
    manager = nodeClient('node1');
    const ls = execFileSync(DOCKER_CLI, ['-H', `unix://${dir}/node1/docker.sock`, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'], { encoding: 'utf8' });
    expect(ls.trim().split('\n').map((l) => l.trim()).sort()).toEqual(['node1 Ready Active Leader', 'node2 Ready Active', 'node3 Ready Active']);
    // Each node is its own host: its hostname, its address on the lab bridge, no route out.
    const route = execFileSync('nsenter', [`--net=${state.nodes[1].netns}`, 'ip', 'route'], { encoding: 'utf8' });
    expect(route.trim()).toBe(`${state.subnet} dev eth0 proto kernel scope link src ${state.nodes[1].address} `.trim());
    // The host has no address on the lab: not on the bridge, not on the veths' host ends (not even IPv6 link-local).
    for (const link of [state.bridge, state.registry.hostLink, ...state.nodes.map((n) => n.hostLink)]) {
      expect(execFileSync('ip', ['-o', 'addr', 'show', 'dev', link], { encoding: 'utf8' }), link).toBe('');
    }
    expect(state.vip).toBe(existsSync('/proc/net/ip_vs'));
  }, 120_000);

  it('puts a busybox image into the lab registry', async () => {
    image = await pushBusybox(dir);
    expect(image.reference).toBe(`${state.registry.address}:5000/busybox:latest`);
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 60_000);

  it('runs two dnsrr services on different nodes that talk over an attachable overlay by name', async () => {
    await manager.createNetwork({ Name: 'pair', Driver: 'overlay', Attachable: true, CheckDuplicate: true } as Docker.NetworkCreateOptions);
    const service = (name: string, node: string, cmd: string[]) =>
      manager.createService({
        Name: name,
        TaskTemplate: { ContainerSpec: { Image: `${image.reference}@${image.digest}`, Command: cmd }, Placement: { Constraints: [`node.hostname==${node}`] }, Networks: [{ Target: 'pair' }] },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Mode: 'dnsrr' },
      });
    await service('srv', 'node2', ['sh', '-c', 'while :; do echo "hello from $(hostname)" | nc -l -p 7000; done']);
    await service('cli', 'node3', ['sleep', '3600']);
    const [srvTask] = await tasksIn(manager, 'srv', 'running');
    const [cliTask] = await tasksIn(manager, 'cli', 'running');
    const hostnames = Object.fromEntries(((await manager.listNodes()) as { ID: string; Description: { Hostname: string } }[]).map((n) => [n.ID, n.Description.Hostname]));
    expect([hostnames[srvTask.NodeID], hostnames[cliTask.NodeID]]).toEqual(['node2', 'node3']);
    const node3 = nodeClient('node3');
    const cli = cliTask.Status.ContainerStatus!.ContainerID!;
    expect(await exec(node3, cli, ['nslookup', 'srv'])).toMatch(/Name:\s+srv\s+Address: \d+\.\d+\.\d+\.\d+/);
    // The server may still be starting its first nc: retry the connection a few times.
    const answer = await until('srv to answer on 7000', 20_000, async () => {
      const out = await exec(node3, cli, ['sh', '-c', 'nc srv 7000 </dev/null']);
      return out.includes('hello from') ? out : undefined;
    });
    expect(answer.trim()).toMatch(/^hello from [0-9a-f]{12}$/);
  }, 90_000);

  it('round trip: a translated stack is accepted by the real Swarm and its tasks run', async () => {
    const work = mkdtempSync(path.join(dir, 'stack-'));
    writeFileSync(path.join(work, 'token.txt'), 's3cret');
    writeFileSync(
      path.join(work, 'compose.yaml'),
      stringify({
        name: 'rt',
        services: {
          migrate: { image: image.reference, command: ['sh', '-c', 'echo migrated'] },
          // A single group: one service, the side member started by its command.
          app: { image: image.reference, command: ['sleep', '3600'] },
          side: { image: image.reference, command: ['sh', '-c', 'echo "side $$GREETING" > /tmp/side; exec sleep 3600'], environment: { GREETING: 'two words' } },
          // A pod group: two services on the node the caller chose.
          p1: { image: image.reference, command: ['sleep', '3600'] },
          p2: { image: image.reference, command: ['sleep', '3600'] },
          web: {
            image: image.reference,
            command: ['httpd', '-f', '-p', '8080'],
            environment: { MODE: 'lab' },
            depends_on: { migrate: { condition: 'service_completed_successfully' } },
            healthcheck: { test: ['CMD', 'true'], interval: '2s', retries: 3 },
            init: true,
            ports: ['18080:8080'],
            ulimits: { nofile: 4096 },
            cap_drop: ['MKNOD'],
            secrets: ['token'],
            configs: [{ source: 'site', target: '/etc/site.conf' }],
            volumes: ['data:/data', { type: 'tmpfs', target: '/cache', tmpfs: { size: '1m' } }],
            stop_grace_period: '2s',
            deploy: {
              replicas: 1,
              resources: { limits: { cpus: '0.5', memory: '64M' }, reservations: { memory: '8M' } },
              restart_policy: { condition: 'on-failure', max_attempts: 3 },
              update_config: { parallelism: 1, order: 'start-first' },
              placement: { constraints: ['node.role==worker'], max_replicas_per_node: 1 },
            },
          },
        },
        'x-placement': { groups: { pair: { mode: 'single', services: ['app', 'side'] }, duo: { mode: 'pod', services: ['p1', 'p2'] } } },
        volumes: { data: {} },
        secrets: { token: { file: './token.txt' } },
        configs: { site: { content: 'hello site' } },
      }),
    );
    const { project } = loadProject({ workingDir: work, environment: {} });
    const stack = translateProject(project, { vip: state.vip === true, digests: { [image.reference]: image.digest }, podConstraints: { duo: 'node.hostname==node2' } });
    expect(stack.services.map((s) => s.spec.Name)).toEqual(['rt_migrate', 'rt_p1', 'rt_p2', 'rt_pair', 'rt_web']);
    for (const n of stack.networks) if (n.spec) await manager.createNetwork(n.spec as Docker.NetworkCreateOptions);
    const ids = { secrets: {} as Record<string, string>, configs: {} as Record<string, string> };
    for (const s of stack.secrets) ids.secrets[s.name] = ((await manager.createSecret(s.spec!)) as { id: string }).id;
    for (const c of stack.configs) ids.configs[c.name] = ((await manager.createConfig(c.spec!)) as { id: string }).id;
    for (const s of stack.services) await manager.createService(withObjectIds(s.spec, ids) as unknown as Docker.CreateServiceOptions);

    await tasksIn(manager, 'rt_migrate', 'complete');
    const [task] = await tasksIn(manager, 'rt_web', 'running');
    const node = ((await manager.listNodes()) as { ID: string; Description: { Hostname: string } }[]).find((n) => n.ID === task.NodeID)!.Description.Hostname;
    expect(['node2', 'node3']).toContain(node);
    const web = nodeClient(node);
    const id = task.Status.ContainerStatus!.ContainerID!;
    expect(await exec(web, id, ['sh', '-c', 'cat /run/secrets/token; echo; cat /etc/site.conf; echo; echo $MODE'])).toBe('s3cret\nhello site\nlab\n');
    const info = await web.getContainer(id).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(5e8);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.Mounts.map((m: { Type: string; Destination: string }) => `${m.Type}:${m.Destination}`).sort()).toEqual(['tmpfs:/cache', 'volume:/data']);
    const hostnames = Object.fromEntries(((await manager.listNodes()) as { ID: string; Description: { Hostname: string } }[]).map((n) => [n.ID, n.Description.Hostname]));
    for (const member of ['rt_p1', 'rt_p2']) expect(hostnames[(await tasksIn(manager, member, 'running'))[0].NodeID]).toBe('node2');
    const [pair] = await tasksIn(manager, 'rt_pair', 'running');
    const pairNode = nodeClient(hostnames[pair.NodeID]);
    const side = await until('the side member to write its file', 10_000, async () => {
      const out = await exec(pairNode, pair.Status.ContainerStatus!.ContainerID!, ['cat', '/tmp/side']);
      return out.startsWith('side') ? out : undefined;
    });
    expect(side).toBe('side two words\n');
    const inspected = (await manager.getService('rt_web').inspect()) as { Spec: { Labels: Record<string, string> } };
    expect(inspected.Spec.Labels).toMatchObject({ 'com.docker.stack.namespace': 'rt', 'com.docker.compose.service': 'web' });
  }, 120_000);

  it('status lists every node with role, state, availability, address and DOCKER_HOST, the registry and VIP support', async () => {
    const r = await runCli(['swarm-lab', 'status', '--dir', dir], { cwd: '/' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`registry  ${state.registry.address}:5000 (running)`);
    expect(r.stdout).toContain(`vip       ${state.vip ? 'true' : 'false (no IPVS'}`);
    expect(r.stdout).toContain(`manager   DOCKER_HOST=unix://${dir}/node1/docker.sock`);
    const rows = r.stdout.split('\n').filter((l) => /^node\d/.test(l)).map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual(state.nodes.map((n, i) => [n.name, i === 0 ? 'manager (leader)' : 'worker', 'ready', 'active', n.address, n.dockerHost]));
    const json = JSON.parse((await runCli(['swarm-lab', 'status', '--dir', dir, '--format', 'json'], { cwd: '/' })).stdout);
    expect(json.nodes.map((n: { name: string; role: string; daemon: string }) => `${n.name}:${n.role}:${n.daemon}`)).toEqual(['node1:manager:running', 'node2:worker:running', 'node3:worker:running']);
  }, 30_000);

  it('down stops every node and leaves no namespace, link, mount, process, cgroup or directory', async () => {
    const r = await runCli(['swarm-lab', 'down', '--dir', dir], { cwd: '/' });
    expect(r.stderr).toMatch(/^removed the lab in/);
    expect(r.code).toBe(0);
    expect(hostLeftovers(dir, state)).toEqual([]);
    // A second down finds nothing and says so.
    const again = await runCli(['swarm-lab', 'down', '--dir', dir], { cwd: '/' });
    expect([again.code, again.stderr]).toEqual([0, `no lab in ${dir}; nothing to remove\n`]);
  }, 60_000);

  it('down removes a lab whose up failed half way (registry and node1 running, node2 never started)', async () => {
    // A file where node2's directory should be: node2's dockerd cannot start, node1's already did.
    writeFileSync(path.join(halfDir, 'node2'), 'in the way');
    await expect(upLab({ dir: halfDir, nodes: 2 })).rejects.toThrow(/swarm-lab up failed: .*\n.*berth swarm-lab down --dir/);
    const half = readLabState(halfDir)!;
    expect(half.phase).toBe('failed');
    expect(pidAlive(half.registry.pid)).toBe(true);
    await until('node1 to be recorded', 10_000, async () => (readLabState(halfDir)!.nodes[0].pid ? true : undefined));
    const recorded = readLabState(halfDir)!;
    const report = await downLab(halfDir);
    expect(report.removed).toEqual(expect.arrayContaining([`link ${recorded.bridge}`, `directory ${halfDir}`]));
    expect(hostLeftovers(halfDir, recorded)).toEqual([]);
    mkdirSync(halfDir); // afterAll's down of an empty directory must pass too
  }, 90_000);
});

// The Swarm target on the command line, without a Swarm: how it is asked for (--engine swarm,
// --swarm-mode services, their environment variables) and contradictions refused; container-only
// flags and verbs refused with why; `config` on Swarm prints the objects `up` would create; a
// manager that cannot be reached, or is none, is said so.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { swarmRequested, vipSupport } from '../../src/client/select-swarm.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-swarm-cli-'));
writeFileSync(
  path.join(dir, 'compose.yaml'),
  `name: shop
services:
  db:
    image: reg.lab:5000/busybox:latest
    healthcheck: { test: ["CMD", "true"] }
  api:
    image: reg.lab:5000/busybox:latest
    ports: ["8080:80"]
    secrets: [token]
    depends_on: { db: { condition: service_healthy } }
secrets:
  token: { environment: TOKEN }
`,
);

describe('asking for Swarm', () => {
  it('is asked for, never guessed: --engine swarm or --swarm-mode services (or their variables); the default on a manager is containers', () => {
    expect(swarmRequested('swarm', undefined, {})).toBe(true);
    expect(swarmRequested(undefined, 'services', {})).toBe(true);
    expect(swarmRequested('docker', 'services', {})).toBe(true);
    expect(swarmRequested(undefined, undefined, { BERTH_ENGINE: 'swarm' })).toBe(true);
    expect(swarmRequested(undefined, undefined, { BERTH_SWARM_MODE: 'services' })).toBe(true);
    expect(swarmRequested('docker', undefined, {})).toBe(false);
    expect(swarmRequested(undefined, 'containers', { BERTH_SWARM_MODE: 'services' })).toBe(false);
    expect(swarmRequested(undefined, undefined, {})).toBe(false);
  });

  it('refuses contradictions and unknown modes as usage errors', async () => {
    const cases: [string[], string][] = [
      [['--engine', 'swarm', '--swarm-mode', 'containers', 'ps'], '--engine swarm deploys services; --swarm-mode containers contradicts it (drop one)'],
      [['--engine', 'builtin', '--swarm-mode', 'services', 'ps'], '--swarm-mode services needs a Swarm manager; the built-in engine has no Swarm mode (use --engine swarm or --engine docker)'],
      [['--swarm-mode', 'tasks', 'ps'], '--swarm-mode tasks: services or containers'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { cwd: dir });
      expect([r.code, r.stderr]).toEqual([2, `${message}\n`]);
    }
  });

  it('VIP: BERTH_SWARM_VIP says it; a local manager asks this kernel; a remote one is assumed to have IPVS', () => {
    expect(vipSupport({ BERTH_SWARM_VIP: '0' }, 'unix:///x.sock')).toEqual({ vip: false, vipSource: 'BERTH_SWARM_VIP' });
    expect(vipSupport({ BERTH_SWARM_VIP: '1' }, 'unix:///x.sock').vip).toBe(true);
    expect(vipSupport({}, 'tcp://10.0.0.1:2375')).toEqual({ vip: true, vipSource: 'a remote manager (assumed; BERTH_SWARM_VIP=0 says otherwise)' });
    expect(vipSupport({}, 'unix:///x.sock').vipSource).toBe("this machine's kernel");
  });
});

describe('container-only flags and verbs on Swarm', () => {
  it('refuses each container-only flag of up and down with why, and the container verbs', async () => {
    const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    const up = await runCli(['--engine', 'swarm', 'up', '-V', '--abort-on-container-exit', '-t', '3'], { cwd: dir, env });
    expect(up.code).toBe(2);
    expect(up.stderr).toBe("up on Swarm: --abort-on-container-exit: Swarm restarts or replaces tasks, nothing aborts the stack; -V: anonymous volumes belong to each task's container; Swarm makes new ones with every new task; -t: Swarm stops tasks after each service's stop_grace_period; set that instead\n");
    expect((await runCli(['--engine', 'swarm', 'up', '--no-start'], { cwd: dir, env })).stderr).toContain('up --no-start on Swarm: services start when they are created');
    expect((await runCli(['--engine', 'swarm', 'down', '--rmi', 'all'], { cwd: dir, env })).stderr).toContain('--rmi: images live on every node');
    expect((await runCli(['--engine', 'swarm', 'logs', '--until', '1m'], { cwd: dir, env })).stderr).toContain('a manager serves service logs from a time on');
    const exec = await runCli(['--engine', 'swarm', 'exec', 'api', 'true'], { cwd: dir, env });
    expect([exec.code, exec.stderr]).toEqual([2, 'this command acts on containers of one engine; on Swarm, berth runs up, down, ps, logs, ls, config, watch and compare (or use --engine docker on a node)\n']);
  });
});

describe('config on Swarm', () => {
  it('prints the objects up would create, reading no engine; notices on stderr; secret data never shown', async () => {
    const r = await runCli(['--engine', 'swarm', 'config'], { cwd: dir, env: { BERTH_SWARM_VIP: '0', TOKEN: 's3cret', DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as { namespace: string; networks: Record<string, unknown>; secrets: Record<string, { Data: string }>; services: Record<string, { EndpointSpec: unknown; Labels: Record<string, string> }> };
    expect(doc.namespace).toBe('shop');
    expect(Object.keys(doc.networks)).toEqual(['shop_default']);
    expect(Object.values(doc.secrets)[0].Data).toBe('(6 bytes, not shown)');
    expect(r.stdout).not.toContain('s3cret');
    expect(doc.services.shop_api.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] });
    expect(r.stderr).toContain('notice: no VIP load balancing (from BERTH_SWARM_VIP)');
    expect(r.stderr).toContain('notice: this Swarm cannot do VIP load balancing');
  });

  it('refuses what only describes the Compose model, and reports every refused key together', async () => {
    const r = await runCli(['--engine', 'swarm', 'config', '--services'], { cwd: dir, env: { BERTH_SWARM_VIP: '1', TOKEN: 'x' } });
    expect([r.code, r.stderr]).toEqual([2, 'config --services lists the Compose model; it does not change on Swarm: drop --engine swarm\n']);
    const bad = mkdtempSync(path.join(tmpdir(), 'berth-swarm-cli-'));
    writeFileSync(path.join(bad, 'compose.yaml'), 'services:\n  web:\n    image: x\n    privileged: true\n    devices: ["/dev/fuse"]\n');
    const refused = await runCli(['--engine', 'swarm', 'config', '-q'], { cwd: bad, env: { BERTH_SWARM_VIP: '1' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('services.web.devices: Swarm services cannot map host devices; remove it or deploy with --engine docker');
    expect(refused.stderr).toContain('services.web.privileged: Swarm services cannot run privileged containers; remove it or deploy with --engine docker');
  });
});

describe('the manager', () => {
  let server: Server;
  let socket: string;
  beforeAll(async () => {
    socket = path.join(dir, 'worker.sock');
    // A Docker API that is a worker, not a manager.
    server = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.startsWith('/swarm')) {
        res.statusCode = 503;
        return res.end(JSON.stringify({ message: "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state." }));
      }
      res.end(JSON.stringify(req.url?.startsWith('/info') ? { Swarm: { NodeID: 'w1', LocalNodeState: 'active', ControlAvailable: false } } : {}));
    });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('says when it cannot be reached, or is not a manager, and what to do', async () => {
    const gone = await runCli(['--engine', 'swarm', 'ps'], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^cannot reach a Docker Engine at unix:\/\/\/nonexistent\/docker.sock \(.*\); point DOCKER_HOST at a Swarm manager \(`berth swarm-lab up` prints one\)\n$/);
    const worker = await runCli(['--engine', 'swarm', 'ps'], { cwd: dir, env: { DOCKER_HOST: `unix://${socket}` } });
    expect([worker.code, worker.stderr]).toEqual([1, `the Docker Engine at unix://${socket} is a worker, not a Swarm manager; point DOCKER_HOST at a manager, or run \`docker swarm init\` there\n`]);
  });
});

// The lifecycle verbs against the in-memory fake engine: which engine calls they make, with which
// arguments (the translation of flags), in which order; and their pure parts (one-off create body,
// log prefixes, time/tail flags, the ls table).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressTracker, quietReporter } from '../../src/apply/progress.js';
import type { EnginePort } from '../../src/client/engine-port.js';
import { FakeEngine } from '../support/fake-engine.js';
import { createServices } from '../../src/compose/converge.js';
import { execInService } from '../../src/compose/exec.js';
import { killContainers, removeContainers, restartContainers, stopContainers, type ProjectTarget } from '../../src/compose/lifecycle.js';
import { logPrinter, parseLogTime, parseTail } from '../../src/compose/logs.js';
import type { ObservedContainer } from '../../src/observe/observe.js';
import { oneOffBody, parsePublish } from '../../src/compose/run.js';
import { listProjects } from '../../src/compose/views.js';
import { formatProjects, table } from '../../src/cli/format.js';
import { loadProject } from '../../src/loader/loader.js';
import type { Project } from '../../src/model/project.js';

const YAML = `
name: app
services:
  db:
    image: busybox
    stop_grace_period: 3s
  web:
    image: busybox
    depends_on: [db]
    ports: ["8080:80"]
    environment: { A: "1", B: "2" }
    restart: always
    command: ["serve"]
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(): Project {
  const dir = mkdtempSync('/tmp/berth-lf-');
  dirs.push(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), YAML);
  return loadProject({ workingDir: dir, environment: {} }).project;
}

/** Records every containers/exec call with its arguments, in order. */
function spy(port: EnginePort): { port: EnginePort; calls: string[] } {
  const calls: string[] = [];
  const wrap = <T extends object>(group: string, target: T): T =>
    new Proxy(target, {
      get(t, key) {
        const v = Reflect.get(t, key);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (key !== 'list' && key !== 'inspect' && key !== 'logs') calls.push(`${group}.${String(key)} ${JSON.stringify(args.filter((a) => !(a instanceof AbortSignal)))}`);
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  const wrapped = Object.create(port) as EnginePort & Record<string, unknown>;
  Object.defineProperty(wrapped, 'containers', { value: wrap('containers', port.containers) });
  Object.defineProperty(wrapped, 'exec', { value: wrap('exec', port.exec) });
  return { port: wrapped, calls };
}

const progress = new ProgressTracker(quietReporter, () => 0);

/** Creates the project's containers through the planner (as `create` does) and starts them; service → id. */
async function startServices(fake: FakeEngine, model: Project): Promise<Record<string, string>> {
  await createServices({ port: fake, project: model, progress }, []);
  const ids: Record<string, string> = {};
  for (const c of await fake.containers.list({ all: true })) {
    await fake.containers.start(c.Id);
    ids[c.Labels['com.docker.compose.service']] = c.Id;
  }
  return ids;
}

async function stack(): Promise<{ fake: FakeEngine; target: ProjectTarget; calls: string[]; ids: Record<string, string> }> {
  const fake = new FakeEngine({ images: ['busybox:latest'] });
  const model = project();
  const ids = await startServices(fake, model);
  const { port, calls } = spy(fake);
  return { fake, target: { port, name: 'app', model }, calls, ids };
}


describe('lifecycle verbs on the fake engine', () => {
  it('stop: dependents first; -t passes through, else stop_grace_period, else the engine default', async () => {
    const { target, calls, ids } = await stack();
    await stopContainers({ target, progress }, []);
    expect(calls).toEqual([`containers.stop ["${ids.web}",{}]`, `containers.stop ["${ids.db}",{"timeout":3}]`]);
    calls.length = 0;
    await startServicesAgain(target);
    calls.length = 0;
    await stopContainers({ target, progress }, ['db'], 1);
    expect(calls).toEqual([`containers.stop ["${ids.db}",{"timeout":1}]`]);
  });

  it('restart takes the dependents along unless --no-deps; kill -s passes the signal', async () => {
    const { target, calls, ids } = await stack();
    await restartContainers({ target, progress }, ['db'], 2);
    expect(calls).toEqual([`containers.restart ["${ids.db}",{"timeout":2}]`, `containers.restart ["${ids.web}",{"timeout":2}]`]);
    calls.length = 0;
    await restartContainers({ target, progress }, ['db'], undefined, true);
    expect(calls).toEqual([`containers.restart ["${ids.db}",{"timeout":3}]`]);
    calls.length = 0;
    await killContainers({ target, progress }, ['web'], 'SIGHUP');
    expect(calls).toEqual([`containers.kill ["${ids.web}","SIGHUP"]`]);
  });

  it('rm removes stopped containers only; -s stops first; -v asks for anonymous volumes; without -f it asks', async () => {
    const { target, calls, ids, fake } = await stack();
    fake.exit(ids.db, 0);
    const asked: string[][] = [];
    const removed = await removeContainers({ target, progress }, [], { force: false, stop: false, volumes: true, confirm: async (names) => (asked.push(names), true) });
    expect(asked).toEqual([['app-db-1']]);
    expect(removed).toEqual(['app-db-1']);
    expect(calls).toEqual([`containers.remove ["${ids.db}",{"force":true,"volumes":true}]`]);
    calls.length = 0;
    expect(await removeContainers({ target, progress }, [], { force: false, stop: false, volumes: false, confirm: async () => true })).toEqual([]);
    await removeContainers({ target, progress }, [], { force: true, stop: true, volumes: false, confirm: async () => false });
    expect(calls).toEqual([`containers.stop ["${ids.web}",{}]`, `containers.remove ["${ids.web}",{"force":true,"volumes":false}]`]);
  });

  it('exec: the create body carries -e/-u/-w and no TTY; the exit code comes from inspect; a stopped service is an error', async () => {
    const { target, calls, ids, fake } = await stack();
    const out: string[] = [];
    const code = await execInService(target, 'web', ['ls', '-la'], { env: ['X=1'], user: 'app', workdir: '/srv' }, { stdout: (d) => out.push(d.toString()), stderr: () => undefined });
    expect(code).toBe(0);
    expect(calls[0]).toBe(`exec.create ["${ids.web}",{"Cmd":["ls","-la"],"AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"Env":["X=1"],"User":"app","WorkingDir":"/srv"}]`);
    expect(calls[1]).toMatch(/^exec\.start \["[0-9a-f]+",\{"detach":false,"tty":false\}\]$/);
    fake.exit(ids.web, 0);
    await expect(execInService(target, 'web', ['true'], {}, { stdout: () => undefined, stderr: () => undefined })).rejects.toThrow('service "web" is not running');
    await expect(execInService(target, 'nope', ['true'], {}, { stdout: () => undefined, stderr: () => undefined })).rejects.toThrow('no such service: nope');
  });
});

async function startServicesAgain(target: ProjectTarget): Promise<void> {
  for (const c of await target.port.containers.list({ all: true })) await target.port.containers.start(c.Id);
}

describe('run: the one-off container', () => {
  it('is the service with the command line overrides, one-off labels, no restart policy and no published ports', () => {
    const p = project();
    const { name, body } = oneOffBody(p, 'web', ['sh', '-c', 'echo hi'], { env: ['B=3', 'C=4'], workdir: '/w', user: '1000', labels: ['x=y'], stdin: undefined }, 'ab'.repeat(32));
    expect(name).toBe('app-web-run-abababababab');
    expect(body.Cmd).toEqual(['sh', '-c', 'echo hi']);
    expect(body.Env).toEqual(['A=1', 'B=3', 'C=4']);
    expect(body.WorkingDir).toBe('/w');
    expect(body.User).toBe('1000');
    expect(body.Labels).toMatchObject({ 'com.docker.compose.oneoff': 'True', 'com.docker.compose.service': 'web', 'com.docker.compose.project': 'app', 'com.docker.compose.slug': 'ab'.repeat(32), x: 'y' });
    expect(body.HostConfig?.RestartPolicy).toEqual({ Name: 'no' });
    expect(body.HostConfig?.PortBindings).toBeUndefined();
    expect(body.OpenStdin).toBe(false);
    expect(body.AttachStdout).toBe(true);
  });

  it('--service-ports keeps the service ports, -p adds some, --entrypoint is split like a shell, -d attaches nothing', () => {
    const p = project();
    const { body } = oneOffBody(p, 'web', [], { servicePorts: true, publish: ['127.0.0.1:9000:90/udp'], entrypoint: 'sh -c "echo a b"', detach: true, name: 'mine' }, 'cd'.repeat(32));
    expect(body.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '90/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }] });
    expect(body.Entrypoint).toEqual(['sh', '-c', 'echo a b']);
    expect(body.Cmd).toEqual([]);
    expect(body.AttachStdout).toBe(false);
    expect(parsePublish('3000')).toEqual({ key: '3000/tcp', binding: { HostIp: '', HostPort: '' } });
    expect(() => parsePublish('a:b')).toThrow(/container port must be a number/);
  });
});

describe('logs and views', () => {
  const c = (name: string, service: string): ObservedContainer => ({ id: name, name, service }) as ObservedContainer;

  it('prefixes whole lines with the padded container name, holding a partial line until its end', () => {
    let out = '';
    const web = c('app-web-1', 'web');
    const db = c('app-database-1', 'database');
    const p = logPrinter([web, db], (t) => (out += t), {});
    p.write(web, Buffer.from('one\ntw'));
    p.write(db, Buffer.from('x\n'));
    p.write(web, Buffer.from('o\n'));
    p.write(web, Buffer.from('tail'));
    p.end(web);
    expect(out).toBe('app-web-1       | one\napp-database-1  | x\napp-web-1       | two\napp-web-1       | tail\n');
    let coloured = '';
    logPrinter([web, db], (t) => (coloured += t), { colour: true }).write(db, Buffer.from('y\n'));
    expect(coloured).toBe('\x1b[36mapp-database-1  | \x1b[0my\n');
    let bare = '';
    logPrinter([web], (t) => (bare += t), { noPrefix: true }).write(web, Buffer.from('z\n'));
    expect(bare).toBe('z\n');
  });

  it('--since/--until take times, Unix seconds and durations ago; --tail a number or all', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(parseLogTime('2024-05-01T11:00:00Z', now, '--since')).toBe(now / 1000 - 3600);
    expect(parseLogTime('1700000000', now, '--since')).toBe(1700000000);
    expect(parseLogTime('1h30m', now, '--since')).toBe(now / 1000 - 5400);
    expect(parseLogTime('45s', now, '--until')).toBe(now / 1000 - 45);
    expect(() => parseLogTime('yesterday', now, '--since')).toThrow(/--since: "yesterday"/);
    expect(parseTail('all')).toBeUndefined();
    expect(parseTail('5')).toBe(5);
    expect(() => parseTail('x')).toThrow(/--tail/);
  });

  it('ls groups containers by project, counting states; tables pad like tabwriter', async () => {
    const fake = new FakeEngine({ images: ['busybox:latest'] });
    const ids = await startServices(fake, project());
    fake.exit(ids.db, 1);
    expect(formatProjects(await listProjects(fake, {}))).toMatch(/^NAME   STATUS                  CONFIG FILES\napp    exited\(1\), running\(1\)\s*/);
    fake.exit(ids.web, 0);
    expect(await listProjects(fake, {})).toEqual([]);
    expect((await listProjects(fake, { all: true }))[0]).toMatchObject({ Name: 'app', Status: 'exited(2)' });
    expect(table([['A', 'BB'], ['ccc', 'd']])).toBe('A     BB\nccc   d\n');
  });
});

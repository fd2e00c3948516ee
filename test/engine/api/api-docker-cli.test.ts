// The real `docker` CLI (client only) against berth's API server over a fake backend: what a
// user types, and what they see.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerCli, requirePrereq } from '../../support/gates.js';
import { docker, startFakeEngine, type FakeEngine } from './api-harness.js';

const skip = requirePrereq('docker CLI against the berth API server', dockerCli());

describe.skipIf(skip)('docker CLI against the berth API server', () => {
  let engine: FakeEngine;
  beforeEach(async () => {
    engine = await startFakeEngine();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('docker version: the client negotiates down to the server API version', async () => {
    const r = await docker(engine, ['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // A newer client negotiates down to the server's 1.43; Debian's 20.10 client speaks 1.41, below it.
    expect(r.stdout).toMatch(/Client:[^]*?\n API version:\s+(1\.43 \(downgraded from 1\.\d+\)|1\.41)\n/);
    expect(r.stdout).toMatch(/Server: berth engine\n Engine:\n  Version:\s+0\.1\.0-fake\n  API version:\s+1\.43 \(minimum version 1\.24\)/);
    expect(r.stdout).toMatch(/OS\/Arch:\s+linux\/amd64\n  Experimental:\s+false/);
  });

  it('docker info prints the engine summary', async () => {
    await docker(engine, ['create', '--name', 'aa', 'busybox', 'true']);
    const r = await docker(engine, ['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Containers: 1\n  Running: 0\n  Paused: 0\n  Stopped: 1\n Images: 1\n Server Version: 0\.1\.0-fake/);
    expect(r.stdout).toContain('Storage Driver: overlay');
    expect(r.stdout).toContain(' Swarm: inactive\n');
    const f = await docker(engine, ['info', '--format', '{{.Name}} {{.NCPU}} {{.OperatingSystem}}']);
    expect(f.stdout).toBe('fakehost 2 berth fake engine\n');
  });

  it('docker ps -a lists containers; --filter reaches the backend', async () => {
    await docker(engine, ['create', '--name', 'web', '--label', 'tier=front', 'busybox', 'sh', '-c', 'sleep']);
    await docker(engine, ['start', 'web']);
    await docker(engine, ['create', '--name', 'job', 'busybox', 'true']);
    const all = await docker(engine, ['ps', '-a', '--format', '{{.Names}} {{.State}} {{.Image}} {{.Command}}']);
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n').filter(Boolean).sort()).toEqual(['job created busybox "true"', 'web running busybox "sh -c sleep"']);
    const running = await docker(engine, ['ps', '--format', '{{.Names}}']);
    expect(running.stdout).toBe('web\n');
    const filtered = await docker(engine, ['ps', '-a', '--filter', 'label=tier=front', '-q']);
    expect(filtered.stdout.trim()).toHaveLength(12);
    expect(engine.fake.callsTo('containers.list').at(-1)?.args[0]).toMatchObject({ all: true, filters: { label: ['tier=front'] } });
    const table = await docker(engine, ['ps', '-a']);
    expect(table.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  });

  it('docker inspect shows the container, and names a missing object', async () => {
    await docker(engine, ['create', '--name', 'web', '-e', 'A=1', 'busybox', 'sh', '-c', 'sleep']);
    const r = await docker(engine, ['inspect', 'web']);
    expect(r.code).toBe(0);
    const [doc] = JSON.parse(r.stdout) as { Name: string; Config: { Env: string[]; Image: string }; State: { Status: string } }[];
    expect(doc).toMatchObject({ Name: '/web', Config: { Env: ['A=1'], Image: 'busybox' }, State: { Status: 'created' } });
    const f = await docker(engine, ['inspect', '--format', '{{.State.Status}} {{.Path}} {{join .Args ","}}', 'web']);
    expect(f.stdout).toBe('created sh -c,sleep\n');
    const missing = await docker(engine, ['inspect', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No such object: nope');
  });

  it('docker logs splits stdout and stderr, honours --tail and -t', async () => {
    const run = await docker(engine, ['run', '--name', 'job', 'busybox', 'sh', '-c', 'echo one; echo two >&2; echo three']);
    expect(run).toEqual({ code: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
    const logs = await docker(engine, ['logs', 'job']);
    expect(logs).toEqual({ code: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
    const tail = await docker(engine, ['logs', '--tail', '1', '-t', 'job']);
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);
    const missing = await docker(engine, ['logs', 'nope']);
    expect(missing.code).toBe(1);
    // The 20.10 CLI prints a 404 as "Error: …", later ones as "Error response from daemon: …".
    expect(missing.stderr).toMatch(/^Error( response from daemon)?: No such container: nope\n$/);
  });

  it('docker run --rm: create → attach → wait(removed) → start, output and exit code passed through', async () => {
    const r = await docker(engine, ['run', '--rm', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    expect(r).toEqual({ code: 3, stdout: 'hello\n', stderr: 'oops\n' });
    const order = engine.fake.calls.map((c) => c.method).filter((m) => m.startsWith('containers.'));
    expect(order).toEqual(['containers.create', 'containers.attach', 'containers.wait', 'containers.start']);
    expect(engine.fake.callsTo('containers.wait')[0].args[1]).toBe('removed');
    expect(engine.fake.callsTo('containers.create')[0].args[0]).toMatchObject({ HostConfig: { AutoRemove: true } });
    expect(engine.fake.containers.size).toBe(0);
  });

  it('docker run -i feeds stdin through the attach connection and ends it on EOF', async () => {
    const r = await docker(engine, ['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; exit 2'], 'typed input\n');
    expect(r).toEqual({ code: 2, stdout: 'typed input\n', stderr: '' });
    expect(engine.fake.callsTo('containers.attach')[0].args[1]).toMatchObject({ stdin: true, stdout: true, stderr: true, stream: true });
  });

  it('docker run of a missing image reports the daemon errors', async () => {
    // The fake backend's registry has no image with "missing" in its name.
    const r = await docker(engine, ['run', '--rm', 'missing', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("Unable to find image 'missing:latest' locally");
    expect(r.stderr).toMatch(/Error response from daemon: manifest for (docker\.io\/library\/)?missing not found: manifest unknown/);
  });

  it('docker exec -i passes stdin through and returns the exit code', async () => {
    await docker(engine, ['run', '-d', '--name', 'box', 'busybox', 'sh', '-c', 'sleep']);
    const r = await docker(engine, ['exec', '-i', 'box', 'sh', '-c', 'echo begin; cat; echo bye >&2; exit 5'], 'line 1\nline 2\n');
    expect(r).toEqual({ code: 5, stdout: 'begin\nline 1\nline 2\n', stderr: 'bye\n' });
    expect(engine.fake.callsTo('exec.create')[0].args[1]).toMatchObject({ AttachStdin: true, Cmd: ['sh', '-c', 'echo begin; cat; echo bye >&2; exit 5'] });
    const stopped = await docker(engine, ['exec', 'nope', 'true']);
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toContain('No such container: nope');
  });

  it('docker rm of a running container is a conflict; -f removes it', async () => {
    await docker(engine, ['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'sleep']);
    const r = await docker(engine, ['rm', 'web']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error response from daemon: cannot remove container "/web": container is running');
    expect(await docker(engine, ['rm', '-f', 'web'])).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
  });

  it('docker import - then docker images', async () => {
    const r = await docker(engine, ['import', '--change', 'CMD ["sh"]', '-', 'mine:1.0'], 'pretend rootfs tarball');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(engine.fake.callsTo('images.import')[0].args[0]).toMatchObject({ repo: 'mine:1.0', changes: ['CMD ["sh"]'] });
    const images = await docker(engine, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    expect(images.stdout.split('\n').filter(Boolean).sort()).toEqual([
      expect.stringMatching(/^busybox:latest [0-9a-f]{12}$/),
      `mine:1.0 ${r.stdout.slice(7, 19)}`,
    ]);
  });

  it('docker load prints what it loaded; docker save streams the tarball', async () => {
    const load = await docker(engine, ['load'], 'app');
    expect(load).toEqual({ code: 0, stdout: 'Loaded image: app:latest\n', stderr: '' });
    const save = await docker(engine, ['save', 'app', 'busybox']);
    expect(save).toEqual({ code: 0, stdout: 'tar of app,busybox', stderr: '' });
    const broken = await docker(engine, ['load'], 'broken');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('unexpected EOF in layer 2');
  });

  it('docker events --since/--until replays what happened in the window', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await docker(engine, ['create', '--name', 'web', 'busybox', 'true']);
    await docker(engine, ['rm', 'web']);
    const until = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, 1100));
    const r = await docker(engine, ['events', '--since', String(since), '--until', String(until), '--filter', 'type=container']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z container create [0-9a-f]{64} \(image=busybox, name=web\)$/);
    expect(lines[1]).toMatch(/ container destroy [0-9a-f]{64} \(image=busybox, name=web\)$/);
    expect(engine.fake.callsTo('system.events')[0].args[0]).toMatchObject({ filters: { type: ['container'] } });
  });

  it('docker cp from a container reads the archive and its path stat header', async () => {
    await docker(engine, ['create', '--name', 'web', 'busybox', 'true']);
    const r = await docker(engine, ['cp', 'web:/etc/hostname', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('fake tar of /etc/hostname');
    const missing = await docker(engine, ['cp', 'web:/nope', '-']);
    expect(missing.code).toBe(1);
    // Later CLIs print the daemon's message; the 20.10 CLI its own for a 404 on the path.
    expect(missing.stderr).toMatch(/Could not find the file \/nope in container web|No such container:path: web:\/nope/);
  });
});

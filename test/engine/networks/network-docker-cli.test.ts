// The real `docker` CLI against the built-in engine's networks: `network create/ls/inspect/
// connect/disconnect/rm/prune`, `run --network … --network-alias`, `run -p` and `docker port`, each
// step checked by what the user sees and by real packets (nc from a container, HTTP from the host).

import { describe, expect, it } from 'vitest';
import { runDockerCli, type CliResult } from '../helpers/docker-cli.js';
import { dockerCli, engineHost, requirePrereq } from '../../support/gates.js';
import { type TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';
import { httpGet, httpGetWhenUp } from '../../support/http.js';

const skip = requirePrereq('docker CLI networks against the built-in engine', [...engineHost(), dockerCli()]);

describe.skipIf(skip)('docker CLI: networks and published ports on the built-in engine', () => {
  let engine: TestEngine;
  const sfx = `${process.pid}`;
  const net = `cli-net-${sfx}`;
  const other = `cli-other-${sfx}`;

  const docker = (args: string[]): Promise<CliResult> => runDockerCli(engine, args);

  useTestEngine('ncli', (e) => {
    engine = e;
  });

  it('network create, ls, inspect, connect with an alias, disconnect, rm (refused while in use), prune', async () => {
    const created = await docker(['network', 'create', '--label', 'team=cli', net]);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await docker(['network', 'create', net])).code).not.toBe(0);
    expect((await docker(['network', 'create', '--internal', other])).code).toBe(0);

    const ls = await docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    expect(ls.stdout.split('\n')).toEqual(expect.arrayContaining(['bridge bridge local', 'host host local', 'none null local', `${net} bridge local`, `${other} bridge local`]));
    const filtered = await docker(['network', 'ls', '-q', '--filter', 'label=team=cli']);
    expect(filtered.stdout.trim()).toHaveLength(12);

    const subnet = await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}}', net]);
    expect(subnet.stdout).toMatch(/^\d+\.\d+\.\d+\.0\/24 \d+\.\d+\.\d+\.1 false\n$/);

    expect((await docker(['run', '-d', '--name', `srv-${sfx}`, '--network', net, '--network-alias', 'backend', 'busybox', 'sh', '-c', 'echo hi > /index.html; exec httpd -f -p 80 -h /'])).code).toBe(0);
    expect((await docker(['run', '-d', '--name', `cli-${sfx}`, '--network', other, 'busybox', 'sleep', '60'])).code).toBe(0);
    const ip = (await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, `srv-${sfx}`])).stdout.trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const members = await docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', net]);
    expect(members.stdout.trim()).toBe(`srv-${sfx} ${ip}/24`);

    // On the internal network alone, the client neither resolves nor reaches the server.
    const fetch = ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 backend 80 | tail -n 1`];
    expect((await docker(['exec', `cli-${sfx}`, ...fetch])).stdout).not.toContain('hi');
    expect((await docker(['network', 'connect', '--alias', 'front', net, `cli-${sfx}`])).code).toBe(0);
    const after = await docker(['exec', `cli-${sfx}`, ...fetch]);
    expect(after.stdout).toBe('hi\n');
    const lookup = await docker(['exec', `srv-${sfx}`, 'nslookup', 'front']);
    expect(lookup.code).toBe(0);
    const nets = await docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', `cli-${sfx}`]);
    expect(nets.stdout.trim().split(' ').sort()).toEqual([net, other].sort());

    const busy = await docker(['network', 'rm', net]);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/active endpoints/);
    expect((await docker(['network', 'disconnect', net, `cli-${sfx}`])).code).toBe(0);
    expect((await docker(['exec', `cli-${sfx}`, ...fetch])).stdout).not.toContain('hi');

    expect((await docker(['rm', '-f', `srv-${sfx}`, `cli-${sfx}`])).code).toBe(0);
    expect(await docker(['network', 'rm', net])).toMatchObject({ code: 0, stdout: `${net}\n` });
    const pruned = await docker(['network', 'prune', '-f']);
    expect(pruned.stdout).toContain(other);
    expect((await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['bridge', 'host', 'none']);
    expect((await docker(['network', 'rm', 'bridge'])).code).not.toBe(0);
  }, 90_000);

  it('run -p 127.0.0.1::80 picks a free port that `docker port` and ps report and the host reaches', async () => {
    const run = await docker(['run', '-d', '--name', `web-${sfx}`, '-p', '127.0.0.1::80', '-p', '127.0.0.1::81/udp', 'busybox', 'sh', '-c', 'echo published > /index.html; exec httpd -f -p 80 -h /']);
    expect(run.code).toBe(0);
    const port = await docker(['port', `web-${sfx}`, '80/tcp']);
    expect(port.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    const hostPort = Number(port.stdout.trim().split(':')[1]);
    const all = await docker(['port', `web-${sfx}`]);
    expect(all.stdout).toContain(`80/tcp -> 127.0.0.1:${hostPort}`);
    expect(all.stdout).toMatch(/81\/udp -> 127\.0\.0\.1:\d+/);
    const ps = await docker(['ps', '--format', '{{.Ports}}', '--filter', `name=web-${sfx}`]);
    expect(ps.stdout).toContain(`127.0.0.1:${hostPort}->80/tcp`);
    const body = await httpGetWhenUp(hostPort);
    expect(body).toBe('published\n');

    const clash = await docker(['run', '-d', '--name', `clash-${sfx}`, '-p', `127.0.0.1:${hostPort}:80`, 'busybox', 'sleep', '5']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/already allocated/);
    expect((await docker(['rm', '-f', `web-${sfx}`, `clash-${sfx}`])).code).toBe(0);
    await expect(httpGet(hostPort)).rejects.toThrow();
  }, 60_000);
});

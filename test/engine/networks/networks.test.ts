// Built-in engine networking with real packets: bridge networks with per-network name resolution
// by the embedded DNS server, isolation between networks, published ports answered on 127.0.0.1,
// pod members sharing a sandbox's namespaces, and ports that survive a daemon restart. Every
// kernel object is checked to be gone at the end (the harness's leftovers: links, netns, listeners).

import { writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import Docker from 'dockerode';
import { execIn } from '../../support/streams.js';
import { describe, expect, it } from 'vitest';
import { engineHost, requirePrereq } from '../../support/gates.js';
import { type TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';
import { httpGet, httpGetWhenUp } from '../../support/http.js';

const skip = requirePrereq('engine networks', engineHost());

// Debian's busybox-static wget crashes once connected; HTTP from inside containers goes through nc.
// The body is what follows the header block; `sed` drops the headers, so stdout is the page alone.
const get = (hostPort: string, timeout: number): string[] => {
  const [host, port = '80'] = hostPort.split(':');
  return ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w ${timeout} ${host} ${port} | tr -d '\\r' | sed '1,/^$/d' | grep .`];
};

const HTTPD = (text: string, port = 80): string[] => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p ${port} -h /www`];

describe.skipIf(skip)('built-in engine networks', () => {
  let engine: TestEngine;
  let docker: Docker;
  const suffix = `${process.pid}-${Date.now() % 100000}`;

  async function exec(container: Docker.Container, cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return execIn(docker, container, cmd);
  }

  async function run(opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const c = await docker.createContainer({ Image: 'busybox', ...opts });
    await c.start();
    return c;
  }

  /** Retries a command until it succeeds (a server in a fresh container needs a moment to listen). */
  async function eventually(container: Docker.Container, cmd: string[], tries = 40): Promise<{ code: number; stdout: string; stderr: string }> {
    let last = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < tries; i++) {
      last = await exec(container, cmd);
      if (last.code === 0) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  }

  useTestEngine('net', (e) => {
    engine = e;
    docker = new Docker({ socketPath: engine.socketPath });
  });

  it('creates, lists, inspects and refuses duplicate names; a subnet the host does not route; network events', async () => {
    const since = Math.floor(Date.now() / 1000);
    const net = await docker.createNetwork({ Name: `n-basic-${suffix}`, Labels: { 'x.test': 'basic' } });
    const info = await net.inspect();
    expect(info).toMatchObject({ Name: `n-basic-${suffix}`, Driver: 'bridge', Scope: 'local', Internal: false, Labels: { 'x.test': 'basic' } });
    const subnet = info.IPAM?.Config?.[0]?.Subnet ?? "";
    expect(subnet).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    const dup = await docker.createNetwork({ Name: `n-basic-${suffix}` }).catch((e: { statusCode: number }) => e);
    expect((dup as { statusCode: number }).statusCode).toBe(409);
    const names = (await docker.listNetworks()).map((n) => n.Name);
    expect(names).toEqual(expect.arrayContaining(['bridge', 'host', 'none', `n-basic-${suffix}`]));
    const byLabel = await docker.listNetworks({ filters: JSON.stringify({ label: ['x.test=basic'] }) });
    expect(byLabel.map((n) => n.Name)).toEqual([`n-basic-${suffix}`]);
    const custom = await docker.listNetworks({ filters: JSON.stringify({ type: ['custom'] }) });
    expect(custom.map((n) => n.Name)).toEqual([`n-basic-${suffix}`]);
    await net.remove();
    const gone = await docker.getNetwork(`n-basic-${suffix}`).inspect().catch((e: { statusCode: number }) => e);
    expect((gone as { statusCode: number }).statusCode).toBe(404);
    const stream = await docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['network'] } });
    let text = '';
    for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
    const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
    expect(events.filter((e) => e.Actor.Attributes.name === `n-basic-${suffix}`).map((e) => e.Action)).toEqual(['create', 'destroy']);
    // The route of the bridge went with the network.
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync('ip', ['-4', 'route', 'show', subnet], { encoding: 'utf8' })).toBe('');
  });

  it('resolves containers by name, alias and a shared alias (compose service replicas together), refuses outside names', async () => {
    const net = await docker.createNetwork({ Name: `n-dns-${suffix}` });
    const netName = `n-dns-${suffix}`;
    const web1 = await run({
      name: `web1-${suffix}`,
      Cmd: HTTPD('one'),
      // Compose gives every replica its service name as an alias; the engine knows no compose label.
      Labels: { 'com.docker.compose.service': 'websvc' },
      HostConfig: { NetworkMode: netName },
      NetworkingConfig: { EndpointsConfig: { [netName]: { Aliases: ['websvc', 'api'] } } },
    });
    const web2 = await run({
      name: `web2-${suffix}`,
      Cmd: HTTPD('two'),
      Labels: { 'com.docker.compose.service': 'websvc' },
      HostConfig: { NetworkMode: netName },
      NetworkingConfig: { EndpointsConfig: { [netName]: { Aliases: ['websvc'] } } },
    });
    const unaliased = await run({ name: `web3-${suffix}`, Cmd: ['sleep', '60'], Labels: { 'com.docker.compose.service': 'othersvc' }, HostConfig: { NetworkMode: netName } });
    const client = await run({ name: `client-${suffix}`, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: netName, Links: [`web1-${suffix}:db`], ExtraHosts: ['host.docker.internal:host-gateway'] } });
    const ip1 = (await web1.inspect()).NetworkSettings.Networks[netName].IPAddress;
    const ip2 = (await web2.inspect()).NetworkSettings.Networks[netName].IPAddress;
    expect(ip1).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ip1).not.toBe(ip2);

    const byName = await exec(client, ['nslookup', `web1-${suffix}`]);
    expect(byName.stdout).toContain(ip1);
    const byAlias = await eventually(client, get('api', 3));
    expect(byAlias.stdout).toBe('one\n');
    // A link is the client's own name for web1.
    expect((await exec(client, ['nslookup', 'db'])).stdout).toContain(ip1);
    expect((await exec(web2, ['nslookup', 'db'])).code).not.toBe(0);
    const service = await exec(client, ['nslookup', 'websvc']);
    expect(service.stdout).toContain(ip1);
    expect(service.stdout).toContain(ip2);
    // A compose label alone names nothing, as on dockerd.
    expect((await exec(client, ['nslookup', 'othersvc'])).code).not.toBe(0);
    const outside = await exec(client, ['nslookup', 'example.com']);
    expect(outside.code).not.toBe(0);
    expect(`${outside.stdout}${outside.stderr}`).toMatch(/NXDOMAIN|can't find|REFUSED/i);
    // /etc/hosts carries the peers too (the fallback for programs that skip DNS).
    const hosts = await exec(client, ['cat', '/etc/hosts']);
    expect(hosts.stdout).toMatch(new RegExp(`${ip1.replace(/\./g, '\\.')}\\s.*web1-${suffix}`));
    const gateway = (await net.inspect()).IPAM?.Config?.[0]?.Gateway;
    const resolv = await exec(client, ['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).toContain(`nameserver ${gateway}`);
    expect(hosts.stdout).toContain(`${gateway}\thost.docker.internal`);

    for (const c of [web1, web2, unaliased, client]) await c.remove({ force: true });
    await net.remove();
  }, 60_000);

  it('isolates networks: a container on B reaches neither the names nor the addresses of A', async () => {
    const a = `n-a-${suffix}`;
    const b = `n-b-${suffix}`;
    await docker.createNetwork({ Name: a });
    await docker.createNetwork({ Name: b });
    const server = await run({ name: `srv-${suffix}`, Cmd: HTTPD('secret'), HostConfig: { NetworkMode: a } });
    const friend = await run({ name: `friend-${suffix}`, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: a } });
    const stranger = await run({ name: `stranger-${suffix}`, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: b } });
    const ip = (await server.inspect()).NetworkSettings.Networks[a].IPAddress;
    // The positive control on the same network proves the server answers.
    expect((await eventually(friend, get(`${ip}`, 3))).stdout).toBe('secret\n');
    const byIp = await exec(stranger, get(`${ip}`, 2));
    expect(byIp.code).not.toBe(0);
    expect(byIp.stdout).toBe('');
    const byName = await exec(stranger, ['nslookup', `srv-${suffix}`]);
    expect(byName.stdout).not.toContain(ip);
    // Even with forwarding turned back on for both bridges (what a global ip_forward=1 does to
    // every interface), the policy rules keep B's traffic from being routed to A.
    const bridges = await Promise.all([a, b].map(async (n) => (await docker.getNetwork(n).inspect()).Options?.['com.docker.network.bridge.name'] as string));
    for (const br of bridges) writeFileSync(`/proc/sys/net/ipv4/conf/${br}/forwarding`, '1');
    try {
      expect((await exec(stranger, get(`${ip}`, 2))).code).not.toBe(0);
    } finally {
      for (const br of bridges) writeFileSync(`/proc/sys/net/ipv4/conf/${br}/forwarding`, '0');
    }

    // Connecting the stranger to A opens the way (eth1, no second default route); disconnecting closes it.
    await docker.getNetwork(a).connect({ Container: `stranger-${suffix}`, EndpointConfig: { Aliases: ['guest'] } });
    const links = await exec(stranger, ['ip', '-o', 'addr']);
    expect(links.stdout).toMatch(/eth1/);
    expect((await eventually(stranger, get(`srv-${suffix}`, 3))).stdout).toBe('secret\n');
    expect((await exec(friend, ['nslookup', 'guest'])).code).toBe(0);
    const del = await docker.getNetwork(a).remove().catch((e: { statusCode: number }) => e);
    expect((del as { statusCode: number }).statusCode).toBe(403);
    await docker.getNetwork(a).disconnect({ Container: `stranger-${suffix}` });
    expect((await exec(stranger, get(`${ip}`, 2))).code).not.toBe(0);

    for (const c of [server, friend, stranger]) await c.remove({ force: true });
    await docker.getNetwork(a).remove();
    await docker.getNetwork(b).remove();
  }, 60_000);

  it('publishes TCP and UDP ports on 127.0.0.1 (chosen and free ones), refuses a taken one, keeps them over a daemon restart', async () => {
    const web = await run({
      name: `pub-${suffix}`,
      Cmd: HTTPD('published'),
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    const ports = (await web.inspect()).NetworkSettings.Ports as Record<string, { HostIp: string; HostPort: string }[]>;
    expect(ports['80/tcp'][0].HostIp).toBe('127.0.0.1');
    const hostPort = Number(ports['80/tcp'][0].HostPort);
    expect(hostPort).toBeGreaterThan(0);
    const body = await httpGetWhenUp(hostPort);
    expect(body).toBe('published\n');
    const listed = (await docker.listContainers()).find((c) => c.Names[0] === `/pub-${suffix}`);
    expect(listed?.Ports).toEqual(expect.arrayContaining([{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: hostPort, Type: 'tcp' }]));

    // UDP: busybox has no UDP server, the host image's python3 is one (an echo that prefixes "pong ").
    const udp = await run({
      Image: 'berth/host:latest',
      name: `pub-udp-${suffix}`,
      Cmd: ['python3', '-c', "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',5353))\nwhile True:\n d,a=s.recvfrom(100)\n s.sendto(b'pong '+d,a)"],
      HostConfig: { PortBindings: { '5353/udp': [{ HostIp: '127.0.0.1', HostPort: '0' }] } },
    });
    const udpPort = Number(((await udp.inspect()).NetworkSettings.Ports as Record<string, { HostPort: string }[]>)['5353/udp'][0].HostPort);
    const udpReply = await new Promise<string>((resolve) => {
      const sock = createSocket('udp4');
      const timer = setInterval(() => sock.send('ping', udpPort, '127.0.0.1'), 200);
      const give = setTimeout(() => {
        clearInterval(timer);
        sock.close();
        resolve('');
      }, 8000);
      sock.on('message', (m) => {
        clearInterval(timer);
        clearTimeout(give);
        sock.close();
        resolve(m.toString());
      });
      sock.send('ping', udpPort, '127.0.0.1');
    });
    expect(udpReply).toBe('pong ping');
    await udp.remove({ force: true });

    // A port something else holds: the start fails with a conflict that names it.
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const taken = (holder.address() as { port: number }).port;
    const clash = await docker.createContainer({ Image: 'busybox', name: `clash-${suffix}`, Cmd: ['sleep', '5'], HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(taken) }] } } });
    const err = await clash.start().catch((e: { statusCode: number; message: string }) => e);
    expect((err as { statusCode: number }).statusCode).toBe(409);
    expect((err as { message: string }).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${taken}.*already allocated`));
    await new Promise<void>((r) => holder.close(() => r()));
    await clash.remove({ force: true });

    await engine.restartDaemon();
    docker = new Docker({ socketPath: engine.socketPath });
    const again = (await docker.getContainer(`pub-${suffix}`).inspect()).NetworkSettings.Ports as Record<string, { HostPort: string }[]>;
    expect(Number(again['80/tcp'][0].HostPort)).toBe(hostPort);
    expect(await httpGet(hostPort)).toBe('published\n');
    // The new daemon serves names again too.
    const pubIp = (await docker.getContainer(`pub-${suffix}`).inspect()).NetworkSettings.Networks.bridge.IPAddress;
    expect((await exec(docker.getContainer(`pub-${suffix}`), ['nslookup', `pub-${suffix}`])).stdout).toContain(pubIp);
    await docker.getContainer(`pub-${suffix}`).remove({ force: true });
    await expect(httpGet(hostPort)).rejects.toThrow();
  }, 90_000);

  it('user subnets: IPAM.Config with gateway and range, a fixed address at connect, a subnet the host routes refused', async () => {
    const { execFileSync } = await import('node:child_process');
    // A /24 in 10.200-254/16 that nothing on the host routes now (other tests make bridges too).
    let subnet = '';
    for (let i = 0; i < 50 && subnet === ''; i++) {
      const candidate = `10.${200 + Math.floor(Math.random() * 55)}.${Math.floor(Math.random() * 256)}.0/24`;
      if (execFileSync('ip', ['-4', 'route', 'show', 'match', candidate], { encoding: 'utf8' }).split('\n').every((l) => !l.includes(candidate.slice(0, -5)))) subnet = candidate;
    }
    const base = subnet.slice(0, -4);
    const name = `n-user-${suffix}`;
    await docker.createNetwork({ Name: name, IPAM: { Config: [{ Subnet: subnet, Gateway: `${base}254`, IPRange: `${base}128/25` }] } });
    const info = await docker.getNetwork(name).inspect();
    expect(info.IPAM?.Config).toEqual([{ Subnet: subnet, Gateway: `${base}254`, IPRange: `${base}128/25` }]);
    const c = await run({ name: `fixed-${suffix}`, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: name } });
    expect((await c.inspect()).NetworkSettings.Networks[name]).toMatchObject({ IPAddress: `${base}128`, Gateway: `${base}254`, IPPrefixLen: 24 });
    await docker.getNetwork(name).disconnect({ Container: c.id });
    await docker.getNetwork(name).connect({ Container: c.id, EndpointConfig: { IPAMConfig: { IPv4Address: `${base}77` } } });
    expect((await exec(c, ['ip', '-o', '-4', 'addr'])).stdout).toContain(`${base}77/24`);
    const twice = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: name }, NetworkingConfig: { EndpointsConfig: { [name]: { IPAMConfig: { IPv4Address: `${base}77` } } } } }).catch((e: { statusCode: number }) => e);
    expect((twice as { statusCode: number }).statusCode).toBe(409);
    await c.remove({ force: true });
    await docker.getNetwork(name).remove();

    // The host's own eth0 subnet (or any routed one) cannot be a network's.
    const routed = execFileSync('ip', ['-j', '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' });
    const dst = (JSON.parse(routed) as { dst: string }[]).map((r) => r.dst).find((d) => /\/\d+$/.test(d));
    if (dst) {
      const clash = await docker.createNetwork({ Name: `n-clash-${suffix}`, IPAM: { Config: [{ Subnet: dst }] } }).catch((e: { statusCode: number; message: string }) => e);
      expect((clash as { statusCode: number }).statusCode).toBe(409);
      expect((clash as { message: string }).message).toMatch(/already routed/);
    }
  }, 60_000);

  it('pod members share the sandbox network, IPC and PID namespaces and talk over localhost, across a member restart', async () => {
    const sandbox = await run({ name: `pod-${suffix}`, Cmd: ['sleep', '120'], HostConfig: { IpcMode: 'shareable' } });
    const share = { NetworkMode: `container:pod-${suffix}`, IpcMode: `container:pod-${suffix}`, PidMode: `container:pod-${suffix}` };
    const server = await run({ name: `pod-srv-${suffix}`, Cmd: HTTPD('from-pod', 8080), HostConfig: share });
    const client = await run({ name: `pod-cli-${suffix}`, Cmd: ['sleep', '120'], HostConfig: share });
    expect((await eventually(client, get('127.0.0.1:8080', 3))).stdout).toBe('from-pod\n');
    // One PID namespace: the client sees the sandbox's sleep and the server's httpd.
    const ps = await exec(client, ['ps', '-o', 'comm']);
    expect(ps.stdout).toMatch(/httpd/);
    const podIp = (await sandbox.inspect()).NetworkSettings.Networks.bridge.IPAddress;
    const addr = await exec(client, ['ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(addr.stdout).toContain(podIp);
    await server.restart({ t: 1 });
    expect((await eventually(client, get('127.0.0.1:8080', 3))).stdout).toBe('from-pod\n');
    for (const c of [client, server, sandbox]) await c.remove({ force: true });
  }, 60_000);

  it('leaves no veth, bridge, namespace or listener behind once containers and networks are gone', async () => {
    const n = `n-leak-${suffix}`;
    await docker.createNetwork({ Name: n });
    const c = await run({ name: `leak-${suffix}`, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: n, PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1' }] } } });
    const during = await engine.leftovers();
    expect(during.links).toHaveLength(1); // the veth (bridges of existing networks are not leftovers)
    expect(during.mounts.some((m) => m.includes('/netns/'))).toBe(true);
    await c.remove({ force: true });
    await docker.getNetwork(n).remove();
    const after = await engine.leftovers();
    expect(after.mounts).toEqual([]);
    expect(after.listeners).toEqual([]);
    expect(after.links).toEqual([]);
  }, 60_000);
});

// berth-netns (native/berth-netns.c) through sysnet.ts, against the real kernel: every object it
// makes is read back with iproute2's `ip`, the reference it replaces on the create paths. The
// test's bridges, veths, namespace files and rules are its own and removed at the end.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addEndpoint,
  addProhibitRule,
  createBridge,
  createSandbox,
  deleteLink,
  deleteNetns,
  type EndpointPlan,
  linkExists,
  netnsMounted,
  NetOpError,
  routedSubnets,
} from '../../../src/engine/networks/sysnet.js';
import { BUSYBOX, buildNetns } from '../helpers/engine-env.js';
import { engineHost, requirePrereq } from '../../support/gates.js';

const skip = requirePrereq('berth-netns', engineHost());
const tag = String(process.pid % 100000);
const bridgeA = `brt-nha${tag}`;
const bridgeB = `brt-nhb${tag}`;
const alias = `berth netns-helper-test ${tag}`;
const RULE_PRIORITY = 32001;

interface IpLink {
  ifname: string;
  mtu: number;
  operstate: string;
  flags: string[];
  address: string;
  master?: string;
  ifalias?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

function ip(args: string[], netns?: string): string {
  return netns ? execFileSync('nsenter', [`--net=${netns}`, 'ip', ...args], { encoding: 'utf8' }) : execFileSync('ip', args, { encoding: 'utf8' });
}
// `ip -j addr` has the addresses, `ip -j link` the alias: one record per link from both.
const links = (netns?: string): IpLink[] => {
  const withAlias = new Map((JSON.parse(ip(['-j', 'link', 'show'], netns)) as IpLink[]).map((l) => [l.ifname, l]));
  return (JSON.parse(ip(['-j', 'addr', 'show'], netns)) as IpLink[]).map((l) => ({ ...withAlias.get(l.ifname), ...l }));
};
const link = (name: string, netns?: string): IpLink | undefined => links(netns).find((l) => l.ifname === name);
const ipv4 = (l: IpLink | undefined): string[] => (l?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
const rules = (): string[] =>
  ip(['rule', 'show'])
    .split('\n')
    .filter((r) => r.startsWith(`${RULE_PRIORITY}:`));

describe.skipIf(skip)('berth-netns on the real kernel', () => {
  let dir: string;
  let previousHelper: string | undefined;
  const netnsFiles: string[] = [];
  const hostEnds: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync('/tmp/bnh-');
    previousHelper = process.env.BERTH_NETNS_BINARY;
    process.env.BERTH_NETNS_BINARY = buildNetns(dir);
  });

  afterAll(async () => {
    for (const f of netnsFiles) await deleteNetns(f).catch(() => undefined);
    for (const l of [...hostEnds, bridgeA, bridgeB]) await deleteLink(l).catch(() => undefined);
    for (const r of rules()) if (r.includes(bridgeA)) ip(['rule', 'del', 'priority', String(RULE_PRIORITY), 'iif', bridgeA, 'prohibit']);
    if (previousHelper === undefined) delete process.env.BERTH_NETNS_BINARY;
    else process.env.BERTH_NETNS_BINARY = previousHelper;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const endpoint = (over: Partial<EndpointPlan> & { netns: string; hostIf: string }): EndpointPlan => ({
    bridge: bridgeA,
    ifName: 'eth0',
    address: '198.18.7.2',
    prefix: 24,
    gateway: '198.18.7.1',
    mac: '02:42:c6:12:07:02',
    alias,
    ...over,
  });

  it('makes a bridge with its alias, gateway address and MTU, up, and answers the routes as they are then', async () => {
    const routes = await createBridge({ name: bridgeA, alias, gatewayCidr: '198.18.7.1/24', mtu: 1400 });
    expect(routes).toContainEqual({ dst: '198.18.7.0/24', dev: bridgeA });
    await createBridge({ name: bridgeB, alias, gatewayCidr: '198.18.8.1/24' });
    const a = link(bridgeA);
    expect(a).toMatchObject({ ifname: bridgeA, mtu: 1400, ifalias: alias });
    expect(a?.flags).toContain('UP');
    expect(ipv4(a)).toEqual(['198.18.7.1/24']);
    expect(link(bridgeB)?.mtu).toBe(1500);
    expect(JSON.parse(ip(['-j', '-d', 'link', 'show', bridgeA]))[0].linkinfo.info_kind).toBe('bridge');
  });

  it('lists the bridges’ subnets among the routed ones, and no default route', async () => {
    const routes = await routedSubnets();
    expect(routes).toContainEqual({ dst: '198.18.7.0/24', dev: bridgeA });
    expect(routes).toContainEqual({ dst: '198.18.8.0/24', dev: bridgeB });
    expect(routes.some((r) => r.dst === 'default' || r.dst.startsWith('0.0.0.0/'))).toBe(false);
    // The same set `ip` reports for the main table's link routes.
    const fromIp = (JSON.parse(ip(['-j', '-4', 'route', 'show', 'table', 'main'])) as { dst: string; dev?: string; type?: string }[])
      .filter((r) => r.dst !== 'default' && (r.type === undefined || r.type === 'unicast'))
      .map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, dev: r.dev ?? '' }));
    for (const r of fromIp) expect(routes).toContainEqual(r);
  });

  it('makes a sandbox: loopback up, each endpoint named, addressed and routed inside, its host end on the bridge', async () => {
    const file = path.join(dir, 'ns-pair');
    netnsFiles.push(file);
    hostEnds.push(`vha${tag}`, `vhb${tag}`);
    await createSandbox(file, [
      endpoint({ netns: file, hostIf: `vha${tag}`, mtu: 1400 }),
      endpoint({ netns: file, hostIf: `vhb${tag}`, bridge: bridgeB, ifName: 'eth1', address: '198.18.8.2', gateway: undefined, mac: '02:42:c6:12:08:02' }),
    ]);
    expect(await netnsMounted(file)).toBe(true);
    const inside = links(file);
    expect(inside.map((l) => l.ifname).sort()).toEqual(['eth0', 'eth1', 'lo']);
    expect(link('lo', file)?.flags).toContain('UP');
    expect(link('eth0', file)).toMatchObject({ address: '02:42:c6:12:07:02', mtu: 1400 });
    expect(ipv4(link('eth0', file))).toEqual(['198.18.7.2/24']);
    expect(ipv4(link('eth1', file))).toEqual(['198.18.8.2/24']);
    expect(link('eth1', file)?.flags).toContain('UP');
    const routes = JSON.parse(ip(['-j', 'route', 'show', 'default'], file)) as { gateway: string; dev: string }[];
    expect(routes).toEqual([expect.objectContaining({ gateway: '198.18.7.1', dev: 'eth0' })]);
    expect(link(`vha${tag}`)).toMatchObject({ master: bridgeA, ifalias: alias, mtu: 1400 });
    expect(link(`vhb${tag}`)).toMatchObject({ master: bridgeB, ifalias: alias });
    expect(link(`vhb${tag}`)?.flags).toContain('UP');
    // The pair carries traffic: the sandbox reaches its gateway across the bridge. (A new link's
    // carrier reaches the bridge through the kernel's link watch, up to a second later, more on a
    // loaded machine: ask a few times.)
    const pinged = (): boolean => {
      try {
        execFileSync('nsenter', [`--net=${file}`, BUSYBOX!, 'ping', '-c', '1', '-W', '1', '198.18.7.1'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) reached = pinged();
    expect(reached).toBe(true);
  });

  it('plugs one more endpoint into an existing sandbox', async () => {
    const file = path.join(dir, 'ns-pair');
    hostEnds.push(`vhc${tag}`);
    await addEndpoint(endpoint({ netns: file, hostIf: `vhc${tag}`, ifName: 'eth2', address: '198.18.7.3', gateway: undefined, mac: '02:42:c6:12:07:03' }));
    expect(ipv4(link('eth2', file))).toEqual(['198.18.7.3/24']);
    expect(link(`vhc${tag}`)).toMatchObject({ master: bridgeA, ifalias: alias });
  });

  it('a sandbox with no endpoints is a namespace with loopback up', async () => {
    const file = path.join(dir, 'ns-empty');
    netnsFiles.push(file);
    await createSandbox(file, []);
    expect(links(file).map((l) => l.ifname)).toEqual(['lo']);
    expect(link('lo', file)?.flags).toContain('UP');
  });

  it('adds the prohibit rule once, however many times it is asked', async () => {
    await addProhibitRule(RULE_PRIORITY, bridgeA);
    await addProhibitRule(RULE_PRIORITY, bridgeA);
    await addProhibitRule(RULE_PRIORITY, bridgeA);
    expect(rules()).toEqual([`${RULE_PRIORITY}:\tfrom all iif ${bridgeA} prohibit`]);
  });

  it('a failed sandbox leaves neither a namespace mount nor a host veth, and says what failed', async () => {
    const file = path.join(dir, 'ns-fail');
    netnsFiles.push(file);
    const missing = `brt-nhx${tag}`;
    const failed = await createSandbox(file, [endpoint({ netns: file, hostIf: `vhx${tag}`, bridge: missing })]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(NetOpError);
    expect((failed as Error).message).toContain(missing);
    expect(await netnsMounted(file)).toBe(false);
    expect(await linkExists(`vhx${tag}`)).toBe(false);
  });

  it('a failed plug into an existing sandbox removes its host end', async () => {
    const file = path.join(dir, 'ns-pair');
    const failed = await addEndpoint(endpoint({ netns: file, hostIf: `vhy${tag}`, ifName: 'eth0', address: '198.18.7.9' })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(NetOpError); // eth0 is taken inside
    expect((failed as Error).message).toMatch(/eth0|exists/);
    expect(await linkExists(`vhy${tag}`)).toBe(false);
    expect(ipv4(link('eth0', file))).toEqual(['198.18.7.2/24']);
  });

  it('refuses a field that would split the endpoint line', async () => {
    const file = path.join(dir, 'ns-pair');
    await expect(addEndpoint(endpoint({ netns: file, hostIf: `vhz${tag}`, ifName: 'eth3 x' }))).rejects.toThrow(/invalid network endpoint field "eth3 x"/);
    await expect(addEndpoint(endpoint({ netns: file, hostIf: `vhz${tag}`, alias: 'two\nlines' }))).rejects.toThrow(/alias cannot span lines/);
  });

  it('a bridge whose name is taken fails with the name, and the link already there is left alone', async () => {
    await expect(createBridge({ name: bridgeA, alias, gatewayCidr: '198.18.9.1/24' })).rejects.toThrow(new RegExp(`bridge ${bridgeA}: File exists`));
    expect(ipv4(link(bridgeA))).toEqual(['198.18.7.1/24']);
  });

  it('makes a bridge with its prohibit rule in the same process; a failed one leaves neither', async () => {
    const name = `brt-nhd${tag}`;
    try {
      await createBridge({ name, alias, gatewayCidr: '198.18.11.1/24', prohibitRulePriority: RULE_PRIORITY });
      expect(rules().filter((r) => r.includes(name))).toEqual([`${RULE_PRIORITY}:\tfrom all iif ${name} prohibit`]);
    } finally {
      await deleteLink(name);
      for (const r of rules()) if (r.includes(name)) ip(['rule', 'del', 'priority', String(RULE_PRIORITY), 'iif', name, 'prohibit']);
    }
    // Refused after the link exists (an alias longer than the kernel's 255 bytes): nothing stays.
    await expect(createBridge({ name, alias: 'x'.repeat(300), gatewayCidr: '198.18.11.1/24', prohibitRulePriority: RULE_PRIORITY })).rejects.toThrow(new RegExp(name));
    expect(await linkExists(name)).toBe(false);
    expect(rules().filter((r) => r.includes(name))).toEqual([]);
  });

  it('a bridge that fails part-way is undone', async () => {
    const name = `brt-nhc${tag}`;
    // The link is made, then the alias (longer than the kernel's 255 bytes) is refused.
    await expect(createBridge({ name, alias: 'x'.repeat(300), gatewayCidr: '198.18.10.1/24' })).rejects.toThrow(new RegExp(name));
    expect(await linkExists(name)).toBe(false);
  });

  it('releases a sandbox: its host ends gone at once, every stacked mount and the file removed', async () => {
    const file = path.join(dir, 'ns-release');
    netnsFiles.push(file);
    hostEnds.push(`vhr${tag}`);
    await createSandbox(file, [endpoint({ netns: file, hostIf: `vhr${tag}`, address: '198.18.7.20', mac: '02:42:c6:12:07:14' })]);
    execFileSync('mount', ['--bind', file, file]); // a second mount stacked on the file
    await deleteNetns(file, [`vhr${tag}`, `vhgone${tag}`]);
    expect(await linkExists(`vhr${tag}`)).toBe(false);
    expect(await netnsMounted(file)).toBe(false);
    expect(existsSync(file)).toBe(false);
    await deleteNetns(file, [`vhr${tag}`]); // releasing twice is fine
  });

  it('says how to build the helper when it is missing', async () => {
    const saved = process.env.BERTH_NETNS_BINARY;
    process.env.BERTH_NETNS_BINARY = path.join(dir, 'no-such-helper');
    try {
      await expect(routedSubnets()).rejects.toThrow(/no-such-helper is missing: build it with `sh native\/build.sh`/);
    } finally {
      process.env.BERTH_NETNS_BINARY = saved;
    }
    expect(existsSync(saved!)).toBe(true);
  });
});

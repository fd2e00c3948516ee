// The pure parts of engine networking: IPAM arithmetic and choices, the DNS wire format and
// answers, port binding plans, and the engine's network settings from the environment.

import { describe, expect, it } from 'vitest';
import { answerQuery, buildResponse, parseQuery, TYPE_A, TYPE_AAAA, type DnsResolver } from '../../../src/engine/networks/dns.js';
import { networkSettingsFromEnv } from '../../../src/engine/networks/config.js';
import {
  allocateAddress,
  claimAddress,
  formatCidr,
  formatIp,
  macFor,
  overlaps,
  parseCidr,
  parseIp,
  pickSubnet,
  planSubnet,
} from '../../../src/engine/networks/ipam.js';
import { parsePortKey, planPortRequests } from '../../../src/engine/networks/ports.js';
import { networkListFilter, refusedNetworkOptions } from '../../../src/engine/networks/requests.js';

function query(name: string, type = TYPE_A, id = 0x1234): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const tail = Buffer.from([0, type >> 8, type & 255, 0, 1]);
  return Buffer.concat([header, ...labels, tail]);
}

/** rcode and the A addresses of an answer. */
function decode(msg: Buffer): { id: number; rcode: number; aa: boolean; addresses: string[] } {
  const flags = msg.readUInt16BE(2);
  const an = msg.readUInt16BE(6);
  let off = 12;
  if (msg.readUInt16BE(4) > 0) {
    while (off < msg.length && msg[off] !== 0) off += msg[off] + 1;
    off += 5;
  }
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    const type = msg.readUInt16BE(off + 2);
    const len = msg.readUInt16BE(off + 10);
    if (type === TYPE_A) addresses.push([...msg.subarray(off + 12, off + 12 + len)].join('.'));
    off += 12 + len;
  }
  return { id: msg.readUInt16BE(0), rcode: flags & 0xf, aa: (flags & 0x0400) !== 0, addresses };
}

describe('IPAM', () => {
  it('parses and formats addresses and prefixes, masking host bits', () => {
    expect(formatIp(parseIp('10.1.2.3'))).toBe('10.1.2.3');
    expect(formatCidr(parseCidr('10.1.2.3/24'))).toBe('10.1.2.0/24');
    expect(() => parseIp('10.1.2')).toThrow(/invalid IPv4/);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/invalid CIDR/);
    expect(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.9.0.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24'))).toBe(false);
  });

  it('picks a pool subnet that overlaps no routed one, from a random start, and says when pools are exhausted', () => {
    const pools = [{ base: '10.50.0.0/22', size: 24 }];
    const taken = [parseCidr('10.50.0.0/24'), parseCidr('10.50.2.0/23')];
    expect(formatCidr(pickSubnet(pools, taken, () => 0))).toBe('10.50.1.0/24');
    expect(formatCidr(pickSubnet(pools, taken, () => 0.99))).toBe('10.50.1.0/24');
    expect(formatCidr(pickSubnet(pools, [], () => 0.5))).toBe('10.50.2.0/24');
    expect(() => pickSubnet(pools, [parseCidr('10.50.0.0/16')])).toThrow(/fully subnetted/);
  });

  it('hands out the lowest free address, never network, gateway or broadcast, within IPRange', () => {
    const plan = planSubnet(parseCidr('10.9.0.0/29'));
    expect(formatIp(plan.gateway)).toBe('10.9.0.1');
    const used = new Set<number>();
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ip = allocateAddress(plan, used);
      used.add(ip);
      got.push(formatIp(ip));
    }
    expect(got).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    expect(() => allocateAddress(plan, used)).toThrow(/no available IPv4/);
    const ranged = planSubnet(parseCidr('10.9.0.0/24'), '10.9.0.254', '10.9.0.128/25');
    expect(formatIp(allocateAddress(ranged, new Set()))).toBe('10.9.0.128');
    expect(() => planSubnet(parseCidr('10.9.0.0/24'), '10.8.0.1')).toThrow(/gateway/);
  });

  it('claims a requested address only inside the subnet and when free', () => {
    const plan = planSubnet(parseCidr('10.9.0.0/24'));
    expect(formatIp(claimAddress(plan, '10.9.0.50', new Set()))).toBe('10.9.0.50');
    expect(() => claimAddress(plan, '10.9.1.5', new Set())).toThrow(/does not belong/);
    expect(() => claimAddress(plan, '10.9.0.1', new Set())).toThrow(/reserved/);
    expect(() => claimAddress(plan, '10.9.0.50', new Set([parseIp('10.9.0.50')]))).toThrow(/already in use/);
    expect(macFor(parseIp('172.17.0.2'))).toBe('02:42:ac:11:00:02');
  });
});

describe('embedded DNS answers', () => {
  const resolver: DnsResolver = {
    lookup: (name) => ({ web: ['10.0.0.2', '10.0.0.3'], db: ['10.0.0.4'] })[name],
    reverse: (addr) => (addr === '10.0.0.4' ? 'db.net' : undefined),
  };

  it('parses a query and answers A records for engine names, every replica, authoritative', () => {
    const q = parseQuery(query('Web'));
    expect(q).toMatchObject({ id: 0x1234, name: 'web', type: TYPE_A });
    const a = decode(answerQuery(query('web'), '10.0.0.9', resolver, false)!);
    expect(a).toEqual({ id: 0x1234, rcode: 0, aa: true, addresses: ['10.0.0.2', '10.0.0.3'] });
  });

  it('answers AAAA for a known name with an empty NOERROR, outside names with NXDOMAIN, and relays them when upstream exists', () => {
    expect(decode(answerQuery(query('db', TYPE_AAAA), '10.0.0.9', resolver, false)!)).toMatchObject({ rcode: 0, addresses: [] });
    expect(decode(answerQuery(query('example.com'), '10.0.0.9', resolver, false)!).rcode).toBe(3);
    expect(decode(answerQuery(query('nosuch'), '10.0.0.9', resolver, false)!).rcode).toBe(3);
    expect(answerQuery(query('example.com'), '10.0.0.9', resolver, true)).toBeUndefined();
    expect(answerQuery(query('web'), '10.0.0.9', resolver, true)).toBeDefined();
  });

  it('answers PTR for engine addresses and refuses classes other than IN', () => {
    const ptr = answerQuery(query('4.0.0.10.in-addr.arpa', 12), '10.0.0.9', resolver, false)!;
    expect(ptr.readUInt16BE(6)).toBe(1);
    expect(ptr.toString('latin1')).toContain('db');
    const chaos = query('web');
    chaos.writeUInt16BE(3, chaos.length - 2);
    expect(decode(answerQuery(chaos, '10.0.0.9', resolver, false)!).rcode).toBe(5);
    const q = parseQuery(query('web'))!;
    expect(decode(buildResponse(q, 0, [{ type: TYPE_A, address: '1.2.3.4' }])).addresses).toEqual(['1.2.3.4']);
  });

  it('answers garbage with FORMERR and ignores what is too short to answer', () => {
    const bad = Buffer.from([0, 7, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
    expect(decode(answerQuery(bad, '10.0.0.9', resolver, false)!)).toMatchObject({ id: 7, rcode: 1 });
    expect(answerQuery(Buffer.from([1, 2]), '10.0.0.9', resolver, false)).toBeUndefined();
  });
});

describe('published port plans', () => {
  it('reads port keys with protocol, defaulting to tcp, and refuses others', () => {
    expect(parsePortKey('80')).toEqual({ proto: 'tcp', from: 80, to: 80 });
    expect(parsePortKey('53/udp')).toEqual({ proto: 'udp', from: 53, to: 53 });
    expect(parsePortKey('8000-8002/tcp')).toEqual({ proto: 'tcp', from: 8000, to: 8002 });
    expect(() => parsePortKey('80/sctp')).toThrow(/unsupported protocol/);
  });

  it('expands ranges one to one, keeps a host range for one port, and adds exposed ports for PublishAllPorts', () => {
    const plan = planPortRequests(
      {
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
        '9000-9001/tcp': [{ HostIp: '127.0.0.1', HostPort: '19000-19001' }],
        '53/udp': [{ HostPort: '5300-5310' }],
      },
      true,
      { '80/tcp': {}, '443/tcp': {} },
    );
    expect(plan).toEqual([
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 0 },
      { proto: 'tcp', containerPort: 9000, hostIp: '127.0.0.1', hostPort: 19000 },
      { proto: 'tcp', containerPort: 9001, hostIp: '127.0.0.1', hostPort: 19001 },
      { proto: 'udp', containerPort: 53, hostIp: '', hostPort: 5300, hostPortEnd: 5310 },
      { proto: 'tcp', containerPort: 443, hostIp: '', hostPort: 0 },
    ]);
    expect(() => planPortRequests({ '80-82/tcp': [{ HostPort: '8080-8081' }] }, false, {})).toThrow(/don't match/);
  });
});

describe('engine network settings from the environment', () => {
  it('reads pools, upstream DNS and outbound NAT; absent means the safe defaults', () => {
    expect(networkSettingsFromEnv({})).toEqual({});
    expect(networkSettingsFromEnv({ BERTH_ADDRESS_POOLS: '10.77.0.0/16:24, 10.78.0.0/16:26', BERTH_DNS_UPSTREAM: '192.0.2.53', BERTH_OUTBOUND_NAT: '1' })).toEqual({
      addressPools: [
        { base: '10.77.0.0/16', size: 24 },
        { base: '10.78.0.0/16', size: 26 },
      ],
      dnsUpstream: ['192.0.2.53'],
      outboundNat: true,
    });
    expect(() => networkSettingsFromEnv({ BERTH_ADDRESS_POOLS: '10.77.0.0/16' })).toThrow(/BERTH_ADDRESS_POOLS/);
  });
});

describe('network requests (requests.ts)', () => {
  const rec = (name: string, predefined = false) => ({ id: `${name}0123`, name, created: '', driver: 'bridge' as const, internal: false, attachable: false, labels: { scope: name }, options: {}, ipamOptions: {}, predefined });

  it('filters network ls as moby does and refuses unknown keys and values with its words', () => {
    const keep = (f: Record<string, string[]>, attached = 0) => [rec('bridge', true), rec('confnet'), rec('other')].filter((r) => networkListFilter(f)(r, () => attached)).map((r) => r.name);
    expect(keep({ name: ['conf'] })).toEqual(['confnet']);
    expect(keep({ name: ['^o'] })).toEqual(['other']);
    expect(keep({ type: ['builtin'] })).toEqual(['bridge']);
    expect(keep({ label: ['scope=other'] })).toEqual(['other']);
    expect(keep({ dangling: ['true'] })).toEqual(['confnet', 'other']);
    expect(keep({ dangling: ['1'] }, 1)).toEqual([]);
    expect(() => keep({ bogus: ['1'] })).toThrow("Invalid filter 'bogus'");
    expect(() => keep({ type: ['odd'] })).toThrow("Invalid filter 'type=odd'");
    expect(() => keep({ dangling: ['maybe'] })).toThrow('invalid value for filter \'dangling\'');
  });

  it('refuses by name what the bridges cannot honour, and accepts what they already do', () => {
    expect(refusedNetworkOptions({ Name: 'n', Options: { 'com.docker.network.bridge.enable_icc': 'true' } })).toEqual([]);
    expect(refusedNetworkOptions({ Name: 'n', Options: { 'com.docker.network.driver.mtu': '1400' }, Scope: 'swarm', IPAM: { Driver: 'dhcp' } })).toEqual([
      "Scope swarm: the built-in engine's networks are local",
      'IPAM driver dhcp: only the default IPAM driver is available',
      "driver option com.docker.network.driver.mtu=1400 is not supported by the built-in engine's bridge driver",
    ]);
  });
});

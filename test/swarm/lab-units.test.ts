// The lab's pure parts, without root: subnet choice, the plan of names and addresses, dockerd's
// and the registry's configuration, and the status table.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLabStatus } from '../../src/swarm/lab/format.js';
import { planLab, type LabStatus } from '../../src/swarm/lab/lab.js';
import { dockerdArgs } from '../../src/swarm/lab/node-daemon.js';
import { registryConfig } from '../../src/swarm/lab/registry.js';
import { downLab } from '../../src/swarm/lab/teardown.js';
import { candidateIndexes, cidrsOverlap, labAddressing, LAB_SUBNETS } from '../../src/swarm/lab/subnet.js';

describe('lab subnet', () => {
  it('is a /24 of 198.18.0.0/15 named by its bridge', () => {
    expect(labAddressing(0)).toEqual({ index: 0, subnet: '198.18.0.0/24', bridge: 'berthlab0', prefix: '198.18.0.' });
    expect(labAddressing(LAB_SUBNETS - 1)).toEqual({ index: 511, subnet: '198.19.255.0/24', bridge: 'berthlab511', prefix: '198.19.255.' });
    expect(() => labAddressing(LAB_SUBNETS)).toThrow(RangeError);
  });

  it('skips subnets a route overlaps and bridges another lab holds; a default route claims nothing', () => {
    expect(cidrsOverlap('198.18.0.0/16', '198.18.3.0/24')).toBe(true);
    expect(cidrsOverlap('198.18.3.7/32', '198.18.3.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/8', '198.18.3.0/24')).toBe(false);
    const free = candidateIndexes(['default', '0.0.0.0/0', '198.18.1.0/24', '198.18.2.128/25', '172.17.0.0/16'], ['eth0', 'berthlab0']);
    expect(free.slice(0, 3)).toEqual([3, 4, 5]);
    expect(candidateIndexes(['198.18.0.0/15'], [])).toEqual([]);
  });
});

describe('lab plan', () => {
  const state = planLab('/var/lib/berth/swarm-lab', 511, 3, 2);

  it('names every piece before anything exists', () => {
    expect(state).toMatchObject({ phase: 'creating', subnet: '198.19.255.0/24', bridge: 'berthlab511', cgroupParent: '/berthlab511' });
    expect(state.registry).toEqual({ address: '198.19.255.2', port: 5000, netns: '/var/lib/berth/swarm-lab/ns/registry.net', hostLink: 'berthlab511r', dir: '/var/lib/berth/swarm-lab/registry' });
    expect(state.nodes.map((n) => [n.name, n.role, n.address, n.hostLink, n.dockerHost])).toEqual([
      ['node1', 'manager', '198.19.255.11', 'berthlab511n1', 'unix:///var/lib/berth/swarm-lab/node1/docker.sock'],
      ['node2', 'manager', '198.19.255.12', 'berthlab511n2', 'unix:///var/lib/berth/swarm-lab/node2/docker.sock'],
      ['node3', 'worker', '198.19.255.13', 'berthlab511n3', 'unix:///var/lib/berth/swarm-lab/node3/docker.sock'],
    ]);
  });

  it('keeps link names within IFNAMSIZ for the largest lab', () => {
    const big = planLab('/x', 511, 200, 1);
    for (const n of big.nodes) expect(n.hostLink.length).toBeLessThanOrEqual(15);
  });

  it('starts dockerd with everything under the node directory, no firewall, the lab registry', () => {
    const args = dockerdArgs(state.nodes[0], { cgroupParent: state.cgroupParent, insecureRegistry: '198.19.255.2:5000' });
    expect(args).toEqual(
      expect.arrayContaining([
        '--config-file=/var/lib/berth/swarm-lab/node1/daemon.json',
        '--data-root=/var/lib/berth/swarm-lab/node1/data',
        '--exec-root=/var/lib/berth/swarm-lab/node1/exec',
        '--pidfile=/var/lib/berth/swarm-lab/node1/dockerd.pid',
        '--host=unix:///var/lib/berth/swarm-lab/node1/docker.sock',
        '--containerd-namespace=berthlab511-node1',
        '--cgroup-parent=/berthlab511/node1',
        '--iptables=false',
        '--bridge=none',
        '--insecure-registry=198.19.255.2:5000',
      ]),
    );
  });

  it('serves the registry on the lab address only, from the lab directory', () => {
    const config = registryConfig(state.registry);
    expect(config).toContain('  addr: 198.19.255.2:5000\n');
    expect(config).toContain('    rootdirectory: /var/lib/berth/swarm-lab/registry/data\n');
  });
});

describe('lab status', () => {
  it('prints the lab, then one row per node', () => {
    const status: LabStatus = {
      dir: '/lab',
      phase: 'ready',
      subnet: '198.18.0.0/24',
      bridge: 'berthlab0',
      vip: false,
      registry: { address: '198.18.0.2:5000', running: true },
      managerDockerHost: 'unix:///lab/node1/docker.sock',
      nodes: [
        { name: 'node1', role: 'manager', leader: true, state: 'ready', availability: 'active', address: '198.18.0.11', dockerHost: 'unix:///lab/node1/docker.sock', daemon: 'running' },
        { name: 'node2', role: 'worker', leader: false, state: 'down', availability: 'active', address: '198.18.0.12', dockerHost: 'unix:///lab/node2/docker.sock', daemon: 'stopped' },
      ],
    };
    expect(formatLabStatus(status)).toBe(
      [
        'lab       /lab (ready)',
        'subnet    198.18.0.0/24 on bridge berthlab0 (the host has no address on it)',
        'registry  198.18.0.2:5000 (running)',
        'vip       false (no IPVS: services need endpoint_mode dnsrr and host-mode ports)',
        'manager   DOCKER_HOST=unix:///lab/node1/docker.sock',
        '',
        'NAME   ROLE              STATE            AVAILABILITY  ADDRESS      DOCKER_HOST',
        'node1  manager (leader)  ready            active        198.18.0.11  unix:///lab/node1/docker.sock',
        'node2  worker            dockerd stopped  active        198.18.0.12  unix:///lab/node2/docker.sock',
        '',
      ].join('\n'),
    );
  });
});

describe('lab down outside a lab', () => {
  it('touches a directory without lab.json only when it is empty', async () => {
    const dir = mkdtempSync('/tmp/bsl-notalab-');
    try {
      writeFileSync(path.join(dir, 'precious'), 'data');
      await expect(downLab(dir)).rejects.toThrow(`${dir} holds no swarm lab (no lab.json); nothing was removed`);
      expect(existsSync(path.join(dir, 'precious'))).toBe(true);
      rmSync(path.join(dir, 'precious'));
      expect((await downLab(dir)).removed).toEqual([`directory ${dir}`]);
      expect((await downLab(dir)).removed).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

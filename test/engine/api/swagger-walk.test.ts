// #20 item 2: every field of the create body, as moby's swagger lists it (CREATE_FIELDS, vendored
// in src/engine/api/body-schema.ts from docs/api/v1.43.yaml), is either applied — observable in
// the container's OCI spec, its /etc files, its processes or its inspect — or refused by name.
// Never stored and silently skipped. Fields that only describe (labels of a client's choices,
// Windows flags dockerd also just keeps) are shown by inspect, which is their purpose; the
// endpoint fields inspect reports (IPAddress, NetworkID…) are outputs dockerd ignores on input.
// One container per field, against a private built-in engine.

import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CREATE_FIELDS } from '../../../src/engine/api/body-schema.js';
import { runDockerCli } from '../helpers/docker-cli.js';
import { dockerCli, engineHost, requirePrereq } from '../../support/gates.js';
import type { TestEngine } from '../helpers/daemon-harness.js';
import { useTestEngine } from '../../support/engines.js';

const skip = requirePrereq('the swagger walk of the create body (built-in engine)', [...engineHost(), dockerCli()]);

type Json = Record<string, unknown>;

interface Body {
  config?: Json;
  host?: Json;
  /** EndpointSettings on the test's user network `walknet`. */
  endpoint?: Json;
}

interface Observed {
  id: string;
  spec: Json;
  inspect: Json;
  resolvConf: string;
  hosts: string;
  startError?: string;
  exec(...cmd: string[]): Promise<string>;
}

type Verdict =
  | { kind: 'applied'; body: Body; start?: boolean; check: (o: Observed) => void | Promise<void> }
  | { kind: 'metadata'; body: Body; why: string; check: (o: Observed) => void }
  | { kind: 'refused'; body: Body; message: RegExp }
  | { kind: 'output'; why: string };

/** `a.b[0].c` of a JSON value. */
function get(v: unknown, at: string): unknown {
  return at
    .split(/\.|\[(\d+)\]/)
    .filter((k) => k !== undefined && k !== '')
    .reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Json)[k] : undefined), v);
}

const mounts = (o: Observed): Json[] => (get(o.spec, 'mounts') as Json[]) ?? [];
const caps = (o: Observed): string[] => (get(o.spec, 'process.capabilities.effective') as string[]) ?? [];
const namespaces = (o: Observed): string[] => ((get(o.spec, 'linux.namespaces') as Json[]) ?? []).map((n) => String(n.type));
const MiB = 1024 * 1024;

/** A block device of this host, for the block I/O fields. */
function blockDevice(): string {
  for (const name of readdirSync('/sys/block')) {
    const dev = `/dev/${name}`;
    if (!name.startsWith('loop') && existsSync(dev) && statSync(dev).isBlockDevice()) return dev;
  }
  return '/dev/loop0';
}
const BLOCK = blockDevice();
/** The --cgroup-parent the CgroupParent field names (removed after the walk). */
function PARENT(): string {
  return `walk-parent-${process.pid}`;
}
const blkioWeight = existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');

const metadata = (field: string, value: unknown, why: string, at = `Config.${field}`): Verdict => ({ kind: 'metadata', body: { config: { [field]: value } }, why, check: (o) => expect(get(o.inspect, at)).toEqual(value) });
const refused = (host: Json, message: RegExp): Verdict => ({ kind: 'refused', body: { host }, message });
const output = (why = 'an output inspect reports; dockerd ignores it on input too'): Verdict => ({ kind: 'output', why });

const WALK: Record<string, Verdict> = {
  'Config.Hostname': { kind: 'applied', body: { config: { Hostname: 'walkhost' } }, check: (o) => expect(get(o.spec, 'hostname')).toBe('walkhost') },
  'Config.Domainname': { kind: 'applied', body: { config: { Domainname: 'example.org' } }, check: (o) => expect(get(o.spec, 'domainname')).toBe('example.org') },
  'Config.User': { kind: 'applied', body: { config: { User: '1000:1000' } }, check: (o) => expect(get(o.spec, 'process.user')).toMatchObject({ uid: 1000, gid: 1000 }) },
  'Config.AttachStdin': metadata('AttachStdin', true, 'the client attaches itself; dockerd only records it'),
  'Config.AttachStdout': metadata('AttachStdout', false, 'the client attaches itself; dockerd only records it'),
  'Config.AttachStderr': metadata('AttachStderr', false, 'the client attaches itself; dockerd only records it'),
  'Config.ExposedPorts': { kind: 'applied', body: { config: { ExposedPorts: { '9000/tcp': {} } } }, check: (o) => expect(Object.keys(get(o.inspect, 'NetworkSettings.Ports') as Json)).toContain('9000/tcp') },
  'Config.Tty': { kind: 'applied', body: { config: { Tty: true } }, check: (o) => expect(get(o.spec, 'process.terminal')).toBe(true) },
  'Config.OpenStdin': { kind: 'applied', body: { config: { OpenStdin: true } }, check: async (o) => expect(await o.exec('readlink', '/proc/1/fd/0')).toMatch(/^pipe:/) },
  'Config.StdinOnce': {
    kind: 'applied',
    body: { config: { OpenStdin: true, StdinOnce: true, Cmd: ['cat'] } },
    start: false,
    // The end of the first attached input closes the container's stdin: cat sees EOF and exits.
    check: async (o) => expect(await o.exec('!start-ai', 'once')).toBe('once'),
  },
  'Config.Env': { kind: 'applied', body: { config: { Env: ['WALK=1'] } }, check: (o) => expect(get(o.spec, 'process.env')).toContain('WALK=1') },
  'Config.Cmd': { kind: 'applied', body: { config: { Cmd: ['sleep', '61'] } }, check: (o) => expect(get(o.spec, 'process.args')).toEqual(['sleep', '61']) },
  'Config.Healthcheck': { kind: 'applied', body: { config: { Healthcheck: { Test: ['CMD', 'true'], Interval: 200_000_000 } } }, check: (o) => expect(get(o.inspect, 'State.Health.Status')).toMatch(/^(starting|healthy)$/) },
  'Config.ArgsEscaped': metadata('ArgsEscaped', true, 'Windows only; dockerd on Linux records it'),
  'Config.Image': { kind: 'applied', body: {}, check: (o) => expect(get(o.inspect, 'Image')).toMatch(/^sha256:/) },
  'Config.Volumes': { kind: 'applied', body: { config: { Volumes: { '/walkvol': {} } } }, check: (o) => expect(mounts(o).some((m) => m.destination === '/walkvol')).toBe(true) },
  'Config.WorkingDir': { kind: 'applied', body: { config: { WorkingDir: '/tmp' } }, check: (o) => expect(get(o.spec, 'process.cwd')).toBe('/tmp') },
  'Config.Entrypoint': { kind: 'applied', body: { config: { Entrypoint: ['sh', '-c'], Cmd: ['sleep 60'] } }, check: (o) => expect(get(o.spec, 'process.args')).toEqual(['sh', '-c', 'sleep 60']) },
  'Config.NetworkDisabled': { kind: 'applied', body: { config: { NetworkDisabled: true } }, check: async (o) => expect((await o.exec('ls', '/sys/class/net')).trim()).toBe('lo') },
  'Config.MacAddress': { kind: 'applied', body: { config: { MacAddress: '02:42:0a:00:00:99' } }, check: async (o) => expect(await o.exec('cat', '/sys/class/net/eth0/address')).toBe('02:42:0a:00:00:99\n') },
  'Config.OnBuild': metadata('OnBuild', ['RUN true'], 'image build metadata; dockerd records it'),
  'Config.Labels': metadata('Labels', { walk: '1' }, 'labels are for clients: filters, compose'),
  'Config.StopSignal': metadata('StopSignal', 'SIGUSR1', 'used by docker stop (test/engine/stop-kill.test.ts)'),
  'Config.StopTimeout': metadata('StopTimeout', 5, 'used by docker stop (test/engine/stop-kill.test.ts)'),
  'Config.Shell': metadata('Shell', ['/bin/ash', '-c'], 'used by a build’s shell-form instructions; dockerd records it'),

  'HostConfig.Binds': { kind: 'applied', body: { host: { Binds: ['/tmp:/walkbind:ro'] } }, check: (o) => expect(mounts(o).find((m) => m.destination === '/walkbind')?.options).toContain('ro') },
  'HostConfig.ContainerIDFile': { kind: 'metadata', body: { host: { ContainerIDFile: '/tmp/cid' } }, why: 'the CLI writes the file; dockerd records the path', check: (o) => expect(get(o.inspect, 'HostConfig.ContainerIDFile')).toBe('/tmp/cid') },
  'HostConfig.LogConfig': {
    kind: 'applied',
    body: { host: { LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } } } },
    // The monitor holding the log rotates it: its command line carries the limits.
    check: (o) => expect(monitorArgs(o.id)).toEqual(expect.arrayContaining(['--log-max-size', '1000000', '--log-max-files', '2'])),
  },
  'HostConfig.NetworkMode': { kind: 'applied', body: { host: { NetworkMode: 'none' } }, check: async (o) => expect((await o.exec('ls', '/sys/class/net')).trim()).toBe('lo') },
  'HostConfig.PortBindings': {
    kind: 'applied',
    body: { config: { ExposedPorts: { '80/tcp': {} } }, host: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] } } },
    check: (o) => expect(Number(get(o.inspect, 'NetworkSettings.Ports.80/tcp[0].HostPort'))).toBeGreaterThan(0),
  },
  'HostConfig.RestartPolicy': { kind: 'applied', body: { config: { Cmd: ['sh', '-c', 'exit 3'] }, host: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } }, check: async (o) => expect(await o.exec('!restart-count')).toMatch(/^[12]$/) },
  'HostConfig.AutoRemove': { kind: 'applied', body: { config: { Cmd: ['true'] }, host: { AutoRemove: true } }, check: async (o) => expect(await o.exec('!gone')).toBe('gone') },
  'HostConfig.VolumeDriver': refused({ VolumeDriver: 'nfs' }, /VolumeDriver nfs/),
  'HostConfig.VolumesFrom': { kind: 'applied', body: { host: { VolumesFrom: ['walk-source'] } }, check: (o) => expect(mounts(o).some((m) => m.destination === '/shared')).toBe(true) },
  'HostConfig.Mounts': { kind: 'applied', body: { host: { Mounts: [{ Type: 'tmpfs', Target: '/walktmp' }] } }, check: (o) => expect(mounts(o).find((m) => m.destination === '/walktmp')?.type).toBe('tmpfs') },
  'HostConfig.ConsoleSize': { kind: 'applied', body: { config: { Tty: true }, host: { ConsoleSize: [30, 100] } }, check: (o) => expect(get(o.spec, 'process.consoleSize')).toEqual({ height: 30, width: 100 }) },
  'HostConfig.Annotations': { kind: 'applied', body: { host: { Annotations: { walk: '1' } } }, check: (o) => expect(get(o.spec, 'annotations.walk')).toBe('1') },
  'HostConfig.CapAdd': { kind: 'applied', body: { host: { CapAdd: ['NET_ADMIN'] } }, check: (o) => expect(caps(o)).toContain('CAP_NET_ADMIN') },
  'HostConfig.CapDrop': { kind: 'applied', body: { host: { CapDrop: ['CHOWN'] } }, check: (o) => expect(caps(o)).not.toContain('CAP_CHOWN') },
  'HostConfig.CgroupnsMode': { kind: 'applied', body: { host: { CgroupnsMode: 'private' } }, check: (o) => expect(namespaces(o)).toContain('cgroup') },
  'HostConfig.Dns': { kind: 'applied', body: { host: { Dns: ['10.0.0.53'] } }, check: (o) => expect(o.resolvConf).toContain('nameserver 10.0.0.53') },
  'HostConfig.DnsOptions': { kind: 'applied', body: { host: { DnsOptions: ['ndots:2'] } }, check: (o) => expect(o.resolvConf).toContain('options ndots:2') },
  'HostConfig.DnsSearch': { kind: 'applied', body: { host: { DnsSearch: ['example.org'] } }, check: (o) => expect(o.resolvConf).toContain('search example.org') },
  'HostConfig.ExtraHosts': { kind: 'applied', body: { host: { ExtraHosts: ['walkdb:10.1.2.3'] } }, check: (o) => expect(o.hosts).toContain('10.1.2.3\twalkdb') },
  'HostConfig.GroupAdd': { kind: 'applied', body: { host: { GroupAdd: ['50'] } }, check: (o) => expect(get(o.spec, 'process.user.additionalGids')).toContain(50) },
  'HostConfig.IpcMode': { kind: 'applied', body: { host: { IpcMode: 'none' } }, check: (o) => expect(mounts(o).some((m) => m.destination === '/dev/shm')).toBe(false) },
  'HostConfig.Cgroup': refused({ Cgroup: 'container:x' }, /HostConfig\.Cgroup/),
  'HostConfig.Links': { kind: 'applied', body: { host: { Links: ['walk-source:walkalias'] } }, check: async (o) => expect(await o.exec('nslookup', 'walkalias')).toMatch(/Name:\s*walkalias[\s\S]*Address:?\s*\d+\.\d+\.\d+\.\d+/) },
  'HostConfig.OomScoreAdj': { kind: 'applied', body: { host: { OomScoreAdj: 100 } }, check: (o) => expect(get(o.spec, 'process.oomScoreAdj')).toBe(100) },
  'HostConfig.PidMode': { kind: 'applied', body: { host: { PidMode: 'host' } }, check: (o) => expect(namespaces(o)).not.toContain('pid') },
  'HostConfig.Privileged': {
    kind: 'applied',
    body: { host: { Privileged: true } },
    // Where runc may hand out every capability the start succeeds; this kind of VM refuses it ("unable to apply caps"), which is the request applied all the same.
    check: (o) => (o.startError ? expect(o.startError).toMatch(/unable to apply caps/) : expect(caps(o)).toContain('CAP_SYS_ADMIN')),
  },
  'HostConfig.PublishAllPorts': {
    kind: 'applied',
    body: { config: { ExposedPorts: { '81/tcp': {} } }, host: { PublishAllPorts: true } },
    check: (o) => expect(Number(get(o.inspect, 'NetworkSettings.Ports.81/tcp[0].HostPort'))).toBeGreaterThan(0),
  },
  'HostConfig.ReadonlyRootfs': { kind: 'applied', body: { host: { ReadonlyRootfs: true } }, check: (o) => expect(get(o.spec, 'root.readonly')).toBe(true) },
  'HostConfig.SecurityOpt': { kind: 'applied', body: { host: { SecurityOpt: ['no-new-privileges'] } }, check: (o) => expect(get(o.spec, 'process.noNewPrivileges')).toBe(true) },
  'HostConfig.StorageOpt': refused({ StorageOpt: { size: '1G' } }, /StorageOpt \(size\)/),
  'HostConfig.Tmpfs': { kind: 'applied', body: { host: { Tmpfs: { '/walktmpfs': 'size=1m' } } }, check: (o) => expect(mounts(o).find((m) => m.destination === '/walktmpfs')?.options).toContain('size=1048576') },
  'HostConfig.UTSMode': { kind: 'applied', body: { host: { UTSMode: 'host' } }, check: (o) => expect(namespaces(o)).not.toContain('uts') },
  'HostConfig.UsernsMode': refused({ UsernsMode: 'private' }, /UsernsMode private/),
  'HostConfig.ShmSize': { kind: 'applied', body: { host: { ShmSize: 128 * MiB } }, check: (o) => expect(mounts(o).find((m) => m.destination === '/dev/shm')?.options).toContain(`size=${128 * MiB}`) },
  'HostConfig.Sysctls': { kind: 'applied', body: { host: { Sysctls: { 'net.ipv4.ip_forward': '1' } } }, check: (o) => expect(get(o.spec, 'linux.sysctl')).toEqual({ 'net.ipv4.ip_forward': '1' }) },
  'HostConfig.Runtime': refused({ Runtime: 'crun' }, /Unknown runtime specified crun/),
  'HostConfig.Isolation': refused({ Isolation: 'hyperv' }, /Invalid isolation: "hyperv"/),
  'HostConfig.MaskedPaths': { kind: 'applied', body: { host: { MaskedPaths: ['/proc/walk'] } }, check: (o) => expect(get(o.spec, 'linux.maskedPaths')).toEqual(['/proc/walk']) },
  'HostConfig.ReadonlyPaths': { kind: 'applied', body: { host: { ReadonlyPaths: ['/proc/sys'] } }, check: (o) => expect(get(o.spec, 'linux.readonlyPaths')).toEqual(['/proc/sys']) },

  'HostConfig.CpuShares': { kind: 'applied', body: { host: { CpuShares: 512 } }, check: (o) => expect(get(o.spec, 'linux.resources.cpu.shares')).toBe(512) },
  'HostConfig.Memory': { kind: 'applied', body: { host: { Memory: 64 * MiB } }, check: (o) => expect(get(o.spec, 'linux.resources.memory.limit')).toBe(64 * MiB) },
  'HostConfig.CgroupParent': { kind: 'applied', body: { host: { CgroupParent: PARENT() } }, check: (o) => expect(get(o.spec, 'linux.cgroupsPath')).toBe(`/${PARENT()}/${o.id}`) },
  'HostConfig.BlkioWeight': blkioWeight
    ? { kind: 'applied', body: { host: { BlkioWeight: 500 } }, check: (o) => expect(get(o.spec, 'linux.resources.blockIO.weight')).toBe(500) }
    : refused({ BlkioWeight: 500 }, /BlkioWeight: this kernel has no block I\/O weight/),
  'HostConfig.BlkioWeightDevice': blkioWeight
    ? { kind: 'applied', body: { host: { BlkioWeightDevice: [{ Path: BLOCK, Weight: 500 }] } }, check: (o) => expect(get(o.spec, 'linux.resources.blockIO.weightDevice[0].weight')).toBe(500) }
    : refused({ BlkioWeightDevice: [{ Path: BLOCK, Weight: 500 }] }, /BlkioWeightDevice: this kernel has no block I\/O weight/),
  'HostConfig.BlkioDeviceReadBps': throttle('BlkioDeviceReadBps', 'throttleReadBpsDevice'),
  'HostConfig.BlkioDeviceWriteBps': throttle('BlkioDeviceWriteBps', 'throttleWriteBpsDevice'),
  'HostConfig.BlkioDeviceReadIOps': throttle('BlkioDeviceReadIOps', 'throttleReadIOPSDevice'),
  'HostConfig.BlkioDeviceWriteIOps': throttle('BlkioDeviceWriteIOps', 'throttleWriteIOPSDevice'),
  'HostConfig.CpuPeriod': { kind: 'applied', body: { host: { CpuPeriod: 50_000 } }, check: (o) => expect(get(o.spec, 'linux.resources.cpu.period')).toBe(50_000) },
  'HostConfig.CpuQuota': { kind: 'applied', body: { host: { CpuQuota: 25_000 } }, check: (o) => expect(get(o.spec, 'linux.resources.cpu.quota')).toBe(25_000) },
  'HostConfig.CpuRealtimePeriod': refused({ CpuRealtimePeriod: 1_000_000 }, /real-time CPU scheduling/),
  'HostConfig.CpuRealtimeRuntime': refused({ CpuRealtimeRuntime: 1000 }, /real-time CPU scheduling/),
  'HostConfig.CpusetCpus': { kind: 'applied', body: { host: { CpusetCpus: '0' } }, check: (o) => expect(get(o.spec, 'linux.resources.cpu.cpus')).toBe('0') },
  'HostConfig.CpusetMems': { kind: 'applied', body: { host: { CpusetMems: '0' } }, check: (o) => expect(get(o.spec, 'linux.resources.cpu.mems')).toBe('0') },
  'HostConfig.Devices': { kind: 'applied', body: { host: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/walknull', CgroupPermissions: 'rwm' }] } }, check: async (o) => expect(await o.exec('sh', '-c', 'test -c /dev/walknull && echo device')).toBe('device\n') },
  'HostConfig.DeviceCgroupRules': {
    kind: 'applied',
    body: { host: { DeviceCgroupRules: ['c 42:* r'] } },
    check: (o) => expect(get(o.spec, 'linux.resources.devices')).toEqual(expect.arrayContaining([{ allow: true, type: 'c', major: 42, access: 'r' }])),
  },
  'HostConfig.DeviceRequests': refused({ DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }] }, /DeviceRequests/),
  'HostConfig.KernelMemory': refused({ KernelMemory: 64 * MiB }, /KernelMemory: kernel memory limits/),
  'HostConfig.KernelMemoryTCP': refused({ KernelMemoryTCP: 64 * MiB }, /KernelMemoryTCP/),
  'HostConfig.MemoryReservation': { kind: 'applied', body: { host: { MemoryReservation: 32 * MiB } }, check: (o) => expect(get(o.spec, 'linux.resources.memory.reservation')).toBe(32 * MiB) },
  'HostConfig.MemorySwap': { kind: 'applied', body: { host: { Memory: 64 * MiB, MemorySwap: 96 * MiB } }, check: (o) => expect(get(o.spec, 'linux.resources.memory.swap')).toBe(96 * MiB) },
  'HostConfig.MemorySwappiness': { kind: 'applied', body: { host: { MemorySwappiness: 10 } }, check: (o) => expect(get(o.spec, 'linux.resources.memory.swappiness')).toBe(10) },
  'HostConfig.NanoCpus': { kind: 'applied', body: { host: { NanoCpus: 500_000_000 } }, check: (o) => expect(get(o.spec, 'linux.resources.cpu.quota')).toBe(50_000) },
  'HostConfig.OomKillDisable': { kind: 'applied', body: { host: { Memory: 64 * MiB, OomKillDisable: true } }, check: (o) => expect(get(o.spec, 'linux.resources.memory.disableOOMKiller')).toBe(true) },
  'HostConfig.Init': { kind: 'applied', body: { host: { Init: true } }, check: (o) => expect((get(o.spec, 'process.args') as string[])[0]).toBe('/sbin/docker-init') },
  'HostConfig.PidsLimit': { kind: 'applied', body: { host: { PidsLimit: 50 } }, check: (o) => expect(get(o.spec, 'linux.resources.pids.limit')).toBe(50) },
  'HostConfig.Ulimits': { kind: 'applied', body: { host: { Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }] } }, check: (o) => expect(get(o.spec, 'process.rlimits')).toEqual([{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]) },
  'HostConfig.CpuCount': refused({ CpuCount: 2 }, /CPU count or CPU percent/),
  'HostConfig.CpuPercent': refused({ CpuPercent: 50 }, /CPU count or CPU percent/),
  'HostConfig.IOMaximumIOps': refused({ IOMaximumIOps: 100 }, /Maximum IO Bandwidth or Maximum IO IOps/),
  'HostConfig.IOMaximumBandwidth': refused({ IOMaximumBandwidth: 100 }, /Maximum IO Bandwidth or Maximum IO IOps/),

  'EndpointSettings.IPAMConfig': {
    kind: 'applied',
    body: { endpoint: { IPAMConfig: { IPv4Address: '10.219.7.77' } } },
    check: (o) => expect(get(o.inspect, 'NetworkSettings.Networks.walknet.IPAddress')).toBe('10.219.7.77'),
  },
  'EndpointSettings.Links': { kind: 'applied', body: { endpoint: { Links: ['walk-source:walkpeer'] } }, check: async (o) => expect(await o.exec('nslookup', 'walkpeer')).toMatch(/Name:\s*walkpeer[\s\S]*Address:?\s*10\.219\.7\.\d+/) },
  'EndpointSettings.Aliases': { kind: 'applied', body: { endpoint: { Aliases: ['walkalias2'] } }, check: (o) => expect(get(o.inspect, 'NetworkSettings.Networks.walknet.Aliases')).toContain('walkalias2') },
  'EndpointSettings.NetworkID': output(),
  'EndpointSettings.EndpointID': output(),
  'EndpointSettings.Gateway': output(),
  'EndpointSettings.IPAddress': output('an output; IPAMConfig.IPv4Address asks for an address'),
  'EndpointSettings.IPPrefixLen': output(),
  'EndpointSettings.IPv6Gateway': output(),
  'EndpointSettings.GlobalIPv6Address': output(),
  'EndpointSettings.GlobalIPv6PrefixLen': output(),
  'EndpointSettings.MacAddress': { kind: 'applied', body: { endpoint: { MacAddress: '02:42:0a:00:00:98' } }, check: async (o) => expect(await o.exec('cat', '/sys/class/net/eth0/address')).toBe('02:42:0a:00:00:98\n') },
  'EndpointSettings.DriverOpts': { kind: 'refused', body: { endpoint: { DriverOpts: { 'com.example.opt': '1' } } }, message: /DriverOpts: the built-in engine's bridge driver takes no endpoint options/ },
};

function throttle(field: string, ociName: string): Verdict {
  return {
    kind: 'applied',
    body: { host: { [field]: [{ Path: BLOCK, Rate: 1_048_576 }] } },
    check: (o) => expect(get(o.spec, `linux.resources.blockIO.${ociName}[0].rate`)).toBe(1_048_576),
  };
}


/** The monitor's command line for a container (the shim's arguments). */
function monitorArgs(id: string): string[] {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[0]?.endsWith('berth-shim') && args.includes(id)) return args;
  }
  return [];
}

describe.skipIf(skip)("the create body's fields, walked from moby's swagger", () => {
  let engine: TestEngine;

  function api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: Json }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: engine.socketPath, method, path: `/v1.43${urlPath}`, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.trim() === '' ? {} : (JSON.parse(text) as Json) }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  useTestEngine('walk', async (e) => {
    engine = e;
    const net = await api('POST', '/networks/create', { Name: 'walknet', IPAM: { Config: [{ Subnet: '10.219.7.0/24' }] } });
    expect(net.status).toBe(201);
    // The container other fields name: a volume to share, a link target, on the default bridge and walknet.
    const source = await api('POST', '/containers/create?name=walk-source', { Image: 'busybox', Cmd: ['sleep', '300'], Volumes: { '/shared': {} } });
    expect(source.status).toBe(201);
    expect((await api('POST', '/networks/walknet/connect', { Container: 'walk-source' })).status).toBe(200);
    expect((await api('POST', '/containers/walk-source/start')).status).toBe(204);
  });

  afterAll(async () => {
    if (!engine) return;
    await api('DELETE', '/containers/walk-source?force=1&v=1');
    await api('DELETE', '/networks/walknet');
    // runc leaves a --cgroup-parent directory behind, as with dockerd.
    for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const dir = path.join('/sys/fs/cgroup', h, PARENT());
      if (existsSync(dir)) rmdirSync(dir);
    }
  });

  it('has a verdict for every field swagger lists, and only those', () => {
    expect(Object.keys(WALK).sort()).toEqual([...CREATE_FIELDS].sort());
  });

  let n = 0;
  for (const field of CREATE_FIELDS) {
    it(`${field}: ${WALK[field]?.kind ?? 'no verdict'}`, async () => {
      const verdict = WALK[field];
      expect(verdict, `no verdict for ${field}`).toBeDefined();
      if (verdict.kind === 'output') return;
      const name = `walk-${++n}`;
      const { config = {}, host = {}, endpoint } = verdict.body;
      const body = {
        Image: 'busybox',
        Cmd: ['sleep', '60'],
        ...config,
        HostConfig: { ...(endpoint ? { NetworkMode: 'walknet' } : {}), ...host },
        ...(endpoint ? { NetworkingConfig: { EndpointsConfig: { walknet: endpoint } } } : {}),
      };
      const created = await api('POST', `/containers/create?name=${name}`, body);
      if (verdict.kind === 'refused') {
        expect(created.status, `${field} was accepted`).toBeGreaterThanOrEqual(400);
        expect(String(created.json.message)).toMatch(verdict.message);
        return;
      }
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const id = String(created.json.Id);
      try {
        let startError: string | undefined;
        if (verdict.kind === 'metadata' || verdict.start !== false) {
          const started = await api('POST', `/containers/${id}/start`);
          if (started.status !== 204) startError = String(started.json.message);
        }
        const dir = path.join(engine.root, 'containers', id);
        const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
        const observed: Observed = {
          id,
          spec: existsSync(path.join(dir, 'bundle', 'config.json')) ? (JSON.parse(read(path.join(dir, 'bundle', 'config.json'))) as Json) : {},
          inspect: (await api('GET', `/containers/${id}/json`)).json,
          resolvConf: read(path.join(dir, 'etc', 'resolv.conf')),
          hosts: read(path.join(dir, 'etc', 'hosts')),
          ...(startError ? { startError } : {}),
          exec: async (...cmd) => {
            // A few checks are about the container's life rather than a command in it.
            if (cmd[0] === '!start-ai') return (await runDockerCli(engine, ['start', '-ai', id], { input: cmd[1] })).stdout;
            if (cmd[0] === '!restart-count') {
              for (let i = 0; i < 100; i++) {
                const count = String(get((await api('GET', `/containers/${id}/json`)).json, 'RestartCount'));
                if (count !== '0' && count !== 'undefined') return count;
                await new Promise((r) => setTimeout(r, 50));
              }
              return '0';
            }
            if (cmd[0] === '!gone') {
              for (let i = 0; i < 100; i++) {
                if ((await api('GET', `/containers/${id}/json`)).status === 404) return 'gone';
                await new Promise((r) => setTimeout(r, 50));
              }
              return 'still there';
            }
            const r = await runDockerCli(engine, ['exec', id, ...cmd]);
            return r.stdout;
          },
        };
        if (verdict.kind === 'applied' && startError && field !== 'HostConfig.Privileged') throw new Error(`${field}: start failed: ${startError}`);
        await verdict.check(observed);
      } finally {
        await api('DELETE', `/containers/${id}?force=1&v=1`);
      }
    }, 30_000);
  }
});

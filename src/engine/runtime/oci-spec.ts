// ContainerSpec (berth's internal description of one container) → OCI runtime config.json
// (runtime-spec 1.0.2, what Debian's runc 1.1 implements). Pure: the caller decides every path;
// this module only applies Docker's defaults (moby oci/defaults.go and daemon/oci_linux.go) so a
// container behaves the same under berth and under dockerd.

import type { DeviceRule, OciDevice } from './devices.js';
import { dockerSeccompToOci, type OciSeccomp } from './seccomp-docker.js';
import { renderSeccomp, isSeccompArch, type SeccompArch } from './seccomp-profile.js';

export type NamespaceType = 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup' | 'user';

/** A namespace the container gets: a new one, or the one at `path` (e.g. /proc/123/ns/net). */
export interface NamespaceSpec {
  type: NamespaceType;
  path?: string;
}

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export type MountSpec =
  | { type: 'bind'; source: string; target: string; readonly?: boolean; propagation?: Propagation; nonRecursive?: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number; readonly?: boolean; options?: string[] };

export interface Rlimit {
  /** e.g. `nofile` or `RLIMIT_NOFILE`. */
  type: string;
  soft: number;
  hard: number;
}

export interface ResourceSpec {
  /** Bytes; 0/undefined: unlimited. */
  memory?: number;
  memoryReservation?: number;
  /** Docker's meaning: memory + swap in bytes; -1 unlimited; unset with `memory` set: twice `memory`. */
  memorySwap?: number;
  cpuShares?: number;
  /** Docker's NanoCpus: 1e9 = one CPU. */
  nanoCpus?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** > 0 limits; ≤ 0 or unset: unlimited. */
  pidsLimit?: number;
  /** 0–100 (memory.swappiness). */
  swappiness?: number;
  oomKillDisable?: boolean;
  /** Block I/O throttles per device (major:minor from the host). */
  blockIO?: BlockIOSpec;
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface BlockIOSpec {
  /** 10–1000, where the kernel has a block I/O weight (the engine refuses it otherwise). */
  weight?: number;
  weightDevice?: { major: number; minor: number; weight: number }[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export interface ContainerUser {
  uid: number;
  gid: number;
  additionalGids?: readonly number[];
}

export interface ContainerSpec {
  args: readonly string[];
  /** KEY=VALUE, applied over Docker's daemon environment (PATH, HOSTNAME, TERM). */
  env?: readonly string[];
  cwd?: string;
  user?: ContainerUser;
  hostname?: string;
  /** The UTS domain name (Config.Domainname). */
  domainname?: string;
  tty?: boolean;
  /** Initial size of the container's terminal (HostConfig.ConsoleSize: height, width). */
  consoleSize?: { height: number; width: number };
  /** Absolute path of the mounted root filesystem. */
  rootfs: string;
  readonlyRootfs?: boolean;
  mounts?: readonly MountSpec[];
  /** Defaults to new pid, network, ipc, uts and mount namespaces; leave a type out to share the host's. */
  namespaces?: readonly NamespaceSpec[];
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  rlimits?: readonly Rlimit[];
  cgroupsPath?: string;
  resources?: ResourceSpec;
  sysctls?: Readonly<Record<string, string>>;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  /** /dev/shm size in bytes (Docker's default 64 MiB). */
  shmSize?: number;
  /**
   * What /dev/shm is: a tmpfs of its own (the default), none at all (`--ipc none`), or a bind of a
   * host path (`--ipc host`: the host's /dev/shm; `--ipc container:`: that container's). A
   * shareable one (`--ipc shareable`) is a tmpfs the runner mounts on the host side, as moby does,
   * so that others can bind it: a mount inside a container's own mount namespace cannot be bound
   * from another (EINVAL). The runner turns it into a bind before the spec is built.
   */
  shm?: { kind: 'tmpfs' } | { kind: 'none' } | { kind: 'bind'; source: string } | { kind: 'shareable' };
  /** HostConfig.MaskedPaths / ReadonlyPaths: replace Docker's defaults when given. */
  maskedPaths?: readonly string[];
  readonlyPaths?: readonly string[];
  /** Device nodes made in the container, and cgroup rules added after Docker's default ones. */
  devices?: readonly OciDevice[];
  deviceRules?: readonly DeviceRule[];
  /** HostConfig.Annotations, passed to the runtime. */
  annotations?: Readonly<Record<string, string>>;
  /** Host files bind-mounted over the container's /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles?: { hosts?: string; hostname?: string; resolvConf?: string };
  /** Extra paths hidden from the container (e.g. the engine's state dir when the rootfs is the host's /). */
  extraMaskedPaths?: readonly string[];
  /** Docker's default filter, none, or a user's profile in Docker's format (JSON text). */
  seccomp?: 'default' | 'unconfined' | { profile: string };
  /** Node's process.arch naming; defaults to the running machine's. */
  arch?: string;
  /** The seccomp filter also covers the compat ABIs (x86 and x32 on x86_64), as Docker's does. */
  seccompCompatArches?: boolean;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciSpec {
  ociVersion: '1.0.2';
  annotations?: Record<string, string>;
  process: {
    terminal: boolean;
    /** Initial pty size (terminal only), applied by runc before the process starts. */
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[]; inheritable: string[] };
    rlimits?: { type: string; soft: number; hard: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: NamespaceType; path?: string }[];
    cgroupsPath?: string;
    devices?: OciDevice[];
    resources: {
      devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
      memory?: { limit?: number; reservation?: number; swap?: number; swappiness?: number; disableOOMKiller?: boolean };
      cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
      pids?: { limit: number };
      blockIO?: BlockIOSpec;
    };
    sysctl?: Record<string, string>;
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: OciSeccomp;
  };
}

export class ContainerSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ContainerSpecError';
  }

  readonly apiKind = 'invalid';
}

/** Docker's default capability set (moby oci.DefaultCapabilities). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability of Linux ≤ 6.x, in kernel number order (what `ALL` means). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Docker's default /dev/shm size. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

// moby oci/defaults.go, plus /sys/devices/virtual/powercap which moby masks since v25 (CVE-2020-8694).
export const DOCKER_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DOCKER_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// The device cgroup: deny all, then the character devices every container gets (runc creates the
// nodes: null, zero, full, random, urandom, tty, console, ptmx/pts) and never /dev/fuse.
const DOCKER_DEVICE_RULES: OciSpec['linux']['resources']['devices'] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

const DEFAULT_NAMESPACES: readonly NamespaceSpec[] = [
  { type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' },
];

/** Normalises `net_admin` / `NET_ADMIN` / `CAP_NET_ADMIN` to `CAP_NET_ADMIN`; `ALL` stays `ALL`. */
function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/**
 * Docker's cap-add/cap-drop arithmetic (moby oci/caps.TweakCapabilities): `ALL` in adds starts from
 * every capability, `ALL` in drops from none; explicit drops then remove, explicit adds add (an
 * explicit add wins over the same explicit drop). Unknown names are errors.
 */
export function resolveCapabilities(capAdd: readonly string[] = [], capDrop: readonly string[] = []): string[] {
  const adds = capAdd.map(normalizeCapability);
  const drops = capDrop.map(normalizeCapability);
  const unknown = [...adds, ...drops].filter((c) => c !== 'ALL' && !ALL_CAPABILITIES.includes(c));
  if (unknown.length > 0) {
    throw new ContainerSpecError([...new Set(unknown)].map((c) => `unknown capability: "${c}"`));
  }
  let base: readonly string[] = DEFAULT_CAPABILITIES;
  if (adds.includes('ALL')) base = ALL_CAPABILITIES;
  else if (drops.includes('ALL')) base = [];
  const result = base.filter((c) => !drops.includes(c) || adds.includes(c));
  for (const c of adds) if (c !== 'ALL' && !result.includes(c)) result.push(c);
  return result;
}

/** Docker's daemon environment, then the container's variables replacing or appending (by key). */
function processEnv(spec: ContainerSpec): string[] {
  const env = [`PATH=${DEFAULT_PATH}`];
  if (spec.hostname !== undefined) env.push(`HOSTNAME=${spec.hostname}`);
  if (spec.tty) env.push('TERM=xterm');
  for (const entry of spec.env ?? []) {
    const key = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry;
    const at = env.findIndex((e) => e.slice(0, e.indexOf('=')) === key);
    // A bare `KEY` (the CLI's `-e KEY` for a variable it does not have) removes it, as dockerd does.
    if (!entry.includes('=')) {
      if (at >= 0) env.splice(at, 1);
    } else if (at >= 0) env[at] = entry;
    else env.push(entry);
  }
  return env;
}

function rlimitName(type: string): string {
  const upper = type.toUpperCase();
  return upper.startsWith('RLIMIT_') ? upper : `RLIMIT_${upper}`;
}

function defaultMounts(shmSize: number, shm: ContainerSpec['shm'] = { kind: 'tmpfs' }): OciMount[] {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (shm.kind === 'tmpfs') mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] });
  else if (shm.kind === 'shareable') throw new ContainerSpecError(['a shareable /dev/shm must be mounted by the runner first (ContainerRunner.prepare)']);
  else if (shm.kind === 'bind') mounts.push({ destination: '/dev/shm', type: 'bind', source: shm.source, options: ['rbind', 'rprivate'] });
  return mounts;
}

function userMount(m: MountSpec): OciMount {
  if (m.type === 'bind') {
    const options = [m.nonRecursive ? 'bind' : 'rbind', m.propagation ?? 'rprivate'];
    if (m.readonly) options.push('ro');
    return { destination: m.target, type: 'bind', source: m.source, options };
  }
  // Docker's tmpfs defaults are noexec,nosuid,nodev; size and mode as given.
  const options = ['nosuid', 'nodev', 'noexec', ...(m.options ?? [])];
  if (m.sizeBytes !== undefined) options.push(`size=${m.sizeBytes}`);
  if (m.mode !== undefined) options.push(`mode=${m.mode.toString(8)}`);
  if (m.readonly) options.push('ro');
  return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options };
}

const depth = (p: string): number => p.split('/').filter((s) => s !== '').length;

function buildMounts(spec: ContainerSpec): OciMount[] {
  const mounts = defaultMounts(spec.shmSize ?? DEFAULT_SHM_SIZE, spec.shm);
  const etc: OciMount[] = [];
  const files = spec.etcFiles ?? {};
  // Writable unless the whole rootfs is read-only (moby container.NetworkMounts).
  const etcOptions = ['rbind', 'rprivate', ...(spec.readonlyRootfs ? ['ro'] : [])];
  for (const [file, source] of [['/etc/resolv.conf', files.resolvConf], ['/etc/hostname', files.hostname], ['/etc/hosts', files.hosts]] as const) {
    if (source !== undefined) etc.push({ destination: file, type: 'bind', source, options: [...etcOptions] });
  }
  const user = (spec.mounts ?? []).map(userMount);
  // A user mount replaces a default or generated one at the same destination (e.g. a bigger /dev/shm).
  const taken = new Set(user.map((m) => m.destination));
  const all = [...mounts, ...etc].filter((m) => !taken.has(m.destination)).concat(user);
  // Parents before children, stable otherwise (moby sorts mounts by destination depth).
  return all
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map(({ m }) => m);
}

function buildResources(r: ResourceSpec | undefined, extraRules: readonly DeviceRule[] = []): OciSpec['linux']['resources'] {
  const out: OciSpec['linux']['resources'] = { devices: [...DOCKER_DEVICE_RULES.map((d) => ({ ...d })), ...extraRules.map((d) => ({ ...d }))] };
  if (!r) return out;
  const memory: NonNullable<OciSpec['linux']['resources']['memory']> = {};
  if (r.memory && r.memory > 0) memory.limit = r.memory;
  if (r.swappiness !== undefined) memory.swappiness = r.swappiness;
  if (r.oomKillDisable) memory.disableOOMKiller = true;
  if (r.memoryReservation && r.memoryReservation > 0) memory.reservation = r.memoryReservation;
  // dockerd (daemon.adaptContainerSettings) doubles the memory for swap when none is given.
  if (r.memorySwap !== undefined && r.memorySwap !== 0) memory.swap = r.memorySwap;
  else if (memory.limit !== undefined) memory.swap = memory.limit * 2;
  if (Object.keys(memory).length > 0) out.memory = memory;

  const cpu: NonNullable<OciSpec['linux']['resources']['cpu']> = {};
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.nanoCpus && r.nanoCpus > 0) {
    // NanoCpus is a quota over the default 100 ms CFS period (moby daemon/oci_linux.go).
    cpu.period = 100_000;
    cpu.quota = Math.floor((r.nanoCpus * cpu.period) / 1e9);
  } else {
    if (r.cpuPeriod && r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
    if (r.cpuQuota && r.cpuQuota !== 0) cpu.quota = r.cpuQuota;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blockIO && Object.values(r.blockIO).some((l) => (Array.isArray(l) ? l.length > 0 : l !== undefined))) out.blockIO = r.blockIO;
  return out;
}

function validate(spec: ContainerSpec): string[] {
  const problems: string[] = [];
  if (spec.args.length === 0) problems.push('no command: args must not be empty');
  if (!spec.rootfs.startsWith('/')) problems.push(`rootfs must be an absolute path, got "${spec.rootfs}"`);
  if (spec.cwd !== undefined && !spec.cwd.startsWith('/')) problems.push(`working directory must be absolute, got "${spec.cwd}"`);
  for (const m of spec.mounts ?? []) {
    if (!m.target.startsWith('/')) problems.push(`mount target must be absolute, got "${m.target}"`);
    if (m.type === 'bind' && !m.source.startsWith('/')) problems.push(`bind source must be absolute, got "${m.source}"`);
  }
  const r = spec.resources;
  if (r?.nanoCpus && (r.cpuPeriod || r.cpuQuota)) {
    problems.push('conflicting options: nanoCpus and cpuPeriod/cpuQuota cannot both be set');
  }
  if (r?.memory && r.memory > 0 && r.memory < 6 * 1024 * 1024) problems.push('minimum memory limit allowed is 6MB');
  if (r?.memory && r.memorySwap && r.memorySwap > 0 && r.memorySwap < r.memory) {
    problems.push('minimum memoryswap limit should be larger than memory limit');
  }
  const arch = spec.arch ?? process.arch;
  if ((spec.seccomp === undefined || spec.seccomp === 'default') && !isSeccompArch(arch)) {
    problems.push(`no seccomp profile for architecture "${arch}"`);
  }
  return problems;
}

/** Builds config.json for runc; throws ContainerSpecError listing every problem at once. */
export function buildOciSpec(spec: ContainerSpec): OciSpec {
  const problems = validate(spec);
  let caps: string[] = [];
  try {
    caps = resolveCapabilities(spec.capAdd, spec.capDrop);
  } catch (err) {
    if (err instanceof ContainerSpecError) problems.push(...err.problems);
    else throw err;
  }
  if (problems.length > 0) throw new ContainerSpecError(problems);

  const user = spec.user ?? { uid: 0, gid: 0 };
  let seccomp: OciSeccomp | undefined;
  const wanted = spec.seccomp ?? 'default';
  if (wanted === 'default') seccomp = renderSeccomp(caps, (spec.arch ?? process.arch) as SeccompArch, { compatArches: spec.seccompCompatArches === true });
  else if (wanted !== 'unconfined') {
    try {
      seccomp = dockerSeccompToOci(wanted.profile, caps, spec.arch ?? process.arch);
    } catch (e) {
      throw new ContainerSpecError([(e as Error).message]);
    }
  }
  const out: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: spec.tty ?? false,
      user: { uid: user.uid, gid: user.gid },
      args: [...spec.args],
      env: processEnv(spec),
      cwd: spec.cwd ?? '/',
      // No inheritable set: since moby 20.10.14 (CVE-2022-24769) it stays empty.
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [] },
      noNewPrivileges: spec.noNewPrivileges ?? false,
    },
    root: { path: spec.rootfs, readonly: spec.readonlyRootfs ?? false },
    mounts: buildMounts(spec),
    linux: {
      namespaces: (spec.namespaces ?? DEFAULT_NAMESPACES).map((n) => (n.path ? { type: n.type, path: n.path } : { type: n.type })),
      resources: buildResources(spec.resources, spec.deviceRules),
      maskedPaths: [...(spec.maskedPaths ?? DOCKER_MASKED_PATHS), ...(spec.extraMaskedPaths ?? [])],
      readonlyPaths: [...(spec.readonlyPaths ?? DOCKER_READONLY_PATHS)],
    },
  };
  if (user.additionalGids && user.additionalGids.length > 0) out.process.user.additionalGids = [...user.additionalGids];
  if (spec.rlimits && spec.rlimits.length > 0) {
    out.process.rlimits = spec.rlimits.map((r) => ({ type: rlimitName(r.type), soft: r.soft, hard: r.hard }));
  }
  if (spec.oomScoreAdj !== undefined) out.process.oomScoreAdj = spec.oomScoreAdj;
  if (spec.hostname !== undefined) out.hostname = spec.hostname;
  if (!out.linux.namespaces.some((n) => n.type === 'mount')) out.linux.namespaces.unshift({ type: 'mount' });
  if (spec.cgroupsPath !== undefined) out.linux.cgroupsPath = spec.cgroupsPath;
  if (spec.sysctls && Object.keys(spec.sysctls).length > 0) {
    out.linux.sysctl = Object.fromEntries(Object.entries(spec.sysctls).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  if (seccomp) out.linux.seccomp = seccomp;
  if (spec.domainname) out.domainname = spec.domainname;
  if (spec.consoleSize && spec.tty && spec.consoleSize.height > 0 && spec.consoleSize.width > 0) out.process.consoleSize = { ...spec.consoleSize };
  if (spec.devices && spec.devices.length > 0) out.linux.devices = spec.devices.map((d) => ({ ...d }));
  if (spec.annotations && Object.keys(spec.annotations).length > 0) out.annotations = { ...spec.annotations };
  return out;
}

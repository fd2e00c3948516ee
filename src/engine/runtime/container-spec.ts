// A container's HostConfig and Config turned into berth's ContainerSpec (oci-spec.ts builds runc's
// config.json from it): namespaces, capabilities, resources, security options, devices, /dev/shm.
// Pure: what needs the host (another container's pid, device numbers, the init binary) is looked
// up by the engine and passed in. With `phase: 'create'` it checks what dockerd refuses at create,
// with dockerd's words, and leaves to the start what dockerd refuses at start.

import type { ContainerConfig, HostConfig } from '../backend.js';
import type { DeviceRule, OciDevice } from './devices.js';
import { parseDeviceCgroupRules } from './devices.js';
import { ContainerSpecError, resolveCapabilities, type BlockIOSpec, type ContainerSpec, type MountSpec, type NamespaceSpec, type NamespaceType, type Rlimit } from './oci-spec.js';
import { parseSecurityOpts } from './security-opts.js';
import { commandOf, networkChoice, TranslateError } from './translate.js';

export interface SpecInputs {
  config: ContainerConfig;
  hostConfig: HostConfig;
  user: ContainerSpec['user'];
  mounts: readonly MountSpec[];
  /** Host pid of a running container named in `container:<ref>` modes. */
  containerPid: (ref: string) => number;
  /** Host path of the shareable /dev/shm of a running container named in `--ipc container:<ref>`. */
  containerShm?: (ref: string) => string;
  /** Host path of an init binary when HostConfig.Init asks for one. */
  initBinary?: string;
  /** The network namespace to join (the container's sandbox, or another container's); none: a new empty one. */
  netnsPath?: string;
  /** Host devices (--device, --privileged) as looked up at start. */
  devices?: { devices: readonly OciDevice[]; rules: readonly DeviceRule[] };
  /** Block I/O throttles with their devices' numbers, looked up at start. */
  blockIO?: BlockIOSpec;
  /** `create` checks only what dockerd refuses at create (the start checks the rest). */
  phase?: 'create' | 'start';
}

export const INIT_PATH = '/sbin/docker-init';

/** One namespace mode (IpcMode, PidMode, UTSMode): host, another container's, or a new one. */
function namespaceFor(type: NamespaceType, mode: string | undefined, containerPid: (ref: string) => number, problems: string[]): NamespaceSpec | undefined {
  const m = mode ?? '';
  if (m === 'host') return undefined;
  if (m.startsWith('container:')) {
    const pid = containerPid(m.slice('container:'.length));
    const file = { pid: 'pid', ipc: 'ipc', uts: 'uts', network: 'net', mount: 'mnt', cgroup: 'cgroup', user: 'user' }[type];
    return { type, path: `/proc/${pid}/ns/${file}` };
  }
  if (m === '' || (type === 'ipc' && (m === 'private' || m === 'shareable' || m === 'none'))) return { type };
  problems.push(`Invalid ${type === 'uts' ? 'UTS' : type.toUpperCase()} mode: ${m}`);
  return { type };
}

/** What /dev/shm is for an IpcMode (moby daemon/container_operations_unix.go setupIpcDirs). */
function shmFor(mode: string | undefined, containerShm: ((ref: string) => string) | undefined): ContainerSpec['shm'] {
  const m = mode ?? '';
  if (m === 'none') return { kind: 'none' };
  if (m === 'host') return { kind: 'bind', source: '/dev/shm' };
  if (m === 'shareable') return { kind: 'shareable' };
  if (m.startsWith('container:')) {
    // Only checked at create (phase 'create' passes no resolver): the donor is looked up at start.
    if (!containerShm) return { kind: 'tmpfs' };
    return { kind: 'bind', source: containerShm(m.slice('container:'.length)) };
  }
  return { kind: 'tmpfs' };
}

/** Capabilities named as dockerd names the field they came from. */
function checkCapabilities(hc: HostConfig, problems: string[]): void {
  for (const [field, list] of [['CapAdd', hc.CapAdd], ['CapDrop', hc.CapDrop]] as const) {
    try {
      resolveCapabilities(field === 'CapAdd' ? (list ?? []) : [], field === 'CapDrop' ? (list ?? []) : []);
    } catch (e) {
      if (e instanceof ContainerSpecError) problems.push(...e.problems.map((p) => `invalid ${field}: ${p}`));
      else throw e;
    }
  }
}

/** The ContainerSpec parts the engine decides (the runner adds rootfs, cgroups and etc files). */
export function buildContainerSpec(i: SpecInputs): Omit<ContainerSpec, 'rootfs' | 'cgroupsPath' | 'etcFiles'> {
  const problems: string[] = [];
  const hc = i.hostConfig;
  const atCreate = i.phase === 'create';
  let args = commandOf(i.config);
  if (args.length === 0) problems.push('no command specified');
  const wd = i.config.WorkingDir || '/';
  if (!wd.startsWith('/')) problems.push(`the working directory '${wd}' is invalid, it needs to be an absolute path.`);
  checkCapabilities(hc, problems);
  const security = parseSecurityOpts(hc.SecurityOpt ?? []);
  problems.push(...security.problems);
  let deviceRules: DeviceRule[] = [];
  try {
    deviceRules = parseDeviceCgroupRules(hc.DeviceCgroupRules ?? []);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (hc.Cgroup) problems.push(`HostConfig.Cgroup (${hc.Cgroup}) is not supported by the built-in engine`);
  const mounts = [...i.mounts];
  if (hc.Init && i.initBinary) {
    mounts.push({ type: 'bind', source: i.initBinary, target: INIT_PATH, readonly: true });
    args = [INIT_PATH, '--', ...args];
  }
  const namespaces: NamespaceSpec[] = [{ type: 'mount' }];
  const net = networkChoice(hc.NetworkMode);
  if (net.kind !== 'host') namespaces.push(i.netnsPath ? { type: 'network', path: i.netnsPath } : { type: 'network' });
  // dockerd refuses a bad IPC mode when the container starts, the others at create.
  const nsProblems: string[] = [];
  for (const [type, mode] of [['uts', hc.UTSMode], ['pid', hc.PidMode], ['ipc', hc.IpcMode]] as const) {
    const ns = namespaceFor(type, mode, i.containerPid, type === 'ipc' && atCreate ? [] : nsProblems);
    if (ns) namespaces.push(ns);
  }
  problems.push(...nsProblems);
  if (hc.CgroupnsMode === 'private') namespaces.push({ type: 'cgroup' });
  else if (hc.CgroupnsMode && hc.CgroupnsMode !== 'host') problems.push(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
  const rlimits: Rlimit[] = (hc.Ulimits ?? []).map((u) => ({ type: u.Name, soft: u.Soft, hard: u.Hard }));
  if (problems.length > 0) throw new TranslateError(problems);
  const hostNet = net.kind === 'host';
  const utsHost = hc.UTSMode === 'host';
  const privileged = hc.Privileged === true;
  return {
    args,
    env: i.config.Env ?? [],
    cwd: wd,
    user: i.user,
    // In the host's UTS namespace the container keeps the host's name (runc cannot set one there).
    ...(utsHost || (hostNet && hc.UTSMode === 'host') ? {} : { hostname: i.config.Hostname, ...(i.config.Domainname ? { domainname: i.config.Domainname } : {}) }),
    tty: i.config.Tty === true,
    ...(hc.ConsoleSize && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0 ? { consoleSize: { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] } } : {}),
    readonlyRootfs: hc.ReadonlyRootfs === true,
    mounts,
    namespaces,
    // Privileged: every capability, every host device, no seccomp filter, nothing masked (moby's WithPrivileged).
    capAdd: privileged ? ['ALL'] : (hc.CapAdd ?? []),
    capDrop: hc.CapDrop ?? [],
    rlimits,
    resources: {
      memory: hc.Memory || undefined,
      memoryReservation: hc.MemoryReservation || undefined,
      memorySwap: hc.MemorySwap || undefined,
      cpuShares: hc.CpuShares || undefined,
      nanoCpus: hc.NanoCpus || undefined,
      cpuPeriod: hc.CpuPeriod || undefined,
      cpuQuota: hc.CpuQuota || undefined,
      cpusetCpus: hc.CpusetCpus || undefined,
      cpusetMems: hc.CpusetMems || undefined,
      pidsLimit: hc.PidsLimit ?? undefined,
      ...(hc.MemorySwappiness !== undefined && hc.MemorySwappiness !== null && hc.MemorySwappiness >= 0 ? { swappiness: hc.MemorySwappiness } : {}),
      ...(hc.OomKillDisable ? { oomKillDisable: true } : {}),
      ...(i.blockIO ? { blockIO: i.blockIO } : {}),
    },
    sysctls: hc.Sysctls ?? {},
    ...(hc.ShmSize ? { shmSize: hc.ShmSize } : {}),
    shm: shmFor(hc.IpcMode, i.containerShm),
    ...(hc.OomScoreAdj ? { oomScoreAdj: hc.OomScoreAdj } : {}),
    noNewPrivileges: security.options.noNewPrivileges,
    seccomp: privileged ? 'unconfined' : security.options.seccomp,
    ...(privileged ? { maskedPaths: [], readonlyPaths: [] } : {
      ...(hc.MaskedPaths ? { maskedPaths: hc.MaskedPaths } : security.options.systemPathsUnconfined ? { maskedPaths: [] } : {}),
      ...(hc.ReadonlyPaths ? { readonlyPaths: hc.ReadonlyPaths } : security.options.systemPathsUnconfined ? { readonlyPaths: [] } : {}),
    }),
    ...(i.devices ? { devices: i.devices.devices } : {}),
    deviceRules: [...(i.devices?.rules ?? []), ...deviceRules],
    ...(hc.Annotations && Object.keys(hc.Annotations).length > 0 ? { annotations: hc.Annotations } : {}),
  };
}

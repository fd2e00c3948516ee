// Host devices a container gets (`--device`, `--privileged`) and the device cgroup rules that let
// it use them (`--device-cgroup-rule`), as moby's daemon/devices_linux.go and oci/devices_linux.go
// make them: a device node is looked up on the host (symlinks followed, a directory adds every
// device below it), recreated in the container at its path with the host's numbers and mode, and
// allowed in the device cgroup with the mapping's permissions.

import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

/** runtime-spec's LinuxDevice. */
export interface OciDevice {
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** runtime-spec's LinuxDeviceCgroup. */
export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access: string;
}

export class DeviceError extends Error {
  readonly apiKind = 'invalid';
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}

/** `rwm`, `r`, `mw`…: each of r, w, m at most once (moby's ValidDeviceMode). */
export function validDeviceMode(mode: string): boolean {
  return mode.length > 0 && mode.length <= 3 && /^[rwm]+$/.test(mode) && new Set(mode).size === mode.length;
}

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `c 13:* rwm` → a device cgroup rule; throws with dockerd's message for anything else. */
export function parseDeviceCgroupRules(rules: readonly string[]): DeviceRule[] {
  return rules.map((r) => {
    const m = RULE.exec(r.trim());
    if (!m || !validDeviceMode(m[4])) throw new DeviceError(`invalid device cgroup format '${r}'`);
    return {
      allow: true,
      type: m[1] as 'a' | 'c' | 'b',
      ...(m[2] !== '*' ? { major: Number(m[2]) } : {}),
      ...(m[3] !== '*' ? { minor: Number(m[3]) } : {}),
      access: m[4],
    };
  });
}

/** Checks the mappings without touching the host: what dockerd refuses at create. */
export function checkDeviceMappings(mappings: readonly DeviceMapping[]): string[] {
  const problems: string[] = [];
  for (const m of mappings) {
    const perms = m.CgroupPermissions || 'rwm';
    if (!m.PathOnHost) problems.push('device mapping needs a PathOnHost');
    else if (!validDeviceMode(perms)) problems.push(`invalid device mode: ${perms}`);
    if (m.PathInContainer && !m.PathInContainer.startsWith('/')) problems.push(`${m.PathInContainer} is not an absolute path`);
  }
  return problems;
}

// Linux's new_encode_dev layout of st_rdev.
const major = (rdev: number): number => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number): number => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & 0xfff00n);

async function deviceAt(hostPath: string, containerPath: string): Promise<OciDevice | 'not-a-device'> {
  const st = await stat(hostPath);
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) return 'not-a-device';
  return { path: containerPath, type, major: major(st.rdev), minor: minor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** Every device node under `dir` (recursively), skipping what cannot be read. */
async function devicesUnder(dir: string, skip: readonly string[] = []): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (skip.includes(p)) continue;
    if (e.isDirectory()) out.push(...(await devicesUnder(p, skip)));
    else if (e.isCharacterDevice() || e.isBlockDevice()) out.push(p);
  }
  return out;
}

/**
 * The devices and cgroup rules for `--device` mappings. A missing host device is dockerd's
 * "error gathering device information while adding custom device …".
 */
export async function resolveDeviceMappings(mappings: readonly DeviceMapping[]): Promise<{ devices: OciDevice[]; rules: DeviceRule[] }> {
  const devices: OciDevice[] = [];
  const rules: DeviceRule[] = [];
  for (const m of mappings) {
    const onHost = m.PathOnHost ?? '';
    const inContainer = m.PathInContainer || onHost;
    const access = m.CgroupPermissions || 'rwm';
    let resolved: string;
    try {
      resolved = await realpath(onHost);
      const found = await deviceAt(resolved, inContainer);
      if (found !== 'not-a-device') {
        devices.push(found);
        rules.push({ allow: true, type: found.type === 'b' ? 'b' : 'c', major: found.major, minor: found.minor, access });
        continue;
      }
      if (!(await lstat(resolved)).isDirectory()) throw Object.assign(new Error('not a device node'), { code: 'ENODEV' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      throw new DeviceError(`error gathering device information while adding custom device ${JSON.stringify(onHost)}: ${reason}`);
    }
    // A directory: every device below it, at the same place under the container path.
    for (const p of await devicesUnder(resolved)) {
      const found = await deviceAt(p, path.join(inContainer, path.relative(resolved, p)));
      if (found === 'not-a-device') continue;
      devices.push(found);
      rules.push({ allow: true, type: found.type === 'b' ? 'b' : 'c', major: found.major, minor: found.minor, access });
    }
  }
  return { devices, rules };
}

/** `--privileged`: every device of the host (moby devices.HostDevices), and the cgroup allows all. */
export async function hostDevices(): Promise<{ devices: OciDevice[]; rules: DeviceRule[] }> {
  const skip = ['/dev/pts', '/dev/shm', '/dev/fd', '/dev/mqueue', '/dev/.lxc', '/dev/.lxd-mounts', '/dev/.udev', '/dev/console'];
  const devices: OciDevice[] = [];
  for (const p of await devicesUnder('/dev', skip)) {
    const found = await deviceAt(p, p).catch(() => 'not-a-device' as const);
    if (found !== 'not-a-device') devices.push(found);
  }
  return { devices, rules: [{ allow: true, access: 'rwm' }] };
}

type Throttle = { major: number; minor: number; rate: number }[];

/** runtime-spec's LinuxBlockIO, as far as the engine fills it. */
export interface BlockIO {
  weight?: number;
  weightDevice?: { major: number; minor: number; weight: number }[];
  throttleReadBpsDevice?: Throttle;
  throttleWriteBpsDevice?: Throttle;
  throttleReadIOPSDevice?: Throttle;
  throttleWriteIOPSDevice?: Throttle;
}

export interface ThrottleRequest {
  Path?: string;
  Rate?: number;
}

/** Block I/O throttles (`--device-read-bps` …) with each device's numbers from the host. */
export async function resolveThrottles(hc: {
  BlkioWeight?: number;
  BlkioWeightDevice?: readonly { Path?: string; Weight?: number }[] | null;
  BlkioDeviceReadBps?: readonly ThrottleRequest[] | null;
  BlkioDeviceWriteBps?: readonly ThrottleRequest[] | null;
  BlkioDeviceReadIOps?: readonly ThrottleRequest[] | null;
  BlkioDeviceWriteIOps?: readonly ThrottleRequest[] | null;
}): Promise<BlockIO | undefined> {
  const one = async (list: readonly ThrottleRequest[] | null | undefined): Promise<{ major: number; minor: number; rate: number }[] | undefined> => {
    if (!list || list.length === 0) return undefined;
    const out: { major: number; minor: number; rate: number }[] = [];
    for (const t of list) {
      let st;
      try {
        st = await stat(t.Path ?? '');
      } catch (e) {
        throw new DeviceError(`error gathering device information for ${JSON.stringify(t.Path ?? '')}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      }
      if (!st.isBlockDevice()) throw new DeviceError(`${t.Path} is not a block device`);
      out.push({ major: major(st.rdev), minor: minor(st.rdev), rate: t.Rate ?? 0 });
    }
    return out;
  };
  const weights = await one((hc.BlkioWeightDevice ?? []).map((w) => ({ Path: w.Path, Rate: w.Weight })));
  const r = {
    ...(hc.BlkioWeight ? { weight: hc.BlkioWeight } : {}),
    weightDevice: weights?.map((w) => ({ major: w.major, minor: w.minor, weight: w.rate })),
    throttleReadBpsDevice: await one(hc.BlkioDeviceReadBps),
    throttleWriteBpsDevice: await one(hc.BlkioDeviceWriteBps),
    throttleReadIOPSDevice: await one(hc.BlkioDeviceReadIOps),
    throttleWriteIOPSDevice: await one(hc.BlkioDeviceWriteIOps),
  };
  const present = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
  return Object.keys(present).length > 0 ? present : undefined;
}

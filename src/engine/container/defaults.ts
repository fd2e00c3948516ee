// What a container's stored configuration says after create: the client's values with dockerd's
// defaults filled in (moby daemon.adaptContainerSettings and create.go), so that inspect shows
// what the container actually gets — ShmSize 64 MiB, IpcMode private, the cgroup namespace mode,
// the masked and read-only paths applied — and the CLI's "unset" spellings (MemorySwappiness -1,
// PidsLimit 0, Volumes {}) read as dockerd shows them: null.

import type { ContainerConfig, HostConfig } from '../backend.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS } from '../runtime/oci-spec.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** `--security-opt systempaths=unconfined`: no masked or read-only /proc and /sys paths. */
export function systemPathsUnconfined(hc: HostConfig): boolean {
  return (hc.SecurityOpt ?? []).some((o) => /^systempaths[=:]unconfined$/.test(o));
}

export function hostConfigWithDefaults(hc: HostConfig, host: { cgroupV1: boolean }): HostConfig {
  const out: HostConfig = { ...hc };
  if (!out.ShmSize) out.ShmSize = DEFAULT_SHM_SIZE;
  if (!out.IpcMode) out.IpcMode = 'private';
  if (!out.CgroupnsMode) out.CgroupnsMode = host.cgroupV1 ? 'host' : 'private';
  if (!out.Runtime) out.Runtime = 'runc';
  if (out.Memory && out.Memory > 0 && !out.MemorySwap) out.MemorySwap = out.Memory * 2;
  if (out.MemorySwappiness === -1) out.MemorySwappiness = null;
  if (out.PidsLimit !== undefined && out.PidsLimit !== null && out.PidsLimit <= 0) out.PidsLimit = null;
  if (out.OomKillDisable === undefined || out.OomKillDisable === null) out.OomKillDisable = false;
  const unconfined = systemPathsUnconfined(out);
  if (out.MaskedPaths === undefined || out.MaskedPaths === null) out.MaskedPaths = out.Privileged ? null : unconfined ? [] : [...DOCKER_MASKED_PATHS];
  if (out.ReadonlyPaths === undefined || out.ReadonlyPaths === null) out.ReadonlyPaths = out.Privileged ? null : unconfined ? [] : [...DOCKER_READONLY_PATHS];
  return out;
}

export function configWithDefaults(c: ContainerConfig): ContainerConfig {
  const out: ContainerConfig = { ...c };
  // The CLI sends `"Volumes": {}` when none are asked for; dockerd shows null then.
  if (out.Volumes && Object.keys(out.Volumes).length === 0) out.Volumes = null;
  return out;
}

// The networks and volumes an `up` needs: created when missing, checked when they exist (a volume
// is never replaced: its data would be lost), refused when external and absent. Part of the
// planner (plan.ts), pure like it.

import type { NetworkCreateBody, VolumeCreateBody } from '../client/engine-port.js';
import { ComposeError } from '../errors.js';
import type { Project } from '../model/project.js';
import { networkLabels, volumeLabels } from '../observe/labels.js';
import type { ObservedState } from '../observe/state.js';
import type { resolvePlacement } from './placement.js';
import { byString } from './util.js';

export interface NetworkStep {
  resource: 'network';
  action: 'create' | 'exists' | 'external';
  key: string;
  name: string;
  cause: string;
  body?: NetworkCreateBody;
}

export interface VolumeStep {
  resource: 'volume';
  action: 'create' | 'exists' | 'external';
  key: string;
  name: string;
  cause: string;
  body?: VolumeCreateBody;
}

/** What planning resources reads from the planner, and where it reports. */
export interface ResourceContext {
  project: Project;
  state: ObservedState;
  placement: ReturnType<typeof resolvePlacement>;
  errors: ComposeError[];
  warnings: string[];
}

export function planNetworks(ctx: ResourceContext, selected: readonly string[]): NetworkStep[] {
  const used = new Set<string>();
  for (const s of selected) {
    const svc = ctx.project.services[s];
    const g = ctx.placement.groupOf(s);
    if (svc.network_mode && !g) continue;
    for (const key of Object.keys(svc.networks ?? {})) used.add(key);
  }
  const steps: NetworkStep[] = [];
  if (!ctx.state.networksSupported) {
    const named = [...used].filter((k) => k !== 'default');
    if (named.length) ctx.warnings.push(`the engine has no networks: ${named.join(', ')} not created; containers get loopback only`);
    return steps;
  }
  for (const key of [...used].sort(byString)) {
    const net = ctx.project.networks[key];
    if (!net) continue;
    if (net.external) {
      if (!ctx.state.externalNetworks[net.name]) {
        ctx.errors.push(new ComposeError(`network ${net.name} declared as external, but could not be found`, { location: { path: ['networks', key] }, hint: `create it first (docker network create ${net.name})` }));
      }
      steps.push({ resource: 'network', action: 'external', key, name: net.name, cause: 'external' });
      continue;
    }
    const found = ctx.state.networks.find((n) => n.name === net.name);
    if (found) {
      const wantDriver = net.driver ?? 'bridge';
      if (found.driver && found.driver !== wantDriver) {
        ctx.errors.push(new ComposeError(`network ${net.name} exists with driver ${found.driver}, but the project wants ${wantDriver}`, { location: { path: ['networks', key] }, hint: 'run `berth down` to remove it, then `berth up`' }));
      }
      steps.push({ resource: 'network', action: 'exists', key, name: net.name, cause: 'up to date' });
      continue;
    }
    const ipam = net.ipam
      ? {
          ...(net.ipam.driver ? { Driver: net.ipam.driver } : {}),
          ...(net.ipam.config ? { Config: net.ipam.config.map((c) => ({ ...(c.subnet ? { Subnet: c.subnet } : {}), ...(c.ip_range ? { IPRange: c.ip_range } : {}), ...(c.gateway ? { Gateway: c.gateway } : {}), ...(c.aux_addresses ? { AuxiliaryAddresses: c.aux_addresses } : {}) })) } : {}),
          ...(net.ipam.options ? { Options: net.ipam.options } : {}),
        }
      : undefined;
    steps.push({
      resource: 'network',
      action: 'create',
      key,
      name: net.name,
      cause: 'not found',
      body: {
        Name: net.name,
        CheckDuplicate: true,
        Driver: net.driver ?? 'bridge',
        ...(net.driver_opts ? { Options: net.driver_opts } : {}),
        ...(net.internal ? { Internal: true } : {}),
        ...(net.attachable ? { Attachable: true } : {}),
        ...(net.enable_ipv6 ? { EnableIPv6: true } : {}),
        ...(ipam ? { IPAM: ipam } : {}),
        Labels: networkLabels(ctx.project.name, key, net.labels),
      },
    });
  }
  return steps;
}

export function planVolumes(ctx: ResourceContext, selected: readonly string[]): VolumeStep[] {
  const used = new Set<string>();
  for (const s of selected) for (const v of ctx.project.services[s].volumes ?? []) if (v.type === 'volume' && v.source) used.add(v.source);
  const steps: VolumeStep[] = [];
  if (!ctx.state.volumesSupported) {
    if (used.size) ctx.errors.push(new ComposeError(`the engine has no volumes, but the project mounts ${[...used].sort().join(', ')}`, { hint: 'use a Docker Engine (--engine docker) or a berth engine with volumes' }));
    return steps;
  }
  for (const key of [...used].sort(byString)) {
    const vol = ctx.project.volumes[key];
    if (!vol) continue;
    if (vol.external) {
      if (!ctx.state.externalVolumes[vol.name]) {
        ctx.errors.push(new ComposeError(`external volume "${vol.name}" not found`, { location: { path: ['volumes', key] }, hint: `create it first (docker volume create ${vol.name})` }));
      }
      steps.push({ resource: 'volume', action: 'external', key, name: vol.name, cause: 'external' });
      continue;
    }
    const found = ctx.state.volumes.find((v) => v.name === vol.name);
    if (found) {
      const wantDriver = vol.driver ?? 'local';
      if (found.driver !== wantDriver) {
        // Never recreate a volume: that would lose its data.
        ctx.errors.push(new ComposeError(`volume ${vol.name} exists with driver ${found.driver}, but the project wants ${wantDriver}; berth does not replace a volume (its data would be lost)`, { location: { path: ['volumes', key] }, hint: `remove it yourself (docker volume rm ${vol.name}) if the data may go, or set the driver back` }));
      }
      steps.push({ resource: 'volume', action: 'exists', key, name: vol.name, cause: 'up to date' });
      continue;
    }
    steps.push({
      resource: 'volume',
      action: 'create',
      key,
      name: vol.name,
      cause: 'not found',
      body: { Name: vol.name, Driver: vol.driver ?? 'local', ...(vol.driver_opts ? { DriverOpts: vol.driver_opts } : {}), Labels: volumeLabels(ctx.project.name, key, vol.labels) },
    });
  }
  return steps;
}

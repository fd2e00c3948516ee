// What `docker inspect`, `docker ps` and their filters show of a container: pure functions of its
// record and of a few lookups into the engine's other rooms (network names, health, paths), which
// the caller provides through `ContainerViewContext`.

import path from 'node:path';
import type { ContainerInspect, ContainerListOptions, ContainerSummary, EndpointSettings, MountPoint, PortBinding, PortSummary } from '../backend.js';
import type { HealthState } from '../supervise/health.js';
import { commandOf, humanDuration, networkChoice } from '../runtime/translate.js';
import type { ContainerMount } from '../volumes/service.js';
import { selectContainers } from './list.js';
import { primaryEndpoint, type ContainerRecord } from './record.js';
import type { LiveContainer } from './table.js';

export interface ContainerViewContext {
  now(): number;
  paths(id: string): { rootfs: string; upper: string; work: string; init: string; etc: string; log: string };
  /** The health of a running container as its monitor sees it now. */
  health(id: string): HealthState | undefined;
  network(id: string): { id: string; name: string; predefined: boolean } | undefined;
  networkNamed(ref: string): { id: string } | undefined;
  netnsPath(containerId: string): string;
  mounts(rec: ContainerRecord): ContainerMount[];
  mountPoints(mounts: readonly ContainerMount[]): MountPoint[];
}

/**
 * `docker inspect` of a container. `imageLowerDirs`: its image's layers (top first), for
 * GraphDriver.Data.LowerDir, which lists the init layer above them as dockerd's does.
 */
export function inspectOf(ctx: ContainerViewContext, live: LiveContainer, imageLowerDirs: readonly string[] = []): ContainerInspect {
  const rec = live.rec;
  const p = ctx.paths(rec.id);
  const cmd = commandOf(rec.config);
  const networks = endpointViews(ctx, rec);
  const primary = detached(rec) ? undefined : primaryEndpoint(rec);
  const onDefault = primary && ctx.network(primary.networkId)?.name === 'bridge' ? primary : undefined;
  const health = rec.state.Running ? ctx.health(rec.id) : undefined;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: cmd[0] ?? '',
    Args: cmd.slice(1),
    State: { ...rec.state, ...(health ? { Health: health } : {}) },
    Image: rec.image,
    ResolvConfPath: path.join(p.etc, 'resolv.conf'),
    HostnamePath: path.join(p.etc, 'hostname'),
    HostsPath: path.join(p.etc, 'hosts'),
    LogPath: p.log,
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: live.execIds.length > 0 ? [...live.execIds] : null,
    HostConfig: rec.hostConfig,
    GraphDriver: { Name: 'overlay', Data: { ...(imageLowerDirs.length > 0 ? { LowerDir: [p.init, ...imageLowerDirs].join(':') } : {}), MergedDir: p.rootfs, UpperDir: p.upper, WorkDir: p.work } },
    Mounts: ctx.mountPoints(ctx.mounts(rec)),
    Config: rec.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: rec.endpoints ? rec.id : '',
      SandboxKey: rec.endpoints ? ctx.netnsPath(rec.id) : '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: portsView(rec),
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      // The pre-1.44 top-level fields describe the default bridge endpoint (`docker inspect -f '{{.NetworkSettings.IPAddress}}'`).
      Gateway: onDefault?.gateway ?? '',
      IPAddress: onDefault?.address ?? '',
      IPPrefixLen: onDefault?.prefix ?? 0,
      MacAddress: onDefault?.mac ?? '',
      EndpointID: onDefault?.endpointId ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPv6Gateway: '',
      Networks: networks,
    },
  };
}

/** `docker ps`'s STATUS column. */
export function statusText(rec: ContainerRecord, now: number): string {
  const s = rec.state;
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Running) {
    const health = s.Health && s.Health.Status !== 'none' ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : '';
    return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : health}`;
  }
  if (s.Status === 'created') return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/**
 * A container that ran and stopped: dockerd releases its endpoints at exit, so inspect shows them
 * empty (berth keeps the address reserved for the next start, but it is not in use).
 */
function detached(rec: ContainerRecord): boolean {
  return rec.hasBeenStarted && !rec.state.Running;
}

/** NetworkSettings.Networks: endpoints by network name; `host`/`none` as dockerd shows them. */
export function endpointViews(ctx: ContainerViewContext, rec: ContainerRecord): Record<string, EndpointSettings> {
  const choice = networkChoice(rec.hostConfig.NetworkMode);
  if (choice.kind === 'host' || choice.kind === 'none') {
    const n = ctx.networkNamed(choice.kind);
    return { [choice.kind]: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: n?.id ?? '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null } };
  }
  const out: Record<string, EndpointSettings> = {};
  const gone = detached(rec);
  for (const ep of Object.values(rec.endpoints ?? {})) {
    const n = ctx.network(ep.networkId);
    if (!n) {
      // Removed while the container was stopped: dockerd still names it, with its id and nothing else.
      if (ep.networkName) out[ep.networkName] = { IPAMConfig: null, Links: null, Aliases: ep.aliases.length > 0 ? [...ep.aliases] : null, NetworkID: ep.networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null };
      continue;
    }
    // On a user-defined network dockerd adds the short id to the aliases when it connects the endpoint.
    const aliases = !n.predefined && rec.hasBeenStarted && !ep.aliases.includes(rec.id.slice(0, 12)) ? [...ep.aliases, rec.id.slice(0, 12)] : ep.aliases;
    out[n.name] = {
      IPAMConfig: ep.requestedAddress ? { IPv4Address: ep.requestedAddress } : null,
      Links: rec.hostConfig.Links && rec.hostConfig.Links.length > 0 ? [...rec.hostConfig.Links] : null,
      Aliases: aliases.length > 0 ? [...aliases] : null,
      NetworkID: n.id,
      EndpointID: gone ? '' : ep.endpointId,
      Gateway: gone ? '' : ep.gateway,
      IPAddress: gone ? '' : ep.address,
      IPPrefixLen: gone ? 0 : ep.prefix,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: gone ? '' : ep.mac,
      DriverOpts: null,
    };
  }
  return out;
}

/**
 * NetworkSettings.Ports: every exposed or published port, with its host bindings while running;
 * nothing before the first start (dockerd fills the map when it starts the container).
 */
export function portsView(rec: ContainerRecord): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  if (!rec.hasBeenStarted && !rec.state.Running) return out;
  for (const key of Object.keys(rec.config.ExposedPorts ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
  if (rec.state.Running) {
    for (const p of rec.ports ?? []) {
      const key = `${p.containerPort}/${p.proto}`;
      out[key] = [...(out[key] ?? []), { HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) }];
    }
  }
  return out;
}

export function portSummaries(rec: ContainerRecord): PortSummary[] {
  const out: PortSummary[] = [];
  for (const [key, bindings] of Object.entries(portsView(rec))) {
    const [port, proto] = key.split('/');
    const Type = (proto ?? 'tcp') as PortSummary['Type'];
    if (!bindings) out.push({ PrivatePort: Number(port), Type });
    else for (const b of bindings) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type });
  }
  return out;
}

export function summaryOf(ctx: ContainerViewContext, live: LiveContainer): ContainerSummary {
  const rec = live.rec;
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.imageRef,
    ImageID: rec.image,
    Command: commandLine(commandOf(rec.config)),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: portSummaries(rec),
    Labels: rec.config.Labels ?? {},
    State: rec.state.Status,
    Status: statusText(rec, ctx.now()),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'bridge' },
    NetworkSettings: { Networks: endpointViews(ctx, rec) },
    Mounts: ctx.mountPoints(ctx.mounts(rec)),
  };
}

/** `docker ps`: the containers `options` select (container/list.ts), newest first. `ancestorIds`: the image ids the ancestor filter names. */
export function listContainers(ctx: ContainerViewContext, containers: Iterable<LiveContainer>, options: ContainerListOptions, ancestorIds: ReadonlySet<string>): ContainerSummary[] {
  const selected = selectContainers(containers, options, {
    ancestorIds,
    health: (l) => healthStatus(ctx, l.rec),
    networks: (l) => Object.keys(l.rec.endpoints ?? {}).flatMap((id) => {
      const n = ctx.network(id);
      return n ? [{ name: n.name, id: n.id }] : [];
    }),
    mounts: (l) => ctx.mounts(l.rec),
    ports: (l) => portSummaries(l.rec),
  });
  return selected.map((l) => summaryOf(ctx, l));
}

/** The health status `docker ps` filters on: `none` without a health check. */
function healthStatus(ctx: ContainerViewContext, rec: ContainerRecord): string {
  if (!rec.state.Health) return 'none';
  return (rec.state.Running ? ctx.health(rec.id)?.Status : undefined) ?? rec.state.Health.Status;
}

/** `docker ps`'s COMMAND: the path, then the arguments, those with a space in single quotes (moby daemon/list.go). */
export function commandLine(args: readonly string[]): string {
  return args.map((a, i) => (i > 0 && a.includes(' ') ? `'${a}'` : a)).join(' ');
}

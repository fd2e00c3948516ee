// What `docker inspect`, `docker ps` and their filters show of a container: pure functions of its
// record and of a few lookups into the engine's other rooms (network names, health, paths), which
// the caller provides through `ContainerViewContext`.

import path from 'node:path';
import type { ContainerInspect, ContainerListOptions, ContainerSummary, EndpointSettings, MountPoint, PortBinding, PortSummary } from '../backend.js';
import type { HealthState } from '../supervise/health.js';
import { commandOf, humanDuration, networkChoice } from '../runtime/translate.js';
import type { ContainerMount } from '../volumes/service.js';
import { primaryEndpoint, type ContainerRecord } from './record.js';
import type { LiveContainer } from './table.js';

export interface ContainerViewContext {
  now(): number;
  paths(id: string): { rootfs: string; upper: string; work: string; etc: string; log: string };
  /** The health of a running container as its monitor sees it now. */
  health(id: string): HealthState | undefined;
  network(id: string): { id: string; name: string; predefined: boolean } | undefined;
  networkNamed(ref: string): { id: string } | undefined;
  netnsPath(containerId: string): string;
  mounts(rec: ContainerRecord): ContainerMount[];
  mountPoints(mounts: readonly ContainerMount[]): MountPoint[];
}

export function inspectOf(ctx: ContainerViewContext, live: LiveContainer): ContainerInspect {
  const rec = live.rec;
  const p = ctx.paths(rec.id);
  const cmd = commandOf(rec.config);
  const networks = endpointViews(ctx, rec);
  const primary = primaryEndpoint(rec);
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
    GraphDriver: { Name: 'overlay', Data: { MergedDir: p.rootfs, UpperDir: p.upper, WorkDir: p.work } },
    Mounts: ctx.mountPoints(ctx.mounts(rec)),
    Config: rec.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: rec.endpoints ? rec.id : '',
      SandboxKey: rec.endpoints ? ctx.netnsPath(rec.id) : '',
      Ports: portsView(rec),
      // The pre-1.44 top-level fields describe the default bridge endpoint (`docker inspect -f '{{.NetworkSettings.IPAddress}}'`).
      Gateway: onDefault?.gateway ?? '',
      IPAddress: onDefault?.address ?? '',
      IPPrefixLen: onDefault?.prefix ?? 0,
      MacAddress: onDefault?.mac ?? '',
      EndpointID: onDefault?.endpointId ?? '',
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

/** NetworkSettings.Networks: endpoints by network name; `host`/`none` as dockerd shows them. */
export function endpointViews(ctx: ContainerViewContext, rec: ContainerRecord): Record<string, EndpointSettings> {
  const choice = networkChoice(rec.hostConfig.NetworkMode);
  if (choice.kind === 'host' || choice.kind === 'none') {
    const n = ctx.networkNamed(choice.kind);
    return { [choice.kind]: { IPAMConfig: null, Links: null, Aliases: null, NetworkID: n?.id ?? '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '', DNSNames: null } };
  }
  const out: Record<string, EndpointSettings> = {};
  for (const ep of Object.values(rec.endpoints ?? {})) {
    const n = ctx.network(ep.networkId);
    if (!n) continue;
    out[n.name] = {
      IPAMConfig: ep.requestedAddress ? { IPv4Address: ep.requestedAddress } : null,
      Links: rec.hostConfig.Links && rec.hostConfig.Links.length > 0 ? [...rec.hostConfig.Links] : null,
      Aliases: ep.aliases.length > 0 ? [...ep.aliases] : null,
      MacAddress: ep.mac,
      NetworkID: n.id,
      EndpointID: ep.endpointId,
      Gateway: ep.gateway,
      IPAddress: ep.address,
      IPPrefixLen: ep.prefix,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: n.predefined ? null : [rec.name, rec.id.slice(0, 12), ...ep.aliases],
    };
  }
  return out;
}

/** NetworkSettings.Ports: every exposed or published port, with its host bindings while running. */
export function portsView(rec: ContainerRecord): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  for (const key of Object.keys(rec.config.ExposedPorts ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
  if (rec.state.Running) {
    for (const p of rec.ports ?? []) {
      const key = `${p.containerPort}/${p.proto}`;
      out[key] = [...(out[key] ?? []), { HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) }];
    }
  }
  return out;
}

function portSummaries(rec: ContainerRecord): PortSummary[] {
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
    Command: commandOf(rec.config).join(' '),
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

/** `docker ps`: the containers `options` select, newest first. `ancestorIds`: the image ids the ancestor filter names. */
export function listContainers(ctx: ContainerViewContext, containers: Iterable<LiveContainer>, options: ContainerListOptions, ancestorIds: ReadonlySet<string>): ContainerSummary[] {
  const f = options.filters;
  const all = options.all || (f.status ?? []).some((s) => s !== 'running') || (f.exited ?? []).length > 0;
  let list = [...containers].filter((l) => all || l.rec.state.Running);
  const keep = (key: string, test: (l: LiveContainer, v: string) => boolean): void => {
    const values = f[key];
    if (values && values.length > 0) list = list.filter((l) => values.some((v) => test(l, v)));
  };
  keep('status', (l, v) => l.rec.state.Status === v);
  keep('id', (l, v) => l.rec.id.startsWith(v));
  keep('name', (l, v) => {
    try {
      return new RegExp(v.replace(/^\//, '')).test(l.rec.name);
    } catch {
      return l.rec.name.includes(v);
    }
  });
  keep('ancestor', (l, v) => ancestorIds.has(l.rec.image) || l.rec.imageRef === v);
  // `volume=` matches a volume name or a mount destination (moby's container list filter).
  keep('volume', (l, v) => ctx.mounts(l.rec).some((m) => m.name === v || m.destination === v || (m.type === 'bind' && m.source === v)));
  keep('exited', (l, v) => !l.rec.state.Running && l.rec.hasBeenStarted && l.rec.state.ExitCode === Number(v));
  // Labels AND together (docker ps --filter label=a --filter label=b needs both).
  for (const label of f.label ?? []) {
    const eq = label.indexOf('=');
    list = list.filter((l) => {
      const labels = l.rec.config.Labels ?? {};
      return eq < 0 ? label in labels : labels[label.slice(0, eq)] === label.slice(eq + 1);
    });
  }
  const out = list.map((l) => summaryOf(ctx, l)).sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
  return options.limit !== undefined && options.limit > 0 ? out.slice(0, options.limit) : out;
}

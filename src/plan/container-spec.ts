// Container create translation: a canonical ServiceConfig → the Docker `POST /containers/create`
// body, the way Compose v2 builds it. Pure: references to other containers are by name
// (`container:<project>-<svc>-1`), which every Docker API engine resolves, so the body can be
// computed at plan time and printed. Networks: the body carries only the primary network (engines
// before API 1.44 accept one endpoint at create); the others are connected before start.

import type { ContainerCreateBody, EndpointSettings } from '../client/engine-port.js';
import { ComposeError } from '../errors.js';
import { parseDuration } from '../loader/durations.js';
import type { Project, ServiceConfig, ServiceNetwork } from '../model/project.js';
import { containerName } from '../observe/labels.js';

export interface NetworkAttachment {
  /** Key in the project's networks. */
  key: string;
  /** Engine-side name. */
  name: string;
  endpoint: EndpointSettings;
}

export interface ContainerSpec {
  name: string;
  body: ContainerCreateBody;
  /** Attachments in connect order; the first one is in the body already. */
  networks: NetworkAttachment[];
}

export interface SpecContext {
  project: Project;
  service: string;
  number: number;
  labels: Record<string, string>;
  /** Anonymous volume target → existing volume name to keep across a recreate. */
  anonymousVolumes?: ReadonlyMap<string, string>;
  /** Whether the engine has networks; without, the container gets NetworkMode default. */
  networksSupported: boolean;
}

const nanos = (d: string | undefined): number | undefined => (d === undefined ? undefined : Number(parseDuration(d)));

/** `service:x` → `container:<project>-x-1`; other modes pass through. */
export function namespaceMode(project: Project, mode: string | undefined): string | undefined {
  if (mode === undefined) return undefined;
  if (mode.startsWith('service:')) return `container:${containerName(project.name, mode.slice('service:'.length), 1)}`;
  return mode;
}

function restartPolicy(restart: string | undefined): { Name: string; MaximumRetryCount?: number } | undefined {
  if (!restart) return undefined;
  if (restart === 'no') return { Name: 'no' };
  if (restart.startsWith('on-failure')) {
    const n = restart.split(':')[1];
    return { Name: 'on-failure', ...(n ? { MaximumRetryCount: Number(n) } : {}) };
  }
  return { Name: restart };
}

/** Networks in the order compose attaches them: by priority (highest first), then by key. */
export function orderedNetworks(svc: ServiceConfig): [string, ServiceNetwork | null][] {
  return Object.entries(svc.networks ?? {}).sort(
    ([ka, a], [kb, b]) => (b?.priority ?? 0) - (a?.priority ?? 0) || (ka < kb ? -1 : ka > kb ? 1 : 0),
  );
}

function portKey(target: number, protocol: string): string {
  return `${target}/${protocol || 'tcp'}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function strList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.map(String) : undefined;
}

export function imageOf(project: Project, service: string): string {
  const svc = project.services[service];
  if (svc.image) return svc.image;
  if (svc.build) return `${project.name}-${service}`;
  throw new ComposeError(`service "${service}" has neither an image nor a build section`, { location: { path: ['services', service] } });
}

export function containerSpec(ctx: SpecContext): ContainerSpec {
  const { project, service, number } = ctx;
  const svc = project.services[service];
  const name = svc.container_name ?? containerName(project.name, service, number);
  const hc: NonNullable<ContainerCreateBody['HostConfig']> = {};
  const body: ContainerCreateBody = { Image: imageOf(project, service), Labels: { ...(svc.labels ?? {}), ...ctx.labels } };

  if (svc.command !== undefined && svc.command !== null) body.Cmd = svc.command;
  if (svc.entrypoint !== undefined && svc.entrypoint !== null) body.Entrypoint = svc.entrypoint;
  const env = Object.entries(svc.environment ?? {}).filter((e): e is [string, string] => e[1] !== null);
  if (env.length) body.Env = env.map(([k, v]) => `${k}=${v}`).sort();
  if (svc.user) body.User = svc.user;
  if (svc.working_dir) body.WorkingDir = svc.working_dir;
  if (svc.hostname) body.Hostname = svc.hostname;
  if (str(svc.domainname)) body.Domainname = str(svc.domainname);
  if (svc.tty === true) body.Tty = true;
  if (svc.stdin_open === true) body.OpenStdin = true;
  if (svc.stop_signal) body.StopSignal = svc.stop_signal;
  if (svc.stop_grace_period) body.StopTimeout = Math.floor(Number(parseDuration(svc.stop_grace_period)) / 1e9);
  if (str(svc.mac_address)) body.MacAddress = str(svc.mac_address);

  // Ports: exposed for every target, bound for every published (or to-be-assigned) one.
  const exposed: Record<string, Record<string, never>> = {};
  for (const e of svc.expose ?? []) {
    const [p, proto] = String(e).split('/');
    exposed[portKey(Number(p), proto ?? 'tcp')] = {};
  }
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const p of svc.ports ?? []) {
    const key = portKey(p.target, p.protocol);
    exposed[key] = {};
    (bindings[key] ??= []).push({ ...(p.host_ip ? { HostIp: p.host_ip } : { HostIp: '' }), HostPort: p.published ?? '' });
  }
  if (Object.keys(exposed).length) body.ExposedPorts = exposed;
  if (Object.keys(bindings).length) hc.PortBindings = bindings;

  // Healthcheck: durations in nanoseconds; `disable` is Test NONE.
  if (svc.healthcheck) {
    const h = svc.healthcheck;
    if (h.disable) body.Healthcheck = { Test: ['NONE'] };
    else {
      body.Healthcheck = {
        ...(h.test ? { Test: h.test } : {}),
        ...(h.interval ? { Interval: nanos(h.interval) } : {}),
        ...(h.timeout ? { Timeout: nanos(h.timeout) } : {}),
        ...(h.start_period ? { StartPeriod: nanos(h.start_period) } : {}),
        ...(h.start_interval ? { StartInterval: nanos(h.start_interval) } : {}),
        ...(h.retries !== undefined ? { Retries: h.retries } : {}),
      };
    }
  }

  // Mounts. Binds that may create their host path use the legacy Binds (Mounts refuses a missing source).
  const mounts: NonNullable<typeof hc.Mounts> = [];
  const binds: string[] = [];
  for (const v of svc.volumes ?? []) {
    if (v.type === 'bind') {
      if (v.bind?.create_host_path) {
        const opts = [v.read_only ? 'ro' : 'rw', ...(v.bind?.propagation ? [v.bind.propagation] : []), ...(v.bind?.selinux ? [v.bind.selinux] : [])];
        binds.push(`${v.source}:${v.target}:${opts.join(',')}`);
      } else {
        mounts.push({ Type: 'bind', Source: v.source ?? '', Target: v.target, ...(v.read_only ? { ReadOnly: true } : {}), ...(v.bind?.propagation ? { BindOptions: { Propagation: v.bind.propagation as 'rprivate' } } : {}) });
      }
    } else if (v.type === 'volume') {
      const source = v.source ? (project.volumes[v.source]?.name ?? v.source) : ctx.anonymousVolumes?.get(v.target);
      mounts.push({
        Type: 'volume',
        Source: source ?? '',
        Target: v.target,
        ...(v.read_only ? { ReadOnly: true } : {}),
        ...(v.volume?.nocopy || v.volume?.subpath ? { VolumeOptions: { NoCopy: v.volume?.nocopy ?? false, ...(v.volume?.subpath ? { Subpath: v.volume.subpath } : {}) } as never } : {}),
      });
    } else if (v.type === 'tmpfs') {
      mounts.push({ Type: 'tmpfs', Source: '', Target: v.target, ...(v.tmpfs ? { TmpfsOptions: { ...(v.tmpfs.size !== undefined ? { SizeBytes: v.tmpfs.size } : {}), ...(v.tmpfs.mode !== undefined ? { Mode: v.tmpfs.mode } : {}) } as never } : {}) });
    }
  }
  if (mounts.length) hc.Mounts = mounts;
  if (binds.length) hc.Binds = binds;
  const tmpfs = strList(svc.tmpfs);
  if (tmpfs?.length) {
    hc.Tmpfs = Object.fromEntries(tmpfs.map((t) => {
      const colon = t.indexOf(':');
      return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
    }));
  }
  if (svc.volumes_from?.length) {
    hc.VolumesFrom = svc.volumes_from.map((v) => {
      const parts = v.split(':');
      if (parts[0] === 'container') return parts.slice(1).join(':');
      const [target, mode] = parts[0] === 'service' ? [parts[1], parts[2]] : [parts[0], parts[1]];
      return `${containerName(project.name, target, 1)}${mode ? `:${mode}` : ''}`;
    });
  }

  const restart = restartPolicy(svc.restart);
  if (restart) hc.RestartPolicy = restart;
  if (svc.init === true) hc.Init = true;
  if (svc.privileged === true) hc.Privileged = true;
  if (svc.read_only === true) hc.ReadonlyRootfs = true;
  const capAdd = strList(svc.cap_add);
  const capDrop = strList(svc.cap_drop);
  if (capAdd?.length) hc.CapAdd = capAdd;
  if (capDrop?.length) hc.CapDrop = capDrop;
  if (svc.extra_hosts) hc.ExtraHosts = Object.entries(svc.extra_hosts).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`));
  if (svc.sysctls && Object.keys(svc.sysctls).length) hc.Sysctls = svc.sysctls;
  if (svc.ulimits) hc.Ulimits = Object.entries(svc.ulimits).sort(([a], [b]) => (a < b ? -1 : 1)).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard }));
  const limits = (svc.deploy as { resources?: { limits?: { memory?: number; cpus?: number; pids?: number } } } | undefined)?.resources?.limits;
  const memory = svc.mem_limit ?? limits?.memory;
  if (memory) hc.Memory = memory;
  if (svc.mem_reservation) hc.MemoryReservation = svc.mem_reservation;
  if (svc.memswap_limit) hc.MemorySwap = svc.memswap_limit;
  if (svc.shm_size) hc.ShmSize = svc.shm_size;
  const cpus = num(svc.cpus) ?? limits?.cpus;
  if (cpus) hc.NanoCpus = Math.round(cpus * 1e9);
  if (num(svc.cpu_shares)) hc.CpuShares = num(svc.cpu_shares);
  const pids = num(svc.pids_limit) ?? limits?.pids;
  if (pids) hc.PidsLimit = pids;
  for (const [key, field] of [['dns', 'Dns'], ['dns_search', 'DnsSearch'], ['dns_opt', 'DnsOptions'], ['security_opt', 'SecurityOpt'], ['group_add', 'GroupAdd']] as const) {
    const list = strList(svc[key]);
    if (list?.length) (hc as Record<string, unknown>)[field] = list;
  }
  const ipc = namespaceMode(project, svc.ipc);
  if (ipc) hc.IpcMode = ipc;
  const pid = namespaceMode(project, svc.pid);
  if (pid) hc.PidMode = pid;

  // Networks: network_mode wins; otherwise the first network is the NetworkMode and in the body.
  const networks: NetworkAttachment[] = [];
  if (svc.network_mode) {
    hc.NetworkMode = namespaceMode(project, svc.network_mode);
  } else if (ctx.networksSupported) {
    for (const [key, cfg] of orderedNetworks(svc)) {
      const net = project.networks[key];
      if (!net) continue;
      const endpoint: EndpointSettings = { Aliases: [service, ...(cfg?.aliases ?? [])] };
      if (cfg?.ipv4_address || cfg?.ipv6_address || cfg?.link_local_ips) {
        endpoint.IPAMConfig = {
          ...(cfg.ipv4_address ? { IPv4Address: cfg.ipv4_address } : {}),
          ...(cfg.ipv6_address ? { IPv6Address: cfg.ipv6_address } : {}),
          ...(cfg.link_local_ips ? { LinkLocalIPs: cfg.link_local_ips } : {}),
        };
      }
      if (cfg?.mac_address) endpoint.MacAddress = cfg.mac_address;
      if (cfg?.driver_opts) endpoint.DriverOpts = cfg.driver_opts;
      networks.push({ key, name: net.name, endpoint });
    }
    if (networks.length) {
      hc.NetworkMode = networks[0].name;
      body.NetworkingConfig = { EndpointsConfig: { [networks[0].name]: networks[0].endpoint } };
    }
  }
  if (Object.keys(hc).length) body.HostConfig = hc;
  return { name, body, networks };
}

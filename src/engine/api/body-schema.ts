// The request bodies the engine takes, field by field, as moby's swagger declares them — vendored
// once from docs/api/v1.43.yaml of moby/moby (commit 64f79562fb6f00cee512fc613921389b01f32f6f:
// definitions ContainerConfig, HostConfig with Resources, NetworkingConfig, EndpointSettings,
// RestartPolicy, Mount, ThrottleDevice, DeviceMapping, DeviceRequest, HealthConfig; the bodies of
// POST /containers/{id}/update, /containers/{id}/exec, /networks/create, /networks/{id}/connect
// and /disconnect). dockerd decodes them with Go's encoding/json, so a value of the wrong type is
// a 400 naming the field ("json: cannot unmarshal string into Go struct field … of type int64"),
// null is always accepted, and unknown fields are ignored. `checkBody` does the same before a
// route calls the backend; test/engine/swagger-walk.test.ts walks CREATE_FIELDS to prove each
// field is applied or refused.

import { InvalidArgumentError } from '../backend.js';

/** A JSON shape with the Go type dockerd decodes it into (for the error text). */
export type FieldType =
  | { kind: 'string' | 'boolean' | 'integer'; go: string }
  | { kind: 'strings'; go: string; orString?: boolean }
  | { kind: 'stringMap'; go: string }
  | { kind: 'emptyObjectMap'; go: string }
  | { kind: 'integers'; go: string }
  | { kind: 'object'; go: string; fields: Readonly<Record<string, FieldType>> }
  | { kind: 'objects'; go: string; fields: Readonly<Record<string, FieldType>> }
  | { kind: 'map'; go: string; of: FieldType }
  | { kind: 'array'; go: string; of: FieldType };

const str: FieldType = { kind: 'string', go: 'string' };
const bool: FieldType = { kind: 'boolean', go: 'bool' };
const int: FieldType = { kind: 'integer', go: 'int' };
const i64: FieldType = { kind: 'integer', go: 'int64' };
const strs: FieldType = { kind: 'strings', go: '[]string' };
const strslice: FieldType = { kind: 'strings', go: 'strslice.StrSlice', orString: true };
const smap: FieldType = { kind: 'stringMap', go: 'map[string]string' };
const throttle: FieldType = { kind: 'objects', go: '[]*blkiodev.ThrottleDevice', fields: { Path: str, Rate: i64 } };

export const HEALTH_CONFIG: Readonly<Record<string, FieldType>> = { Test: strs, Interval: i64, Timeout: i64, Retries: int, StartPeriod: i64, StartInterval: i64 };

/** swagger ContainerConfig (the create body's top level). */
export const CONTAINER_CONFIG: Readonly<Record<string, FieldType>> = {
  Hostname: str,
  Domainname: str,
  User: str,
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ExposedPorts: { kind: 'emptyObjectMap', go: 'nat.PortSet' },
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strs,
  Cmd: strslice,
  Healthcheck: { kind: 'object', go: 'container.HealthConfig', fields: HEALTH_CONFIG },
  ArgsEscaped: bool,
  Image: str,
  Volumes: { kind: 'emptyObjectMap', go: 'map[string]struct {}' },
  WorkingDir: str,
  Entrypoint: strslice,
  NetworkDisabled: bool,
  MacAddress: str,
  OnBuild: strs,
  Labels: smap,
  StopSignal: str,
  StopTimeout: int,
  Shell: strslice,
};

/** swagger Resources (HostConfig's first half, and the update body). */
export const RESOURCES: Readonly<Record<string, FieldType>> = {
  CpuShares: i64,
  Memory: i64,
  CgroupParent: str,
  BlkioWeight: { kind: 'integer', go: 'uint16' },
  BlkioWeightDevice: { kind: 'objects', go: '[]*blkiodev.WeightDevice', fields: { Path: str, Weight: { kind: 'integer', go: 'uint16' } } },
  BlkioDeviceReadBps: throttle,
  BlkioDeviceWriteBps: throttle,
  BlkioDeviceReadIOps: throttle,
  BlkioDeviceWriteIOps: throttle,
  CpuPeriod: i64,
  CpuQuota: i64,
  CpuRealtimePeriod: i64,
  CpuRealtimeRuntime: i64,
  CpusetCpus: str,
  CpusetMems: str,
  Devices: { kind: 'objects', go: '[]container.DeviceMapping', fields: { PathOnHost: str, PathInContainer: str, CgroupPermissions: str } },
  DeviceCgroupRules: strs,
  DeviceRequests: {
    kind: 'objects',
    go: '[]container.DeviceRequest',
    fields: { Driver: str, Count: int, DeviceIDs: strs, Capabilities: { kind: 'array', go: '[][]string', of: strs }, Options: smap },
  },
  KernelMemory: i64,
  KernelMemoryTCP: i64,
  MemoryReservation: i64,
  MemorySwap: i64,
  MemorySwappiness: i64,
  NanoCpus: i64,
  OomKillDisable: bool,
  Init: bool,
  PidsLimit: i64,
  Ulimits: { kind: 'objects', go: '[]*units.Ulimit', fields: { Name: str, Soft: i64, Hard: i64 } },
  CpuCount: i64,
  CpuPercent: i64,
  IOMaximumIOps: { kind: 'integer', go: 'uint64' },
  IOMaximumBandwidth: { kind: 'integer', go: 'uint64' },
};

const MOUNT: Readonly<Record<string, FieldType>> = {
  Target: str,
  Source: str,
  Type: str,
  ReadOnly: bool,
  Consistency: str,
  BindOptions: { kind: 'object', go: 'mount.BindOptions', fields: { Propagation: str, NonRecursive: bool, CreateMountpoint: bool } },
  VolumeOptions: {
    kind: 'object',
    go: 'mount.VolumeOptions',
    fields: { NoCopy: bool, Labels: smap, DriverConfig: { kind: 'object', go: 'mount.Driver', fields: { Name: str, Options: smap } } },
  },
  TmpfsOptions: { kind: 'object', go: 'mount.TmpfsOptions', fields: { SizeBytes: i64, Mode: { kind: 'integer', go: 'os.FileMode' } } },
};

/** swagger HostConfig's own fields (besides Resources). */
export const HOST_CONFIG_OWN: Readonly<Record<string, FieldType>> = {
  Binds: strs,
  ContainerIDFile: str,
  LogConfig: { kind: 'object', go: 'container.LogConfig', fields: { Type: str, Config: smap } },
  NetworkMode: str,
  PortBindings: { kind: 'map', go: 'nat.PortMap', of: { kind: 'objects', go: '[]nat.PortBinding', fields: { HostIp: str, HostPort: str } } },
  RestartPolicy: { kind: 'object', go: 'container.RestartPolicy', fields: { Name: str, MaximumRetryCount: int } },
  AutoRemove: bool,
  VolumeDriver: str,
  VolumesFrom: strs,
  Mounts: { kind: 'objects', go: '[]mount.Mount', fields: MOUNT },
  ConsoleSize: { kind: 'integers', go: '[2]uint' },
  Annotations: smap,
  CapAdd: strslice,
  CapDrop: strslice,
  CgroupnsMode: str,
  Dns: strs,
  DnsOptions: strs,
  DnsSearch: strs,
  ExtraHosts: strs,
  GroupAdd: strs,
  IpcMode: str,
  Cgroup: str,
  Links: strs,
  OomScoreAdj: int,
  PidMode: str,
  Privileged: bool,
  PublishAllPorts: bool,
  ReadonlyRootfs: bool,
  SecurityOpt: strs,
  StorageOpt: smap,
  Tmpfs: smap,
  UTSMode: str,
  UsernsMode: str,
  ShmSize: i64,
  Sysctls: smap,
  Runtime: str,
  Isolation: str,
  MaskedPaths: strs,
  ReadonlyPaths: strs,
};

export const HOST_CONFIG: Readonly<Record<string, FieldType>> = { ...RESOURCES, ...HOST_CONFIG_OWN };

/** swagger EndpointSettings. */
export const ENDPOINT_SETTINGS: Readonly<Record<string, FieldType>> = {
  IPAMConfig: { kind: 'object', go: 'network.EndpointIPAMConfig', fields: { IPv4Address: str, IPv6Address: str, LinkLocalIPs: strs } },
  Links: strs,
  Aliases: strs,
  NetworkID: str,
  EndpointID: str,
  Gateway: str,
  IPAddress: str,
  IPPrefixLen: int,
  IPv6Gateway: str,
  GlobalIPv6Address: str,
  GlobalIPv6PrefixLen: int,
  MacAddress: str,
  DriverOpts: smap,
};

export const NETWORKING_CONFIG: Readonly<Record<string, FieldType>> = {
  EndpointsConfig: { kind: 'map', go: 'map[string]*network.EndpointSettings', of: { kind: 'object', go: 'network.EndpointSettings', fields: ENDPOINT_SETTINGS } },
};

/** `POST /containers/create`: ContainerConfig with HostConfig and NetworkingConfig beside it. */
export const CREATE_BODY: Readonly<Record<string, FieldType>> = {
  ...CONTAINER_CONFIG,
  HostConfig: { kind: 'object', go: 'container.HostConfig', fields: HOST_CONFIG },
  NetworkingConfig: { kind: 'object', go: 'network.NetworkingConfig', fields: NETWORKING_CONFIG },
};

/** Every field of the create body, as `Section.Field` (what the swagger walk covers). */
export const CREATE_FIELDS: readonly string[] = [
  ...Object.keys(CONTAINER_CONFIG).map((f) => `Config.${f}`),
  ...Object.keys(HOST_CONFIG).map((f) => `HostConfig.${f}`),
  ...Object.keys(ENDPOINT_SETTINGS).map((f) => `EndpointSettings.${f}`),
];

export const UPDATE_BODY: Readonly<Record<string, FieldType>> = { ...RESOURCES, RestartPolicy: HOST_CONFIG_OWN.RestartPolicy };

export const EXEC_BODY: Readonly<Record<string, FieldType>> = {
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ConsoleSize: { kind: 'integers', go: '*[2]uint' },
  DetachKeys: str,
  Tty: bool,
  Env: strs,
  Cmd: strslice,
  Privileged: bool,
  User: str,
  WorkingDir: str,
};

export const NETWORK_CREATE_BODY: Readonly<Record<string, FieldType>> = {
  Name: str,
  CheckDuplicate: bool,
  Driver: str,
  Scope: str,
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  ConfigOnly: bool,
  ConfigFrom: { kind: 'object', go: 'network.ConfigReference', fields: { Network: str } },
  EnableIPv6: bool,
  IPAM: {
    kind: 'object',
    go: 'network.IPAM',
    fields: { Driver: str, Config: { kind: 'objects', go: '[]network.IPAMConfig', fields: { Subnet: str, IPRange: str, Gateway: str, AuxiliaryAddresses: smap } }, Options: smap },
  },
  Options: smap,
  Labels: smap,
};

export const NETWORK_CONNECT_BODY: Readonly<Record<string, FieldType>> = {
  Container: str,
  EndpointConfig: { kind: 'object', go: 'network.EndpointSettings', fields: ENDPOINT_SETTINGS },
};

export const NETWORK_DISCONNECT_BODY: Readonly<Record<string, FieldType>> = { Container: str, Force: bool };

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** The first type error in `value` against `t`, as Go's decoder words it; undefined when it fits. */
function checkValue(value: unknown, t: FieldType, at: string, owner: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const wrong = (): string => `json: cannot unmarshal ${jsonKind(value)}${typeof value === 'number' ? ` ${value}` : ''} into Go struct field ${owner}.${at} of type ${t.go}`;
  switch (t.kind) {
    case 'string':
      return typeof value === 'string' ? undefined : wrong();
    case 'boolean':
      return typeof value === 'boolean' ? undefined : wrong();
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : wrong();
    case 'strings':
      if (t.orString && typeof value === 'string') return undefined;
      return Array.isArray(value) && value.every((v) => v === null || typeof v === 'string') ? undefined : wrong();
    case 'integers':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v)) ? undefined : wrong();
    case 'stringMap':
      return typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every((v) => v === null || typeof v === 'string') ? undefined : wrong();
    case 'emptyObjectMap':
      return typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every((v) => v === null || (typeof v === 'object' && !Array.isArray(v))) ? undefined : wrong();
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return wrong();
      return checkFields(value as Record<string, unknown>, t.fields, `${at}`, owner);
    case 'objects':
      if (!Array.isArray(value)) return wrong();
      for (const item of value) {
        if (item === null) continue;
        if (typeof item !== 'object' || Array.isArray(item)) return wrong();
        const bad = checkFields(item as Record<string, unknown>, t.fields, at, owner);
        if (bad) return bad;
      }
      return undefined;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return wrong();
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const bad = checkValue(v, t.of, `${at}[${JSON.stringify(k)}]`, owner);
        if (bad) return bad;
      }
      return undefined;
    case 'array':
      if (!Array.isArray(value)) return wrong();
      for (const v of value) {
        const bad = checkValue(v, t.of, at, owner);
        if (bad) return bad;
      }
      return undefined;
  }
}

function checkFields(body: Record<string, unknown>, fields: Readonly<Record<string, FieldType>>, at: string, owner: string): string | undefined {
  for (const [name, t] of Object.entries(fields)) {
    if (!Object.hasOwn(body, name)) continue;
    const bad = checkValue(body[name], t, at === '' ? name : `${at}.${name}`, owner);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Refuses a body whose known fields have the wrong JSON type, with a 400 naming the field (Go's
 * words: `json: cannot unmarshal string into Go struct field ContainerConfigWrapper.HostConfig.Memory
 * of type int64`). `owner` is the Go struct dockerd decodes into.
 */
export function checkBody(body: unknown, fields: Readonly<Record<string, FieldType>>, owner: string): void {
  if (body === null || body === undefined) return;
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError(`json: cannot unmarshal ${jsonKind(body)} into Go value of type ${owner}`);
  const bad = checkFields(body as Record<string, unknown>, fields, '', owner);
  if (bad) throw new InvalidArgumentError(bad);
}

/** Go's strslice.StrSlice takes one string as a one-element list: the backend always sees lists. */
export function normalizeStrslices(body: Record<string, unknown>, fields: readonly string[]): void {
  for (const f of fields) if (typeof body[f] === 'string') body[f] = [body[f]];
}

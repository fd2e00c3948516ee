// The narrow port between the built-in engine's HTTP layer (src/engine/api/) and the engine itself.
// Shapes follow the Docker Engine API (moby api/swagger.yaml) field for field where the routes pass
// them through, so the HTTP layer only translates: query strings and bodies in, JSON and streams out.
// Name lookup (ids, short ids, names) is the backend's job; routes pass what the client sent.
//
// Streaming calls take an AbortSignal: it fires when the client goes away, and the backend must
// then stop producing (end its iterables, detach stdin) so nothing leaks per connection.
//
// It is long because it is a table: the Docker API's request and response shapes and the backend
// interfaces, one after another, with nothing else in it.

import type { Readable } from 'node:stream';

// ---------------------------------------------------------------------------------------------
// Errors: each carries the HTTP status the API answers with; the message is what `docker` prints
// after "Error response from daemon: ".

export class EngineError extends Error {
  readonly status: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
/** No such container, image, exec instance or path: 404. */
export class NotFoundError extends EngineError {
  override readonly status: number = 404;
}
/** The object is in a state that forbids the call (name in use, container running on remove): 409. */
export class ConflictError extends EngineError {
  override readonly status: number = 409;
}
/** The request itself is wrong (bad parameter, bad config): 400. */
export class InvalidArgumentError extends EngineError {
  override readonly status: number = 400;
}
/** Nothing to do (start a running container, stop a stopped one): 304, empty body. */
export class NotModifiedError extends EngineError {
  override readonly status: number = 304;
}
/** The engine failed: 500. */
export class InternalError extends EngineError {
  override readonly status: number = 500;
}
/** The built-in engine does not offer this (e.g. pulling from a registry): 501. */
export class NotImplementedError extends EngineError {
  override readonly status: number = 501;
}

/** Credentials missing or refused (a registry's 401): 401. */
export class UnauthorizedError extends EngineError {
  override readonly status: number = 401;
}
/** Something the engine depends on cannot be reached (a registry): 503. */
export class UnavailableError extends EngineError {
  override readonly status: number = 503;
}

/**
 * What an error of one of the engine's rooms (images, networks, runtime…) is in API terms. The room
 * that throws it says so (an `apiKind` on its error class), so the daemon turns any of them into the
 * API's error at its boundary without knowing their classes or parsing messages.
 */
export type ApiErrorKind = 'not-found' | 'conflict' | 'invalid' | 'not-implemented' | 'unauthorized' | 'forbidden' | 'unavailable';

/** The API error for whatever a lower layer threw: its own kind when it has one, else 500. */
export function toEngineError(e: unknown): Error {
  if (e instanceof EngineError) return e;
  const kind = e instanceof Error && 'apiKind' in e ? (e as { apiKind: unknown }).apiKind : undefined;
  const message = e instanceof Error ? e.message : String(e);
  switch (kind) {
    case 'not-found':
      return new NotFoundError(message, { cause: e });
    case 'conflict':
      return new ConflictError(message, { cause: e });
    case 'invalid':
      return new InvalidArgumentError(message, { cause: e });
    case 'not-implemented':
      return new NotImplementedError(message, { cause: e });
    case 'unauthorized':
      return new UnauthorizedError(message, { cause: e });
    case 'forbidden':
      return new ForbiddenError(message, { cause: e });
    case 'unavailable':
      return new UnavailableError(message, { cause: e });
    default:
      return new InternalError(message, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Common pieces

/** Docker filters after parsing: `{"status": ["running"], "label": ["a=b"]}`, values sorted. */
export type Filters = Readonly<Record<string, readonly string[]>>;

export type Labels = Record<string, string>;

/** One chunk of a container's or exec's output. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** A line of JSON progress, as `docker import`/`docker load` print it (moby's jsonmessage). */
export interface ProgressMessage {
  status?: string;
  id?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
  /** Set on the last message when the operation failed half-way (the HTTP status is already 200). */
  errorDetail?: { message: string; code?: number };
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Containers

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

/** `Config` of swagger's ContainerConfig. */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Labels | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface MountSpec {
  Target?: string;
  Source?: string;
  Type?: 'bind' | 'volume' | 'tmpfs' | 'image' | 'npipe' | 'cluster';
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: Record<string, unknown>;
  VolumeOptions?: Record<string, unknown>;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The resource fields shared by HostConfig and `POST /containers/{id}/update`. */
export interface Resources {
  CpuShares?: number;
  Memory?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  NanoCpus?: number;
  OomKillDisable?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  BlkioWeightDevice?: { Path?: string; Weight?: number }[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: Record<string, unknown>[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  /** Windows only: refused on Linux when set. */
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface ThrottleDevice {
  Path?: string;
  Rate?: number;
}

export interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

export interface HostConfig extends Resources {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: MountSpec[] | null;
  ConsoleSize?: [number, number] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: 'private' | 'host' | '';
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Init?: boolean | null;
  Isolation?: string;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[] | null;
}

/** Body of `POST /containers/create`: Config with HostConfig and NetworkingConfig beside it. */
export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> | null };
}

export interface ContainerCreateOptions {
  /** `?name=`; empty when the engine should pick one. */
  name?: string;
  platform?: string;
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: {
    Status: 'none' | 'starting' | 'healthy' | 'unhealthy';
    FailingStreak: number;
    Log: { Start: string; End: string; ExitCode: number; Output: string }[];
  };
}

export interface MountPoint {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: 'tcp' | 'udp' | 'sctp';
}

/** `GET /containers/{id}/json`. */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: {
    Bridge?: string;
    SandboxID: string;
    SandboxKey: string;
    Ports: Record<string, PortBinding[] | null> | null;
    Networks: Record<string, EndpointSettings>;
    [legacy: string]: unknown;
  };
}

/** One row of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Labels;
  State: ContainerStatus;
  Status: string;
  HostConfig: { NetworkMode: string; Annotations?: Record<string, string> };
  NetworkSettings: { Networks: Record<string, EndpointSettings> };
  Mounts: MountPoint[];
}

export interface ContainerListOptions {
  all: boolean;
  /** `?limit=`: only the N most recently created; undefined when not asked. */
  limit?: number;
  size: boolean;
  filters: Filters;
}

export interface ContainerStopOptions {
  /** Signal to send first; undefined means the container's StopSignal (else SIGTERM). */
  signal?: string;
  /** Seconds before SIGKILL; undefined means the container's StopTimeout (else 10). */
  timeout?: number;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

/**
 * A registered wait. The outer promise of `wait()` settles once the container was found and the
 * waiter registered (so a 404 is a plain error response); `exited` settles when the condition is met.
 * The API sends its response headers in between, which is what lets `docker run` wait, then start.
 */
export interface ContainerWaiter {
  exited: Promise<ContainerWaitResponse>;
}

export interface ContainerRemoveOptions {
  force: boolean;
  /** `?v=`: also remove anonymous volumes. */
  volumes: boolean;
  /** `?link=`: remove a legacy link instead of the container. */
  link: boolean;
}

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  /** `?tail=`: undefined for "all". */
  tail?: number;
  /** Entries at or after this time (`?since=`, already parsed). */
  since?: Date;
  /** Entries before this time (`?until=`). */
  until?: Date;
  signal: AbortSignal;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** The line as the process wrote it, newline included when there was one. */
  line: Buffer;
  time: Date;
  /** The time as the log recorded it (RFC 3339 with nanoseconds), which a Date cannot hold. */
  timeText?: string;
}

export interface LogStream {
  /** TTY containers have one undivided stream: the API then sends raw bytes, not frames. */
  tty: boolean;
  entries: AsyncIterable<LogEntry>;
}

export interface AttachOptions {
  stream: boolean;
  /** Replay the logs first (`?logs=1`). */
  logs: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The client's input when `?stdin=1`; ends when the client half-closes. */
  stdin?: Readable;
  detachKeys?: string;
  signal: AbortSignal;
}

export interface AttachSession {
  tty: boolean;
  /** Ends when the container's streams close (it exited, or the client detached). */
  output: AsyncIterable<OutputChunk>;
}

export interface ProcessList {
  Titles: string[];
  Processes: string[][];
}

/** `GET /containers/{id}/stats`: passed through as the engine produced it. */
export interface ContainerStats {
  read: string;
  preread: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number; limit?: number };
  num_procs?: number;
  cpu_stats?: Record<string, unknown>;
  precpu_stats?: Record<string, unknown>;
  memory_stats?: Record<string, unknown>;
  blkio_stats?: Record<string, unknown>;
  networks?: Record<string, Record<string, number>>;
  [more: string]: unknown;
}

export interface StatsOptions {
  stream: boolean;
  /** `?one-shot=1`: do not wait for a second sample to compute precpu_stats. */
  oneShot: boolean;
  signal: AbortSignal;
}

export interface ContainerUpdateRequest extends Resources {
  RestartPolicy?: RestartPolicy;
}

export interface ContainerUpdateResponse {
  Warnings: string[];
}

/** Decoded `X-Docker-Container-Path-Stat`. */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits (type bits high, permissions low). */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  linkTarget: string;
}

export interface ArchivePutOptions {
  noOverwriteDirNonDir: boolean;
  copyUIDGID: boolean;
}

// ---------------------------------------------------------------------------------------------
// Exec

export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ConsoleSize?: [number, number] | null;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecStartOptions {
  detach: boolean;
  tty: boolean;
  consoleSize?: [number, number];
  stdin?: Readable;
  signal: AbortSignal;
}

export interface ExecSession {
  tty: boolean;
  /** Ends when the process exits; empty when detached. */
  output: AsyncIterable<OutputChunk>;
}

export interface ExecInspect {
  CanRemove: boolean;
  DetachKeys: string;
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { privileged: boolean; user: string; tty: boolean; entrypoint: string; arguments: string[] };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  ContainerID: string;
  Pid: number;
}

// ---------------------------------------------------------------------------------------------
// Images

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  /** null when the image has none, as dockerd 20.10 answers. */
  Labels: Labels | null;
  Containers: number;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  /** The container an image was committed from ('' for any other image). */
  Container: string;
  /** That container's config (every field zero for an image not committed). */
  ContainerConfig: ContainerConfig;
  DockerVersion: string;
  Author: string;
  /** null when the image config has none. */
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime?: string };
}

export interface ImageListOptions {
  all: boolean;
  digests: boolean;
  filters: Filters;
}

export interface ImageImportOptions {
  /** The rootfs tarball (the request body of `fromSrc=-`). */
  source: Readable;
  repo?: string;
  tag?: string;
  /** Dockerfile instructions applied to the config (`?changes=` repeated). */
  changes: string[];
  message?: string;
  platform?: string;
  signal: AbortSignal;
}

export interface ImageLoadOptions {
  quiet: boolean;
  signal: AbortSignal;
}

export interface ImageRemoveOptions {
  force: boolean;
  noprune: boolean;
}

export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

/**
 * Registry credentials as clients send them (`X-Registry-Auth`, base64url JSON; the body of
 * `POST /auth`): a user and password, or an identity token (`docker login`'s refresh token), or a
 * registry token to send as is.
 */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** `base64(user:password)`, as config.json stores it. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface ImagePullOptions {
  /** The image as the client named it (`busybox`, `host:5000/app`, `app@sha256:…`). */
  fromImage: string;
  /** `?tag=`: a tag, or a digest (`sha256:…`), for `fromImage` without one. */
  tag?: string;
  /** `os/arch[/variant]`. */
  platform?: string;
  auth?: AuthConfig;
  signal: AbortSignal;
}

export interface ImagePushOptions {
  /** `?tag=`: push only this tag of the repository (all its tags when absent, as Docker does). */
  tag?: string;
  auth?: AuthConfig;
  signal: AbortSignal;
}

/** One row of `GET /images/{name}/history`, newest first. */
export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** `GET /distribution/{name}/json`. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: { architecture: string; os: string; variant?: string; 'os.version'?: string }[];
}

// ---------------------------------------------------------------------------------------------
// Volumes

/** swagger's Volume. */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  /** RFC 3339. */
  CreatedAt: string;
  Status?: Record<string, unknown>;
  Labels: Labels | null;
  Scope: 'local' | 'global';
  Options: Record<string, string> | null;
  /** Size is -1 where not computed (only `system df` computes it); RefCount counts containers referencing the volume. */
  UsageData?: { Size: number; RefCount: number } | null;
}

/** Body of `POST /volumes/create`. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Labels | null;
}

export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[] | null;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

// ---------------------------------------------------------------------------------------------
// Events and system

/** One line of `GET /events`. */
export interface EventMessage {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds (a JSON number; precision beyond 2^53 is not kept). */
  timeNano: number;
  /** Legacy fields (API < 1.22 clients still read them). */
  status?: string;
  id?: string;
  from?: string;
}

export interface EventsOptions {
  filters: Filters;
  /** Replay stored events from this time. */
  since?: Date;
  /** Stop at this time; the stream ends then (also for replays entirely in the past). */
  until?: Date;
  signal: AbortSignal;
}

/** `GET /info`: the fields `docker info` prints; an engine may add more. */
export interface SystemInfo {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][];
  Plugins: { Volume: string[]; Network: string[]; Authorization: string[] | null; Log: string[] };
  MemoryLimit: boolean;
  SwapLimit: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  IPv4Forwarding: boolean;
  Debug: boolean;
  NFd: number;
  OomKillDisable: boolean;
  NGoroutines: number;
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  NEventsListener: number;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  IndexServerAddress: string;
  DockerRootDir: string;
  HttpProxy: string;
  HttpsProxy: string;
  NoProxy: string;
  Name: string;
  Labels: string[];
  ExperimentalBuild: boolean;
  ServerVersion: string;
  Runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  DefaultRuntime: string;
  LiveRestoreEnabled: boolean;
  Isolation: string;
  InitBinary: string;
  SecurityOptions: string[];
  Warnings: string[] | null;
  [more: string]: unknown;
}

/** `GET /version`. `ApiVersion` and `MinAPIVersion` are filled in by the API layer, which owns them. */
export interface SystemVersion {
  Platform: { Name: string };
  Components: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Experimental?: boolean;
  BuildTime: string;
}

// ---------------------------------------------------------------------------------------------
// The port

export interface ContainerBackend {
  create(request: ContainerCreateRequest, options: ContainerCreateOptions): Promise<ContainerCreateResponse>;
  /** Throws NotModifiedError when already running. */
  start(id: string): Promise<void>;
  /** Throws NotModifiedError when not running. */
  stop(id: string, options: ContainerStopOptions): Promise<void>;
  kill(id: string, signal: string | undefined): Promise<void>;
  restart(id: string, options: ContainerStopOptions): Promise<void>;
  wait(id: string, condition: WaitCondition): Promise<ContainerWaiter>;
  remove(id: string, options: ContainerRemoveOptions): Promise<void>;
  inspect(id: string, options: { size: boolean }): Promise<ContainerInspect>;
  list(options: ContainerListOptions): Promise<ContainerSummary[]>;
  logs(id: string, options: LogsOptions): Promise<LogStream>;
  attach(id: string, options: AttachOptions): Promise<AttachSession>;
  /** TTY size of the container's console (`docker run -t` sends it). */
  resize(id: string, size: { height: number; width: number }): Promise<void>;
  top(id: string, psArgs: string | undefined): Promise<ProcessList>;
  /** The first sample comes at once; with `stream` one more per second until the signal fires. */
  stats(id: string, options: StatsOptions): AsyncIterable<ContainerStats>;
  rename(id: string, newName: string): Promise<void>;
  update(id: string, update: ContainerUpdateRequest): Promise<ContainerUpdateResponse>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  archiveStat(id: string, path: string): Promise<PathStat>;
  /** A tar of `path` (a file or a directory tree), named by its base name as `docker cp` expects. */
  archiveGet(id: string, path: string, signal: AbortSignal): Promise<{ stat: PathStat; tar: Readable }>;
  /** Extracts the tar into the directory `path`. */
  archivePut(id: string, path: string, tar: Readable, options: ArchivePutOptions): Promise<void>;
  /** `docker diff`: what the container changed in its own layer. */
  changes(id: string): Promise<FilesystemChange[]>;
  /** `docker export`: the container's root filesystem (without volumes) as a tar. */
  export(id: string, signal: AbortSignal): Promise<Readable>;
  /** `docker commit`: the container's changes as a new image on top of its own; answers the image id. */
  commit(id: string, options: ContainerCommitOptions): Promise<{ Id: string }>;
}

/** One entry of `GET /containers/{id}/changes`: Kind 0 modified, 1 added, 2 deleted. */
export interface FilesystemChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** `POST /commit`: the query and the optional ContainerConfig body. */
export interface ContainerCommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Freeze the container while its layer is read (default true). */
  pause: boolean;
  /** Dockerfile instructions applied to the new image's config (`--change`). */
  changes: string[];
  /** Config fields that replace the container's in the image (the request body). */
  config?: ContainerConfig;
}

export interface ExecBackend {
  create(containerId: string, request: ExecCreateRequest): Promise<{ Id: string }>;
  /** Rejects (404, 409) before any output, so the API can still answer with a status. */
  start(execId: string, options: ExecStartOptions): Promise<ExecSession>;
  inspect(execId: string): Promise<ExecInspect>;
  resize(execId: string, size: { height: number; width: number }): Promise<void>;
}

export interface ImageBackend {
  list(options: ImageListOptions): Promise<ImageSummary[]>;
  inspect(name: string): Promise<ImageInspect>;
  history(name: string): Promise<ImageHistoryItem[]>;
  /** Docker's JSON progress, one message per layer event; a failure half-way is the last message's `error`. */
  pull(options: ImagePullOptions): AsyncIterable<ProgressMessage>;
  push(name: string, options: ImagePushOptions): AsyncIterable<ProgressMessage>;
  /** Filters: dangling, until, label, label!. */
  prune(filters: Filters): Promise<ImagePruneResponse>;
  /** What the registry has under the reference (its manifest descriptor and platforms), without pulling. */
  distribution(name: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<DistributionInspect>;
  /** Progress as it goes; the last message's `status` is the new image id. */
  import(options: ImageImportOptions): AsyncIterable<ProgressMessage>;
  /** `docker save` tarball in; one `{"stream": "Loaded image: …\n"}` per image. */
  load(tar: Readable, options: ImageLoadOptions): AsyncIterable<ProgressMessage>;
  tag(name: string, repo: string, tag: string | undefined): Promise<void>;
  remove(name: string, options: ImageRemoveOptions): Promise<ImageDeleteResponseItem[]>;
  /** A `docker save` tarball of the named images. */
  save(names: string[], signal: AbortSignal): Promise<Readable>;
}

/** `GET /system/df`. */
export interface SystemDataUsage {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: ContainerSummary[];
  Volumes: Volume[];
  BuildCache: unknown[];
}

export interface SystemBackend {
  info(): Promise<SystemInfo>;
  /** `docker login`: checks the credentials against the registry; nothing is stored. */
  auth(config: AuthConfig): Promise<{ Status: string; IdentityToken?: string }>;
  /** `docker system df`; `types` limits it to some of image, container, volume, build-cache. */
  dataUsage(types: readonly string[]): Promise<SystemDataUsage>;
  version(): Promise<SystemVersion>;
  /** Resolves when the engine can serve requests; rejects (e.g. InternalError) when it cannot. */
  ping(): Promise<void>;
  /** Whether experimental features are on (the `Docker-Experimental` ping header). */
  experimental(): boolean;
  /** Stored events matching the filters from `since`, then live ones until `until` or the signal. */
  events(options: EventsOptions): AsyncIterable<EventMessage>;
}

// ---------------------------------------------------------------------------------------------
// Networks (moby swagger: Network, NetworkCreateRequest, NetworkConnectRequest, …)

export interface IpamConfigEntry {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string> | null;
}

export interface NetworkCreateRequest {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfigEntry[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Labels | null;
}

export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** `GET /networks/{id}` (and each item of `GET /networks`). */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfigEntry[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainer>;
  Options: Record<string, string>;
  Labels: Labels;
}

export interface NetworkConnectRequest {
  Container: string;
  EndpointConfig?: EndpointSettings | null;
}

export interface NetworkDisconnectRequest {
  Container: string;
  Force?: boolean;
}

export interface NetworkBackend {
  list(filters: Filters): Promise<NetworkInspect[]>;
  inspect(ref: string): Promise<NetworkInspect>;
  /** 409 when the name is taken (Docker ≥ 1.44 always checks; CheckDuplicate is accepted). */
  create(request: NetworkCreateRequest): Promise<{ Id: string; Warning: string }>;
  /** 403 while running containers are attached (dockerd's "has active endpoints"), and for the predefined networks. */
  remove(ref: string): Promise<void>;
  connect(ref: string, request: NetworkConnectRequest): Promise<void>;
  disconnect(ref: string, request: NetworkDisconnectRequest): Promise<void>;
  prune(filters: Filters): Promise<{ NetworksDeleted: string[] }>;
}

/** 403: the operation is not allowed on this object (moby's errdefs.Forbidden). */
export class ForbiddenError extends EngineError {
  override readonly status: number = 403;
}

export interface VolumeBackend {
  /** Returns the existing volume when one of that name was made with the same options. */
  create(request: VolumeCreateRequest): Promise<Volume>;
  /** Filters: name (substring), label, dangling, driver. */
  list(filters: Filters): Promise<VolumeListResponse>;
  inspect(name: string): Promise<Volume>;
  /** 409 while a container references it; `force` ignores a missing volume. */
  remove(name: string, options: { force: boolean }): Promise<void>;
  /** Unused volumes matching the filters (label, `all`); without `all` only anonymous ones unless `allByDefault`. */
  prune(filters: Filters, options: { allByDefault: boolean }): Promise<VolumePruneResponse>;
}

// ---------------------------------------------------------------------------------------------
// Build (the legacy builder's API: POST /build, POST /build/prune)

export interface ImageBuildOptions {
  /** The context as a tar stream (plain or gzip). */
  context: Readable;
  /** The Dockerfile's path in the context. */
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  /** q: only the image id is streamed. */
  quiet: boolean;
  platform?: string;
  /** `none` or `default`. */
  network: 'default' | 'none';
  extraHosts: string[];
  shmSize?: number;
  /** Images offered as cache sources. */
  cacheFrom: string[];
  /** X-Registry-Config: registry host → credentials, for pulling base images. */
  registryAuth?: Record<string, AuthConfig>;
  signal: AbortSignal;
}

export interface BuildCachePruneOptions {
  all: boolean;
  keepStorage?: number;
  filters: Filters;
}

export interface BuildCacheRecord {
  ID: string;
  Parent: string;
  Parents: string[];
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

export interface BuildBackend {
  /** Docker's JSON stream: `stream` lines, `aux` with the image id; a failure half-way as the last message. */
  build(options: ImageBuildOptions): AsyncIterable<ProgressMessage>;
  prune(options: BuildCachePruneOptions): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
  /** `GET /system/df`'s BuildCache rows (the df handler calls this). */
  usage(): Promise<BuildCacheRecord[]>;
}

export interface EngineBackend {
  containers: ContainerBackend;
  networks: NetworkBackend;
  volumes: VolumeBackend;
  exec: ExecBackend;
  images: ImageBackend;
  system: SystemBackend;
  /** Absent: the engine has no builder (POST /build answers 501). */
  build?: BuildBackend;
}

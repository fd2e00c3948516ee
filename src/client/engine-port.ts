// The engine port: the narrow interface the compose engine (observe, plan, apply, the lifecycle
// commands, watch, compare) uses to drive a container engine. Shapes are the Docker Engine API's
// (dockerode's type definitions), so one implementation (docker-port.ts) serves both a Docker Engine
// and berth's built-in engine, and an in-memory fake (test/support/fake-engine.ts) serves fast tests.
//
// Conventions every implementation keeps:
// - ids or names are accepted wherever a container, network, volume or image is named;
// - failures are EnginePortError with the HTTP status the engine answered (404, 409, ...), the
//   operation and the object, wrapped once at this boundary;
// - streams (logs, attach, exec output, events) end when their AbortSignal fires.

import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Docker API shapes (dockerode's), re-exported under the names the compose engine uses.

export type ContainerSummary = Docker.ContainerInfo;
export type ContainerInspect = Docker.ContainerInspectInfo;
/** Body of `POST /containers/create` (the name travels separately, see ContainerPort.create). */
export type ContainerCreateBody = Omit<Docker.ContainerCreateOptions, 'name' | 'abortSignal' | 'platform'>;
export type HostConfig = Docker.HostConfig;
export type EndpointSettings = Docker.EndpointSettings;
export type NetworkInspect = Docker.NetworkInspectInfo;
export type NetworkCreateBody = Omit<Docker.NetworkCreateOptions, 'abortSignal'>;
export type VolumeInspect = Docker.VolumeInspectInfo;
export type VolumeCreateBody = Omit<Docker.VolumeCreateOptions, 'abortSignal'>;
export type ImageSummary = Docker.ImageInfo;
export type ImageInspect = Docker.ImageInspectInfo;
export type ExecCreateBody = Omit<Docker.ExecCreateOptions, 'abortSignal'>;
export type ExecInspect = Docker.ExecInspectInfo;
/** One sample of `GET /containers/{id}/stats?stream=false` (cgroup counters: memory, CPU, pids, network). */
export type ContainerStats = Docker.ContainerStats;

/** Docker list filters: `{ label: ['com.docker.compose.project=app'], status: ['running'] }`. */
export type Filters = Record<string, string[]>;

/** One line of `GET /events` (moby's events.Message). */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds. */
  timeNano: number;
}

/** One chunk of a container's or exec session's output, demultiplexed. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface EngineVersion {
  /** `Version` of `GET /version`: the engine's own version. */
  version: string;
  apiVersion: string;
  /** `berth` for berth's built-in engine, `docker` for anything else that speaks the API. */
  flavour: 'berth' | 'docker';
  os: string;
  arch: string;
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * An engine call failed. `status` is the HTTP status the engine answered (0 when it could not be
 * reached); `operation` names the call (`container.create`), `target` the object.
 */
export class EnginePortError extends BerthError {
  readonly status: number;
  readonly operation: string;
  readonly target: string | undefined;
  readonly engineMessage: string;
  constructor(operation: string, target: string | undefined, status: number, engineMessage: string, options?: { cause?: unknown }) {
    super(`${operation}${target ? ` ${target}` : ''}: ${engineMessage}${status ? ` (engine answered ${status})` : ''}`, options);
    this.status = status;
    this.operation = operation;
    this.target = target;
    this.engineMessage = engineMessage;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof EnginePortError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof EnginePortError && e.status === 409;
/** 403: a refusal of the object's state, as dockerd answers the removal of a network with active endpoints. */
export const isForbidden = (e: unknown): boolean => e instanceof EnginePortError && e.status === 403;
/** 304: start of a running container, stop of a stopped one. */
export const isNotModified = (e: unknown): boolean => e instanceof EnginePortError && e.status === 304;

// ---------------------------------------------------------------------------------------------
// Options

export interface ContainerListOptions {
  /** Also stopped containers (`docker ps -a`). Default false. */
  all?: boolean;
  filters?: Filters;
}

export interface StopOptions {
  /** Seconds before SIGKILL; undefined means the container's own StopTimeout (else 10). */
  timeout?: number;
  /** Signal sent first; undefined means the container's StopSignal (else SIGTERM). API ≥ 1.42. */
  signal?: string;
}

export interface RemoveOptions {
  force?: boolean;
  /** Also remove the container's anonymous volumes. */
  volumes?: boolean;
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Lines from the end; undefined for all. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  until?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface AttachOptions {
  /** Replay what the container already wrote before streaming. */
  logs?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Forwarded to the container's stdin (it must have OpenStdin). */
  stdin?: Readable;
  signal?: AbortSignal;
}

export interface ExecStartOptions {
  /** Start and return at once; the returned stream is empty. */
  detach?: boolean;
  tty?: boolean;
  stdin?: Readable;
  signal?: AbortSignal;
}

export interface EventsOptions {
  filters?: Filters;
  /** Unix seconds; replay from then. */
  since?: number;
  until?: number;
  signal?: AbortSignal;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** `X-Docker-Container-Path-Stat` of the archive API: what a path inside a container is. */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits: type bits high (directory 1<<31, symlink 1<<27), permissions low. */
  mode: number;
  mtime: string;
  /** Where a symlink points (absolute, inside the container); '' otherwise. */
  linkTarget: string;
}

export const FILE_MODE_DIR = 2 ** 31;
export const FILE_MODE_SYMLINK = 2 ** 27;

export interface PutArchiveOptions {
  /** Keep the archive's uid/gid (`cp -a`); otherwise files belong to the container's root. */
  copyUIDGID?: boolean;
  /** Refuse to replace a directory with a non-directory or the reverse (the docker CLI always asks this). */
  noOverwriteDirNonDir?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The port

export interface ContainerPort {
  list(options?: ContainerListOptions): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerInspect>;
  /** `name` empty lets the engine pick one. */
  create(name: string, body: ContainerCreateBody): Promise<{ Id: string; Warnings: string[] }>;
  /** Starting a running container is not an error (the 304 is swallowed). */
  start(id: string): Promise<void>;
  /** Stopping a stopped container is not an error (the 304 is swallowed). */
  stop(id: string, options?: StopOptions): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  restart(id: string, options?: StopOptions): Promise<void>;
  remove(id: string, options?: RemoveOptions): Promise<void>;
  /** Resolves with the exit code once the condition holds (default `not-running`). */
  wait(id: string, condition?: WaitCondition, signal?: AbortSignal): Promise<{ StatusCode: number }>;
  /** Demultiplexed output; TTY containers deliver everything as `stdout`. */
  logs(id: string, options?: LogsOptions): AsyncIterable<OutputChunk>;
  attach(id: string, options?: AttachOptions): Promise<AsyncIterable<OutputChunk>>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  top(id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  /** One resource sample (one-shot: no second sample for a CPU delta). */
  stats(id: string): Promise<ContainerStats>;
  /** Samples as the engine produces them (about one a second) until the signal fires or the container goes. */
  statsStream(id: string, signal?: AbortSignal): AsyncIterable<ContainerStats>;
  rename(id: string, newName: string): Promise<void>;
  /** Extracts a tar archive into the directory `path` inside the container. */
  putArchive(id: string, path: string, tar: Buffer | Readable, options?: PutArchiveOptions): Promise<void>;
  /** What `path` is inside the container (404 when it does not exist). */
  archiveStat(id: string, path: string): Promise<PathStat>;
  /** `path` as a tar archive whose root entry is its base name, and its stat. */
  getArchive(id: string, path: string, signal?: AbortSignal): Promise<{ stat: PathStat; tar: AsyncIterable<Buffer> }>;
}

export interface ExecPort {
  create(containerId: string, body: ExecCreateBody): Promise<{ Id: string }>;
  /** The session's output until the process exits (empty when detached). */
  start(execId: string, options?: ExecStartOptions): Promise<AsyncIterable<OutputChunk>>;
  inspect(execId: string): Promise<ExecInspect>;
}

export interface NetworkPort {
  list(filters?: Filters): Promise<NetworkInspect[]>;
  inspect(id: string): Promise<NetworkInspect>;
  create(body: NetworkCreateBody): Promise<{ Id: string }>;
  remove(id: string): Promise<void>;
  connect(network: string, container: string, endpoint?: EndpointSettings): Promise<void>;
  disconnect(network: string, container: string, force?: boolean): Promise<void>;
}

export interface VolumePort {
  list(filters?: Filters): Promise<VolumeInspect[]>;
  inspect(name: string): Promise<VolumeInspect>;
  create(body: VolumeCreateBody): Promise<VolumeInspect>;
  remove(name: string, force?: boolean): Promise<void>;
}

/** One line of a pull or push progress stream, as the engine sent it (moby's jsonmessage). */
export interface TransferProgress {
  /** A layer's short id; absent for messages about the whole image. */
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

export interface TransferOptions {
  /** `os/arch[/variant]` (pull only). */
  platform?: string;
  signal?: AbortSignal;
  onProgress?(p: TransferProgress): void;
}

export interface PullOutcome {
  /** The manifest digest the engine reported (`Digest: sha256:…`). */
  digest?: string;
  /** Whether anything new came in (`Downloaded newer image`) or the image was `up to date`. */
  updated: boolean;
}

/** A build through the engine's classic builder API (POST /build), which Docker Engine and berth's both serve. */
export interface ImageBuildRequest {
  /** The context as a tar stream (opened when the request is sent). */
  context: () => Readable;
  /** The Dockerfile's path in the context. */
  dockerfile: string;
  tags: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
  /** `default` or `none`. */
  network?: string;
  shmSize?: number;
  extraHosts?: string[];
  platform?: string;
  signal?: AbortSignal;
}

/** What a build reports, read from the engine's JSON stream. */
export type BuildStreamEvent =
  | { kind: 'step'; number: number; total: number; text: string }
  | { kind: 'cached' }
  | { kind: 'done'; id: string }
  | { kind: 'output'; text: string }
  | { kind: 'warning'; text: string };

/** A build the engine reported as failed: its message, and the output of the step that failed. */
export class ImageBuildError extends EnginePortError {
  constructor(
    target: string,
    message: string,
    readonly output: string[],
  ) {
    super('image.build', target, 0, message);
  }
}

export interface ImagePort {
  list(filters?: Filters): Promise<ImageSummary[]>;
  inspect(name: string): Promise<ImageInspect>;
  remove(name: string, options?: { force?: boolean; noprune?: boolean }): Promise<void>;
  /**
   * Pulls `ref` (`name[:tag]` or `name@digest`) into the engine, with the user's registry
   * credentials (Docker's config.json) for its registry. An error half-way is thrown, with the
   * engine's message.
   */
  pull(ref: string, options?: TransferOptions): Promise<PullOutcome>;
  /** Pushes `ref` (`name:tag`) to its registry; the pushed manifest digest. */
  push(ref: string, options?: TransferOptions): Promise<{ digest?: string }>;
  /** The digest the registry has under `ref` now (its index's, for a multi-platform image), asked through the engine. */
  registryDigest(ref: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** Builds and tags an image; resolves with its id. A failed build rejects with ImageBuildError. */
  build(request: ImageBuildRequest, onEvent?: (e: BuildStreamEvent) => void): Promise<{ id: string }>;
}

export interface EnginePort {
  /** Where this port points, for messages: `built-in engine at /run/berth/engine.sock`. */
  readonly description: string;
  /**
   * The engine attaches every network named in a create's `NetworkingConfig` (berth's engine,
   * Docker API ≥ 1.44); otherwise only the first, and the others need a connect each.
   */
  readonly createsWithAllNetworks?: boolean;
  readonly containers: ContainerPort;
  readonly exec: ExecPort;
  readonly networks: NetworkPort;
  readonly volumes: VolumePort;
  readonly images: ImagePort;
  /** Live events (and replayed ones with `since`) until the signal fires or `until` passes. */
  events(options?: EventsOptions): AsyncIterable<EngineEvent>;
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
}

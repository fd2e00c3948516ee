// The Swarm port: what berth's Swarm target (src/swarm/) needs from a Swarm manager — services,
// tasks, nodes, overlay networks, configs, secrets, image digests and service logs. Beside the
// EnginePort (containers on one engine), not part of it: a manager is a different kind of target,
// and the container verbs' code never sees this. Shapes are the Docker API's (swarm-api.ts);
// failures are EnginePortError with the status the manager answered, as for the EnginePort. One
// implementation over HTTP (swarm-docker-port.ts) and an in-memory fake for planner and executor
// tests (test/support/fake-swarm.ts).
import type { Filters } from './engine-port.js';
import type { FileObjectInfo, FileObjectSpec, NetworkCreateSpec, NetworkInfo, NodeInfo, ServiceInfo, ServiceSpec, SwarmInfo, TaskInfo } from './swarm-api.js';

export interface ServiceLogsOptions {
  follow?: boolean;
  /** Lines from the end of each task's log; undefined for all. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  /** The service runs with a TTY: its log stream is raw, not multiplexed. */
  tty?: boolean;
  signal?: AbortSignal;
}

/** One line of a service's log, with the task and node it came from. */
export interface ServiceLogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as the engine stamped it. */
  time: string;
  taskId?: string;
  nodeId?: string;
  /** The line without its trailing newline. */
  text: string;
}

export interface FileObjectPort {
  list(filters?: Filters): Promise<FileObjectInfo[]>;
  create(spec: FileObjectSpec): Promise<{ ID: string }>;
  remove(id: string): Promise<void>;
}

export interface SwarmPort {
  /** Where the manager is, for messages: `Swarm manager at unix:///…/docker.sock`. */
  readonly description: string;
  /** The `Swarm` part of /info: whether this engine is a manager. */
  swarmInfo(): Promise<SwarmInfo>;
  readonly services: {
    /** With each service's ServiceStatus (running / desired tasks). */
    list(filters?: Filters): Promise<ServiceInfo[]>;
    create(spec: ServiceSpec): Promise<{ ID: string; Warnings: string[] }>;
    /** `version` is the Version.Index the spec was read at: Swarm refuses a stale one (409). */
    update(id: string, version: number, spec: ServiceSpec): Promise<{ Warnings: string[] }>;
    remove(id: string): Promise<void>;
    /** The service's tasks' output, merged by the manager; ends with the signal (or at the end when not following). */
    logs(id: string, options?: ServiceLogsOptions): AsyncIterable<ServiceLogLine>;
  };
  readonly tasks: { list(filters?: Filters): Promise<TaskInfo[]> };
  readonly nodes: { list(filters?: Filters): Promise<NodeInfo[]> };
  readonly networks: {
    list(filters?: Filters): Promise<NetworkInfo[]>;
    create(spec: NetworkCreateSpec): Promise<{ Id: string }>;
    remove(id: string): Promise<void>;
  };
  readonly configs: FileObjectPort;
  readonly secrets: FileObjectPort;
  /** The manifest digest (`sha256:…`) the image's registry serves for a reference, asked of the manager. */
  imageDigest(reference: string): Promise<string>;
}

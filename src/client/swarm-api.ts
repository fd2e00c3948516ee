// The Swarm objects in the Docker Engine API's shape (swagger v1.41, the version Debian's dockerd
// 20.10 speaks): what berth sends (the bodies of POST /services/create, /networks/create,
// /secrets/create, /configs/create) and what a manager answers about services, tasks, nodes and
// objects. Only the fields berth sets or reads are listed. Durations are nanoseconds, sizes bytes,
// as the API has them. They live beside the SwarmPort (swarm-port.ts), as the container shapes live
// beside the EnginePort.

export type Labels = Record<string, string>;

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe';
  /** Absent for anonymous volumes and tmpfs. */
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Labels; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface FileReference {
  Name: string;
  UID: string;
  GID: string;
  Mode: number;
}

/** SecretID / ConfigID are only known once the objects exist: `withObjectIds` fills them in. */
export interface SecretReference {
  File: FileReference;
  SecretName: string;
  SecretID?: string;
}

export interface ConfigReference {
  File: FileReference;
  ConfigName: string;
  ConfigID?: string;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Privileges?: { CredentialSpec?: { Config?: string; File?: string; Registry?: string } };
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  HealthCheck?: HealthConfig;
  /** `IP host…` lines, hosts(5) order. */
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: string;
  Init?: boolean;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
}

export interface GenericResource {
  NamedResourceSpec?: { Kind: string; Value: string };
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

export interface ResourceRequirements {
  Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
  Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: GenericResource[] };
}

export interface RestartPolicy {
  Condition?: 'none' | 'on-failure' | 'any';
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
  Platforms?: { Architecture?: string; OS?: string }[];
}

export interface NetworkAttachment {
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  /** Bumped to redeploy every task without another change (`docker service update --force`). */
  ForceUpdate?: number;
  Resources?: ResourceRequirements;
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: NetworkAttachment[];
  LogDriver?: { Name: string; Options?: Record<string, string> };
}

export interface ServiceMode {
  Replicated?: { Replicas: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent: number; TotalCompletions: number };
  GlobalJob?: Record<string, never>;
}

export interface UpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface PortConfig {
  Name?: string;
  Protocol: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode: 'vip' | 'dnsrr';
  Ports?: PortConfig[];
}

export interface ServiceSpec {
  Name: string;
  Labels: Labels;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec: EndpointSpec;
}

export interface NetworkCreateSpec {
  Name: string;
  Driver: string;
  Scope: 'swarm';
  Attachable: boolean;
  Internal?: boolean;
  EnableIPv6?: boolean;
  CheckDuplicate: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels: Labels;
}

/** SecretSpec and ConfigSpec share this shape (only secrets have Driver); Data is base64. */
export interface FileObjectSpec {
  Name: string;
  Labels: Labels;
  Data: string;
  Driver?: { Name: string; Options?: Record<string, string> };
  Templating?: { Name: string };
}

// ---------------------------------------------------------------------------------------------
// What a manager answers

export interface ObjectVersion {
  Index: number;
}

export type UpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export interface ServiceInfo {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Spec?: EndpointSpec; Ports?: PortConfig[] };
  UpdateStatus?: { State?: UpdateState; StartedAt?: string; CompletedAt?: string; Message?: string };
  /** Present when listed with `status=true` (API ≥ 1.41). */
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks?: number };
  JobStatus?: { JobIteration: ObjectVersion; LastExecution?: string };
}

/** swarmkit's task states, in the order a task moves through them. */
export type TaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running'
  | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

export interface TaskInfo {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: TaskSpec;
  ServiceID: string;
  /** Replicated services number their tasks 1…N; global ones have none. */
  Slot?: number;
  NodeID?: string;
  Status: {
    Timestamp: string;
    State: TaskState;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
    PortStatus?: { Ports?: PortConfig[] };
  };
  DesiredState: TaskState;
  JobIteration?: ObjectVersion;
}

export interface NodeInfo {
  ID: string;
  Spec: { Role?: 'manager' | 'worker'; Availability?: 'active' | 'pause' | 'drain'; Labels?: Labels; Name?: string };
  Description?: { Hostname?: string };
  Status?: { State?: 'unknown' | 'down' | 'ready' | 'disconnected'; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** A network as `GET /networks` lists it. */
export interface NetworkInfo {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Labels?: Labels | null;
}

/** A config or secret as listed (secrets never carry their data). */
export interface FileObjectInfo {
  ID: string;
  CreatedAt?: string;
  Spec: { Name: string; Labels?: Labels | null };
}

/** The `Swarm` part of `GET /info`. */
export interface SwarmInfo {
  NodeID: string;
  LocalNodeState: 'inactive' | 'pending' | 'active' | 'error' | 'locked' | string;
  /** true on a manager: only managers take service, task and node calls. */
  ControlAvailable: boolean;
  Nodes?: number;
  Managers?: number;
  Cluster?: { ID: string };
}

// The canonical project model: what the loader produces after the last stage and what
// `berth config` prints. Every short syntax is gone; every later stage (graph, plan, apply)
// reads only this form. Fields the spec allows but berth passes through untouched are
// typed `unknown` via the index signature.

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: DependsOnCondition;
  required: boolean;
  /** Restart this service when the dependency is recreated or restarted. */
  restart?: boolean;
}

export interface PortConfig {
  name?: string;
  mode: 'ingress' | 'host';
  host_ip?: string;
  target: number;
  /** A single port or a range ("8000-8010"), as compose keeps it: a string. */
  published?: string;
  protocol: string;
  app_protocol?: string;
}

export interface ServiceVolume {
  type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  /** Absolute host path (bind), volume key (volume), image reference (image); absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z'; recursive?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  priority?: number;
  gw_priority?: number;
  driver_opts?: Record<string, string>;
}

export interface Healthcheck {
  /** Canonical: ["NONE"], ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test?: string[];
  /** Go-style durations ("1m30s"), as compose prints them; see durations.ts to convert. */
  interval?: string;
  timeout?: string;
  start_period?: string;
  start_interval?: string;
  retries?: number;
  disable?: boolean;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  [key: string]: unknown;
}

export interface EnvFileRef {
  /** Absolute path. */
  path: string;
  required: boolean;
  format?: string;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface ServiceConfig {
  image?: string;
  build?: BuildConfig;
  /** always, missing, never, build, daily, weekly, every_<duration>, refresh (plan/pulls.ts). */
  pull_policy?: string;
  pull_refresh_after?: string;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  env_file?: EnvFileRef[];
  labels?: Record<string, string>;
  /** Files of `KEY=VALUE` labels (absolute paths once loaded); their labels are merged into `labels`. */
  label_file?: string[];
  ports?: PortConfig[];
  expose?: string[];
  volumes?: ServiceVolume[];
  volumes_from?: string[];
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  ipc?: string;
  pid?: string;
  depends_on?: Record<string, DependsOn>;
  links?: string[];
  healthcheck?: Healthcheck;
  restart?: string;
  profiles?: string[];
  container_name?: string;
  hostname?: string;
  user?: string;
  working_dir?: string;
  scale?: number;
  deploy?: { replicas?: number; [key: string]: unknown };
  extra_hosts?: Record<string, string[]>;
  sysctls?: Record<string, string>;
  ulimits?: Record<string, Ulimit>;
  /** Bytes. */
  mem_limit?: number;
  mem_reservation?: number;
  memswap_limit?: number;
  shm_size?: number;
  stop_grace_period?: string;
  stop_signal?: string;
  secrets?: { source: string; target?: string; uid?: string; gid?: string; mode?: number }[];
  configs?: { source: string; target?: string; uid?: string; gid?: string; mode?: number }[];
  [key: string]: unknown;
}

export interface NetworkConfig {
  /** The engine-side name: `<project>_<key>` unless set or external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  ipam?: { driver?: string; config?: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }[]; options?: Record<string, string> };
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface FileObjectConfig {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  [key: string]: unknown;
}

/** berth's `x-placement` extension, normalised. */
export type PlacementMode = 'split' | 'pod' | 'single';

export interface PlacementGroup {
  mode: PlacementMode;
  services: string[];
  /** Pod only: also share the PID namespace. */
  share_pid?: boolean;
}

export interface Project {
  name: string;
  services: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileObjectConfig>;
  configs: Record<string, FileObjectConfig>;
  /** Top-level `x-*` keys, kept as written. */
  extensions: Record<string, unknown>;
}

// The solver's two ports to the rest of the engine, kept narrow so the build room depends on no
// other room's internals: the image store (resolve a base, turn layers into a tagged image) and
// the runtime (run a RUN step in a real container; mount a root filesystem view). The daemon
// implements both (daemon/build-store.ts, daemon/build-executor.ts); tests can fake them.
/** The OCI image config, as much of it as a build reads and writes. */
export interface OciImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, Record<string, never>> | null;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, Record<string, never>> | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
    OnBuild?: string[] | null;
    Shell?: string[];
  };
  rootfs: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean; author?: string }[];
}

/** A base image as the solver needs it. */
export interface ResolvedImage {
  id: string;
  config: OciImageConfig;
  /** Overlay lower dirs, top-most first; the host image's last one is `/`. */
  lowerDirs: string[];
}

/** A layer the build made: its uncompressed tar and the same content as an overlay-ready dir. */
export interface BuiltLayer {
  diffId: string;
  tarPath: string;
  dir: string;
}

export interface BuildImageStore {
  /**
   * The image a FROM or `--from` names. Missing → a BuildStoreError of kind `not-found` (pulling
   * is the image room's; until it lands the message says how to get the image).
   */
  resolve(ref: string, platform: string, options?: { pull?: boolean }): Promise<ResolvedImage>;
  /** Config + layers → an image (the store adopts the layers it lacks), tagged with `tags`. Returns its id. */
  createImage(config: OciImageConfig, layers: readonly BuiltLayer[], tags: readonly string[]): Promise<string>;
  /** Full name (`docker.io/library/app:latest`) of a tag, or an error naming what is wrong with it. */
  normalizeTag(tag: string): string;
}

export class BuildStoreError extends Error {
  constructor(
    readonly kind: 'not-found' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'BuildStoreError';
  }
}

export type BuildMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number };

export interface RunRequest {
  /** The step's root: overlay lower dirs, top first (may end with `/`, the host image). */
  lowerDirs: readonly string[];
  argv: readonly string[];
  env: readonly string[];
  cwd: string;
  /** The USER value, resolved against the root's /etc/passwd by the executor. */
  user: string;
  /** `none`: loopback only. `default`: the engine's bridge when its outbound NAT is on, else loopback only. */
  network: 'none' | 'default';
  mounts: readonly BuildMount[];
  extraHosts?: readonly string[];
  shmSize?: number;
  /** The upper dir (what the step changed) is moved here once the process has exited. */
  upperTarget: string;
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  exitCode: number;
  /** The step had a network it could use to leave the host. */
  networked: boolean;
}

export interface RootView {
  /** The mounted (or plain) directory to read or write through. */
  path: string;
  release(): Promise<void>;
}

export interface BuildExecutor {
  /** Runs one RUN step in a container of the engine (same runtime, seccomp and capabilities as `docker run`). */
  run(req: RunRequest): Promise<RunOutcome>;
  /** A read-only view of layers stacked (top first). */
  view(lowerDirs: readonly string[]): Promise<RootView>;
  /** A writable view: writes land in `upper` (an empty dir the caller owns), `work` is overlay's scratch. */
  writable(lowerDirs: readonly string[], upper: string, work: string): Promise<RootView>;
  /** Outbound NAT is configured: a RUN with the default network can reach the outside. */
  readonly outboundNat: boolean;
}

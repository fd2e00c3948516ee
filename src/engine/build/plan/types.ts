// The BuildPlan: what the solver consumes. Per needed stage, its base and its steps; per step,
// the operation with everything resolved (variables expanded, paths made absolute, defaults
// filled in) and `keyInput`, the canonical JSON of what its cache key depends on besides its
// parent and the content of its sources.
import type { BuildWarning, SourcePosition } from '../dockerfile/errors.js';
import type { CacheSharing, InstructionKind, MountType, NetworkMode, SecurityMode } from '../dockerfile/model.js';
import type { Chmod } from '../dockerfile/values.js';

/** What the solver learned about a base image (its config), keyed by normalized reference. */
export interface ImageConfigInput {
  env?: string[];
  workingDir?: string;
  user?: string;
  cmd?: string[];
  entrypoint?: string[];
  shell?: string[];
  onBuild?: string[];
  labels?: Record<string, string>;
  exposedPorts?: string[];
  volumes?: string[];
  stopSignal?: string;
  healthcheck?: HealthConfig;
}

export interface HealthConfig {
  /** `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", text]`. */
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  startIntervalNs?: number;
  retries?: number;
}

/** The image config a stage produces, in Docker's terms. */
export interface ImageConfig {
  env: string[];
  workingDir: string;
  user: string;
  cmd?: string[];
  entrypoint?: string[];
  shell: string[];
  labels: Record<string, string>;
  exposedPorts: string[];
  volumes: string[];
  stopSignal?: string;
  healthcheck?: HealthConfig;
  onBuild: string[];
  author?: string;
}

export type StageBase =
  | { kind: 'scratch' }
  /** `ref` is normalized (`docker.io/library/golang:1.22`); `resolved` says whether its config was given. */
  | { kind: 'image'; ref: string; resolved: boolean }
  | { kind: 'stage'; stage: number };

/** Where a COPY --from or a RUN --mount takes files from. */
export type SourceRef =
  | { kind: 'context' }
  | { kind: 'stage'; stage: number }
  | { kind: 'image'; ref: string }
  /** Nothing: where a cache mount starts from. */
  | { kind: 'scratch' };

export type CopySource =
  /** `path` is clean and relative to the root of `from`; `wildcard` when it holds `*`, `?` or `[`. */
  | { kind: 'path'; from: SourceRef; path: string; wildcard: boolean }
  /** ADD of a URL: fetched by the solver; `extract` only with --unpack=true. */
  | { kind: 'url'; url: string; checksum?: string; extract: boolean }
  | { kind: 'inline'; name: string; data: string };

export interface ResolvedMount {
  type: MountType;
  target: string;
  from: SourceRef;
  /** Path inside `from` (bind, cache): clean, relative. */
  source?: string;
  readonly: boolean;
  id?: string;
  sharing?: CacheSharing;
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  env?: string;
}

export type StepOp =
  | { op: 'from'; base: StageBase; platform: string }
  | {
      op: 'run';
      argv: string[];
      env: string[];
      cwd: string;
      user: string;
      network: NetworkMode;
      security: SecurityMode;
      mounts: ResolvedMount[];
      /** Heredoc scripts with a shebang: written to these paths and run from there. */
      files: { path: string; data: string; mode: number }[];
    }
  | {
      op: 'copy';
      instruction: 'COPY' | 'ADD';
      sources: CopySource[];
      dest: string;
      /** The destination is a directory: it ends in `/`, or there are several sources. */
      destIsDir: boolean;
      chown?: string;
      chmod?: Chmod;
      link: boolean;
      parents: boolean;
      excludes: string[];
      /** ADD unpacks tar archives (gzip/bzip2/xz too) among its path sources into the destination. */
      extract: boolean;
    }
  | { op: 'workdir'; path: string; user: string }
  /** Image metadata only (ENV, LABEL, CMD…): no filesystem change, the config changes. */
  | { op: 'config'; change: Record<string, unknown> };

export interface PlannedStep {
  /** `<stage>.<ordinal>`, unique in the plan. */
  id: string;
  stage: number;
  /** 1-based within the stage; the FROM is 1. */
  ordinal: number;
  instruction: InstructionKind;
  /** Came from an ONBUILD trigger of the base. */
  trigger: boolean;
  position: SourcePosition;
  /** The step before this one in the stage (undefined for the FROM). */
  parent?: string;
  op: StepOp;
  /** Variables of the build given to RUN but kept out of its cache key and the image (HTTP_PROXY…). */
  proxyEnv?: string[];
  /** Canonical JSON of `op` and the stage platform: the cache key's own part. */
  keyInput: string;
  /** What the plan text shows after the `[stage …]` prefix. */
  text: string;
}

export interface PlannedStage {
  index: number;
  name?: string;
  /** The name, or `stage-<index>` as BuildKit calls unnamed stages. */
  label: string;
  position: SourcePosition;
  platform: string;
  base: StageBase;
  /** Stages this one needs first (base, COPY --from, RUN --mount from), sorted. */
  dependsOn: number[];
  /** Stages of the same level do not depend on each other: the solver may run them at once. */
  level: number;
  steps: PlannedStep[];
  /** The image config after the last step. */
  config: ImageConfig;
}

export interface BuildPlan {
  file: string;
  target: { stage: number; label: string; defaulted: boolean };
  buildPlatform: string;
  targetPlatform: string;
  /** Only the stages the target needs, in Dockerfile order. */
  stages: PlannedStage[];
  /** Stage indices by level: every stage of a level can run once the previous levels are done. */
  levels: number[][];
  /** Image references the solver must resolve: bases, COPY --from images, mount sources. */
  images: string[];
  /** Build-context paths the steps read (COPY/ADD sources, bind mounts): what must be sent and hashed. */
  contextPaths: string[];
  /** Build args given but declared by no ARG the build reaches (Docker warns about them). */
  unusedBuildArgs: string[];
  warnings: BuildWarning[];
}

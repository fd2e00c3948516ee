// The typed Dockerfile: one variant per instruction, with every flag BuildKit accepts. Values
// that BuildKit expands later (paths, ENV values, --chown…) stay as written here, each with its
// position, and are expanded per stage by the planner; RUN, CMD and ENTRYPOINT text is never
// expanded. Validation that needs no variables (flag names and types, argument counts,
// durations, literal modes and ports) has already happened when a value of this type exists.
import type { BuildWarning, SourcePosition } from './errors.js';
import type { EscapeToken } from './lex.js';

/** A value as written in the Dockerfile, not yet expanded. */
export interface Word {
  value: string;
  position: SourcePosition;
}

/** Shell form runs through the stage's SHELL; exec form runs as given. */
export type CommandLine = { form: 'shell'; text: string } | { form: 'exec'; argv: string[] };

export interface Heredoc {
  name: string;
  /** The body, each line ending in `\n`; tabs of `<<-` are not yet removed. */
  content: string;
  /** An unquoted delimiter: COPY/ADD expand variables in the body. */
  expand: boolean;
  /** `<<-`: leading tabs are removed from each line. */
  chomp: boolean;
  /** `3<<EOF` feeds file descriptor 3; 0 (stdin) otherwise. */
  fd: number;
  position: SourcePosition;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/** One `RUN --mount`, its values as written (the planner parses it again with variables expanded). */
export interface RunMount {
  type: MountType;
  target?: string;
  source?: string;
  from?: string;
  readonly: boolean;
  id?: string;
  sharing?: CacheSharing;
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs size limit in bytes. */
  size?: number;
  /** secret: the environment variable to expose it as. */
  env?: string;
}

export interface MountFlag {
  spec: string;
  position: SourcePosition;
  mount: RunMount;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

/** A COPY/ADD heredoc source: a file whose content is in the Dockerfile. */
export interface InlineSource {
  name: string;
  /** Content with `<<-` tabs already removed. */
  data: string;
  expand: boolean;
  position: SourcePosition;
}

export interface KeyValue {
  key: Word;
  value: Word;
  /** `ENV key value` (no `=`): the whole rest of the line is the value. */
  legacy: boolean;
}

interface Located {
  /** Where the keyword is. */
  position: SourcePosition;
  /** The instruction as written, continuations joined: what the plan text shows. */
  original: string;
}

export interface FromInstruction extends Located {
  kind: 'FROM';
  image: Word;
  /** `AS name`, lowercased as BuildKit does. */
  stageName?: string;
  stageNamePosition?: SourcePosition;
  platform?: Word;
}

export interface ArgInstruction extends Located {
  kind: 'ARG';
  args: { name: Word; default?: Word }[];
}

export interface RunInstruction extends Located {
  kind: 'RUN';
  command: CommandLine;
  heredocs: Heredoc[];
  mounts: MountFlag[];
  network?: NetworkMode;
  security?: SecurityMode;
  securityPosition?: SourcePosition;
}

export interface CopyInstruction extends Located {
  kind: 'COPY';
  sources: Word[];
  contents: InlineSource[];
  dest: Word;
  from?: Word;
  chown?: Word;
  chmod?: Word;
  link: boolean;
  parents: boolean;
  excludes: Word[];
}

export interface AddInstruction extends Located {
  kind: 'ADD';
  sources: Word[];
  contents: InlineSource[];
  dest: Word;
  chown?: Word;
  chmod?: Word;
  link: boolean;
  keepGitDir: boolean;
  checksum?: Word;
  /** `--unpack`: undefined means ADD's default (extract local archives, never remote ones). */
  unpack?: boolean;
  excludes: Word[];
}

export interface EnvInstruction extends Located {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends Located {
  kind: 'LABEL';
  pairs: KeyValue[];
}

export interface WorkdirInstruction extends Located {
  kind: 'WORKDIR';
  path: Word;
}

export interface UserInstruction extends Located {
  kind: 'USER';
  user: Word;
}

export interface ExposeInstruction extends Located {
  kind: 'EXPOSE';
  ports: Word[];
}

export interface VolumeInstruction extends Located {
  kind: 'VOLUME';
  paths: Word[];
}

export interface CmdInstruction extends Located {
  kind: 'CMD';
  command: CommandLine;
}

export interface EntrypointInstruction extends Located {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}

export interface HealthcheckInstruction extends Located {
  kind: 'HEALTHCHECK';
  test: { type: 'NONE' } | { type: 'CMD'; command: CommandLine };
  /** Durations in nanoseconds, as Docker's image config stores them; 0 means "the default". */
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  startIntervalNs?: number;
  retries?: number;
}

export interface StopsignalInstruction extends Located {
  kind: 'STOPSIGNAL';
  signal: Word;
}

export interface ShellInstruction extends Located {
  kind: 'SHELL';
  argv: string[];
}

export interface OnbuildInstruction extends Located {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config: the text after ONBUILD, heredoc bodies appended. */
  expression: string;
  trigger: Instruction;
}

export interface MaintainerInstruction extends Located {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | FromInstruction
  | ArgInstruction
  | RunInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | LabelInstruction
  | WorkdirInstruction
  | UserInstruction
  | ExposeInstruction
  | VolumeInstruction
  | CmdInstruction
  | EntrypointInstruction
  | HealthcheckInstruction
  | StopsignalInstruction
  | ShellInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

/** Instructions that may appear inside a stage (everything but FROM). */
export type StageInstruction = Exclude<Instruction, FromInstruction>;

export interface Stage {
  index: number;
  name?: string;
  from: FromInstruction;
  instructions: StageInstruction[];
}

export interface ParsedDockerfile {
  file: string;
  escape: EscapeToken;
  /** `# syntax=` as written, when present (always one the built-in frontend serves). */
  syntax?: string;
  /** `# check=` as written: accepted, not acted on. */
  check?: string;
  /** ARGs before the first FROM: the global scope, usable in FROM lines. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: BuildWarning[];
}

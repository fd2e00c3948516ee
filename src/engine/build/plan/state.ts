// What a stage knows while its instructions are dispatched: the image config so far, the ENV
// variables (stored in the image) and the ARG values (visible to expansion and RUN, never
// stored). Both write one environment, the last writer winning: ENV after ARG overrides it (the
// Dockerfile reference's rule), and — as BuildKit does, checked against dockerd's BuildKit — an
// ARG with a value after an ENV of the same name overrides the ENV for the rest of the stage.
import { DockerfileError, type SourcePosition } from '../dockerfile/errors.js';
import { LexError, processWord, type EscapeToken } from '../dockerfile/lex.js';
import type { Word } from '../dockerfile/model.js';
import type { ImageConfig, ImageConfigInput } from './types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

function splitEnv(entries: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq < 0) m.set(e, '');
    else m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

/** The config of scratch, or of an image whose config the solver did not give (yet). */
export function emptyConfig(): ImageConfig {
  return { env: [`PATH=${DEFAULT_PATH}`], workingDir: '', user: '', shell: [...DEFAULT_SHELL], labels: {}, exposedPorts: [], volumes: [], onBuild: [] };
}

export function configFromImage(input: ImageConfigInput | undefined): ImageConfig {
  if (!input) return emptyConfig();
  return {
    env: input.env ? [...input.env] : [`PATH=${DEFAULT_PATH}`],
    workingDir: input.workingDir ?? '',
    user: input.user ?? '',
    cmd: input.cmd ? [...input.cmd] : undefined,
    entrypoint: input.entrypoint ? [...input.entrypoint] : undefined,
    shell: input.shell?.length ? [...input.shell] : [...DEFAULT_SHELL],
    labels: { ...(input.labels ?? {}) },
    exposedPorts: [...(input.exposedPorts ?? [])],
    volumes: [...(input.volumes ?? [])],
    stopSignal: input.stopSignal,
    healthcheck: input.healthcheck,
    // Triggers run in the stage that uses the image and are not passed further.
    onBuild: [],
  };
}

export class StageState {
  /** What expansion and RUN see: ENV and ARG values, in the order they were first set. */
  readonly env: Map<string, string>;
  /** ENV only: what the image keeps. */
  private readonly configEnv: Map<string, string>;
  /** ARGs in scope: declared names, with their value when they have one. */
  readonly args = new Map<string, string | undefined>();
  config: ImageConfig;
  /** CMD was set in this stage: a later ENTRYPOINT keeps it. */
  cmdSet = false;

  constructor(config: ImageConfig, env?: ReadonlyMap<string, string>) {
    this.config = config;
    this.configEnv = splitEnv(config.env);
    this.env = new Map(env ?? this.configEnv);
  }

  /** A copy for a stage built on this one: environment, config and (as BuildKit does) its ARGs carry over. */
  derive(): StageState {
    const s = new StageState({ ...this.config, env: [...this.config.env], labels: { ...this.config.labels }, onBuild: [] }, this.env);
    for (const [k, v] of this.args) s.args.set(k, v);
    return s;
  }

  /** ENV: replaces in place, as Docker does in the image config. */
  setEnv(key: string, value: string): void {
    this.configEnv.set(key, value);
    this.env.set(key, value);
    this.config.env = [...this.configEnv].map(([k, v]) => `${k}=${v}`);
  }

  /** ARG: declared in any case, in the environment only with a value. */
  setArg(name: string, value: string | undefined): void {
    this.args.set(name, value);
    if (value !== undefined) this.env.set(name, value);
  }

  expansionEnv(): Map<string, string> {
    return this.env;
  }

  /** RUN's environment, with the default PATH when nothing set one. */
  runEnv(): string[] {
    const out = [...this.env].map(([k, v]) => `${k}=${v}`);
    if (!this.env.has('PATH')) out.push(`PATH=${DEFAULT_PATH}`);
    return out;
  }
}

/** Expands words with a stage's variables; a failure is recorded at the word and yields undefined. */
export class Expander {
  constructor(
    private readonly state: StageState,
    private readonly escape: EscapeToken,
    private readonly file: string,
    private readonly errors: DockerfileError[],
  ) {}

  private fail(e: unknown, position: SourcePosition): undefined {
    if (!(e instanceof LexError)) throw e;
    this.errors.push(new DockerfileError(e.message, { file: this.file, position }));
    return undefined;
  }

  word(w: Word): string | undefined {
    try {
      return processWord(w.value, this.state.expansionEnv(), { escape: this.escape }).result;
    } catch (e) {
      return this.fail(e, w.position);
    }
  }

  /** Heredoc bodies: variables only, quotes are the script's (BuildKit's raw expansion). */
  raw(text: string, position: SourcePosition): string | undefined {
    try {
      return processWord(text, this.state.expansionEnv(), { escape: '\\', skipProcessQuotes: true }).result;
    } catch (e) {
      return this.fail(e, position);
    }
  }

  /** A plain string value (a --mount field): a failure is recorded at `position` and the text kept as written. */
  value(text: string, position: SourcePosition): string {
    try {
      return processWord(text, this.state.expansionEnv(), { escape: this.escape }).result;
    } catch (e) {
      this.fail(e, position);
      return text;
    }
  }
}

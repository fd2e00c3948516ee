// What a stage knows while its instructions are dispatched: the image config so far, the ENV
// variables (stored in the image) and the ARG values (visible to expansion and RUN, never
// stored). ENV wins over an ARG of the same name, as the Dockerfile reference says.
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
  readonly env: Map<string, string>;
  /** ARGs in scope: declared names, with their value when they have one. */
  readonly args = new Map<string, string | undefined>();
  config: ImageConfig;
  /** CMD was set in this stage: a later ENTRYPOINT keeps it. */
  cmdSet = false;

  constructor(config: ImageConfig) {
    this.config = config;
    this.env = splitEnv(config.env);
  }

  /** A copy for a stage built on this one: ENV, config and (as BuildKit does) its ARGs carry over. */
  derive(): StageState {
    const s = new StageState({ ...this.config, env: this.envList(), labels: { ...this.config.labels }, onBuild: [] });
    for (const [k, v] of this.args) s.args.set(k, v);
    return s;
  }

  setEnv(key: string, value: string): void {
    this.env.delete(key);
    this.env.set(key, value);
    this.config.env = this.envList();
  }

  envList(): string[] {
    return [...this.env].map(([k, v]) => `${k}=${v}`);
  }

  /** What `$VAR` sees: ARG values, then ENV (which wins). */
  expansionEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of this.env) m.set(k, v);
    return m;
  }

  /** RUN's environment: ENV in order, then ARG values ENV does not shadow; PATH when missing. */
  runEnv(): string[] {
    const out = this.envList();
    for (const [k, v] of this.args) if (v !== undefined && !this.env.has(k)) out.push(`${k}=${v}`);
    if (!this.env.has('PATH') && !this.args.has('PATH')) out.push(`PATH=${DEFAULT_PATH}`);
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

  /** A plain string value (a --mount field), located at `position`; throws LexError through `fail`. */
  value(text: string, position: SourcePosition): string {
    try {
      return processWord(text, this.state.expansionEnv(), { escape: this.escape }).result;
    } catch (e) {
      this.fail(e, position);
      return text;
    }
  }
}

// What every lifecycle verb (src/cli/register-lifecycle.ts) starts from: the project (its model
// when the files load, else only `-p NAME`), the engine, a progress reporter on stderr, and an
// AbortSignal that Ctrl-C fires for the verbs that stream (logs -f, events, wait).
//
// Order matters: the command checks its own flags first, then this checks the output flags, loads
// the files and only then chooses (and perhaps starts) an engine — a bad flag or file never
// touches one.
import { ProgressTracker, reporterFor } from '../apply/progress.js';
import type { ProjectTarget } from '../compose/lifecycle.js';
import { UsageError } from '../errors.js';
import { engineFor, type EngineUse } from './engine-for.js';
import type { CliIO } from './io.js';
import { outputStyle, type OutputStyle } from './output-style.js';
import { projectContext, type ProjectContext } from './project-context.js';
import type { GlobalFlags } from './project-options.js';

export interface LifecycleCommandContext {
  target: ProjectTarget;
  ctx: ProjectContext;
  progress: ProgressTracker;
  colour: boolean;
  style: OutputStyle;
  /** false: the built-in engine does not run (only for `observe` commands; see engine-for.ts). */
  running: boolean;
}

export interface LifecycleContextOptions {
  engine: EngineUse;
  /** The command cannot work without the compose files (else `-p NAME` is enough). */
  required?: boolean;
  /** The command's `--progress`. */
  progress?: string;
  /** The services named on the command line: checked against the stack before the engine is chosen. */
  services?: readonly string[];
}

export async function lifecycleContext(globals: GlobalFlags, io: CliIO, opts: LifecycleContextOptions): Promise<LifecycleCommandContext> {
  const style = outputStyle(globals, io, opts.progress);
  const ctx = projectContext(globals, io, { required: opts.required ?? false, ...(opts.services ? { services: opts.services } : {}) });
  const engine = await engineFor(globals, io, opts.engine);
  return {
    target: { port: engine.port, name: ctx.name, ...(ctx.project ? { model: ctx.project } : {}) },
    ctx,
    progress: new ProgressTracker(reporterFor(style.progress, io.stderr, style.colour), Date.now),
    colour: style.colour,
    style,
    running: engine.running,
  };
}

/** An AbortSignal Ctrl-C fires; call the returned release when the command ends. */
export function interruptSignal(io: CliIO): { signal: AbortSignal; release: () => void } {
  const abort = new AbortController();
  const release = io.onInterrupt?.(() => abort.abort()) ?? (() => undefined);
  return { signal: abort.signal, release };
}

/** `-t 10`, `--index 2`: a non-negative integer or a usage error naming the flag. */
export function intFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} ${value}: not a whole number`);
  return Number(value);
}

/** One of the allowed values, or a usage error naming the flag. */
export function choiceFlag<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} ${value}: one of ${allowed.join(', ')}`);
  return value as T;
}

/** The project's model, for the verbs that cannot work without the compose files. */
export function requireModel(c: LifecycleCommandContext, verb: string): NonNullable<ProjectTarget['model']> {
  if (!c.target.model) throw new UsageError(`${verb} needs the compose files (none found)`);
  return c.target.model;
}

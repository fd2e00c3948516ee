// What every lifecycle verb (src/cli/register-lifecycle.ts) starts from: the project (its model
// when the files load, else only `-p NAME`), the engine, a progress reporter on stderr, and an
// AbortSignal that Ctrl-C fires for the verbs that stream (logs -f, events, wait).
import { ProgressTracker, reporterFor, type ProgressMode } from '../apply/progress.js';
import type { ProjectTarget } from '../compose/lifecycle.js';
import { UsageError } from '../errors.js';
import { engineFor, wantsColour } from './engine-for.js';
import type { CliIO } from './io.js';
import { projectContext, type ProjectContext } from './project-context.js';
import type { GlobalFlags } from './project-options.js';

export interface LifecycleCommandContext {
  target: ProjectTarget;
  ctx: ProjectContext;
  progress: ProgressTracker;
  colour: boolean;
}

export async function lifecycleContext(globals: GlobalFlags, io: CliIO, opts: { required?: boolean; progress?: string } = {}): Promise<LifecycleCommandContext> {
  const ctx = projectContext(globals, io, { required: opts.required ?? false });
  const { port } = await engineFor(globals, io);
  const colour = wantsColour(globals, io);
  const mode = (opts.progress ?? (io.isTTY ? 'tty' : 'plain')) as ProgressMode;
  if (!['tty', 'plain', 'json', 'quiet'].includes(mode)) throw new UsageError(`--progress ${mode}: tty, plain, json or quiet`);
  return { target: { port, name: ctx.name, ...(ctx.project ? { model: ctx.project } : {}) }, ctx, progress: new ProgressTracker(reporterFor(mode, io.stderr, colour), Date.now), colour };
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

/** The project's model, for the verbs that cannot work without the compose files. */
export function requireModel(c: LifecycleCommandContext, verb: string): NonNullable<ProjectTarget['model']> {
  if (!c.target.model) throw new UsageError(`${verb} needs the compose files (none found)`);
  return c.target.model;
}

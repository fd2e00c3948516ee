// `berth build [SVC…]`: thin over src/compose/build.ts — flags → options, engine selection, progress.
import { ProgressTracker, reporterFor, type ProgressMode } from '../../apply/progress.js';
import { buildServices } from '../../compose/build.js';
import { UsageError } from '../../errors.js';
import { pushServices } from '../../compose/pull.js';
import { engineFor } from '../engine-for.js';
import { outputStyle } from '../output-style.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';

export interface BuildFlags {
  /** commander's `--no-cache`: false when given. */
  cache?: boolean;
  pull?: boolean;
  buildArg?: string[];
  quiet?: boolean;
  push?: boolean;
  progress?: string;
  parallel?: string;
}

export function parseBuildArgs(entries: readonly string[] | undefined, env: CliIO['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries ?? []) {
    const eq = e.indexOf('=');
    if (eq === 0) throw new UsageError(`--build-arg ${e}: expected KEY=VALUE`);
    // `--build-arg KEY` takes the value from the environment, as docker compose does.
    if (eq < 0) {
      if (env[e] !== undefined) out[e] = env[e]!;
    } else out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

export async function runBuild(globals: GlobalFlags, flags: BuildFlags, services: string[], io: CliIO): Promise<number> {
  const push = flags.push === true;
  const style = outputStyle(globals, io, flags.quiet ? 'quiet' : flags.progress);
  const parallel = flags.parallel === undefined ? undefined : Number(flags.parallel);
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) throw new UsageError(`--parallel ${flags.parallel}: a positive integer`);
  const options = { noCache: flags.cache === false, pull: flags.pull === true, buildArgs: parseBuildArgs(flags.buildArg, io.env), ...(parallel ? { parallel } : {}) };
  const ctx = projectContext(globals, io, { required: true, services });
  const { port } = await engineFor(globals, io, 'change');
  const tracker = new ProgressTracker(reporterFor(style.progress as ProgressMode, io.stderr, style.colour), Date.now);
  try {
    await buildServices(
      port,
      ctx.project!,
      services,
      options,
      tracker,
      (w) => {
        if (!flags.quiet) io.stderr(`warning: ${w}\n`);
      },
    );
    // --push: each built service's image to the registry its name says, as `berth push` does.
    if (push) {
      const built = services.length > 0 ? services : Object.keys(ctx.project!.services).filter((s) => ctx.project!.services[s].build !== undefined);
      await pushServices({ port, project: ctx.project!, progress: tracker, ...(parallel ? { parallel } : {}) }, built);
    }
  } finally {
    tracker.close();
  }
  return 0;
}

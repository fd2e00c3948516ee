// `berth down`: thin over src/apply/down.ts.
import type { DownFlags } from './verb-flags.js';
import { executeDown } from '../../apply/down.js';
import { ProgressTracker, reporterFor } from '../../apply/progress.js';
import { engineFor } from '../engine-for.js';
import type { CliIO } from '../io.js';
import { choiceFlag } from '../lifecycle-context.js';
import { outputStyle } from '../output-style.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { parallelLimit, seconds } from './up.js';
import { wantsSwarm } from '../swarm-target.js';

export type { DownFlags } from './verb-flags.js';

export async function runDown(globals: GlobalFlags, flags: DownFlags, io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-down.js')).runSwarmDown(globals, flags, io);
  const rmi = choiceFlag('--rmi', flags.rmi, ['all', 'local'] as const);
  const timeout = seconds('-t', flags.timeout);
  const parallel = parallelLimit(flags.parallel, io.env);
  const volumes = flags.volumes ?? false;
  const removeOrphans = flags.removeOrphans ?? ['1', 'true'].includes(io.env.COMPOSE_REMOVE_ORPHANS ?? '');
  const style = outputStyle(globals, io, flags.progress);
  const ctx = projectContext(globals, io, { required: false });
  const { port } = await engineFor(globals, io, 'change');
  const tracker = new ProgressTracker(reporterFor(style.progress, io.stderr, style.colour), Date.now);
  try {
    await executeDown(ctx.name, ctx.project, { volumes, rmi, removeOrphans, timeout, parallel }, { port, progress: tracker });
  } finally {
    tracker.close();
  }
  return 0;
}

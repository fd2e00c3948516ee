// `berth down`: thin over src/apply/down.ts.
import { UsageError } from '../../errors.js';
import { executeDown } from '../../apply/down.js';
import { ProgressTracker, reporterFor, type ProgressMode } from '../../apply/progress.js';
import { engineFor, wantsColour } from '../engine-for.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { parallelLimit } from './up.js';
import { wantsSwarm } from '../swarm-target.js';

export interface DownFlags {
  volumes?: boolean;
  rmi?: string;
  removeOrphans?: boolean;
  timeout?: string;
  progress?: string;
  parallel?: string;
}

export async function runDown(globals: GlobalFlags, flags: DownFlags, io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-down.js')).runSwarmDown(globals, flags, io);
  if (flags.rmi !== undefined && flags.rmi !== 'all' && flags.rmi !== 'local') throw new UsageError(`--rmi ${flags.rmi}: all or local`);
  const timeout = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) throw new UsageError(`-t ${flags.timeout}: expected seconds`);
  const ctx = projectContext(globals, io, { required: false });
  const { port } = await engineFor(globals, io);
  const mode = (flags.progress as ProgressMode | undefined) ?? (io.isTTY ? 'tty' : 'plain');
  const tracker = new ProgressTracker(reporterFor(mode, io.stderr, wantsColour(globals, io)), Date.now);
  try {
    await executeDown(ctx.name, ctx.project, { volumes: flags.volumes, rmi: flags.rmi as 'all' | 'local' | undefined, removeOrphans: flags.removeOrphans, timeout, parallel: parallelLimit(flags.parallel, io.env) }, { port, progress: tracker });
  } finally {
    tracker.close();
  }
  return 0;
}

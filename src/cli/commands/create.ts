// `berth create [--force-recreate|--no-recreate] [--remove-orphans] [--scale svc=n] [services]`:
// the containers up would make, not started. Thin over src/compose/converge.ts.
import { createServices, parseScale } from '../../compose/converge.js';
import { UsageError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { lifecycleContext, requireModel } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runCreate(globals: GlobalFlags, flags: { forceRecreate?: boolean; recreate?: boolean; scale?: string[]; removeOrphans?: boolean }, services: string[], io: CliIO): Promise<number> {
  const forceRecreate = flags.forceRecreate ?? false;
  const noRecreate = flags.recreate === false;
  if (forceRecreate && noRecreate) throw new UsageError('--force-recreate and --no-recreate are incompatible');
  const removeOrphans = flags.removeOrphans ?? ['1', 'true'].includes(io.env.COMPOSE_REMOVE_ORPHANS ?? '');
  const scale = parseScale(flags.scale ?? []);
  const c = await lifecycleContext(globals, io, { engine: 'change', services, required: true });
  await createServices({ port: c.target.port, project: requireModel(c, 'create'), progress: c.progress }, services, {
    forceRecreate,
    noRecreate,
    removeOrphans,
    scale,
    ...(c.ctx.workingDir ? { workingDir: c.ctx.workingDir } : {}),
    ...(c.ctx.configFiles ? { configFiles: c.ctx.configFiles } : {}),
  });
  return 0;
}

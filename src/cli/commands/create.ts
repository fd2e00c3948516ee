// `berth create [--force-recreate|--no-recreate] [--scale svc=n] [services]`: the containers up
// would make, not started. Thin over src/compose/converge.ts.
import { createServices, parseScale } from '../../compose/converge.js';
import type { CliIO } from '../io.js';
import { lifecycleContext, requireModel } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runCreate(globals: GlobalFlags, flags: { forceRecreate?: boolean; recreate?: boolean; scale?: string[]; removeOrphans?: boolean }, services: string[], io: CliIO): Promise<number> {
  const c = await lifecycleContext(globals, io, { required: true });
  await createServices({ port: c.target.port, project: requireModel(c, 'create'), progress: c.progress }, services, {
    forceRecreate: flags.forceRecreate ?? false,
    noRecreate: flags.recreate === false,
    removeOrphans: flags.removeOrphans ?? false,
    scale: parseScale(flags.scale ?? []),
    ...(c.ctx.workingDir ? { workingDir: c.ctx.workingDir } : {}),
    ...(c.ctx.configFiles ? { configFiles: c.ctx.configFiles } : {}),
  });
  return 0;
}

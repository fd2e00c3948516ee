// `berth scale [--no-deps] svc=n...`: thin over src/compose/converge.ts.
import { parseScale, scaleServices } from '../../compose/converge.js';
import type { CliIO } from '../io.js';
import { lifecycleContext, requireModel } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runScale(globals: GlobalFlags, flags: { deps?: boolean }, pairs: string[], io: CliIO): Promise<number> {
  const scale = parseScale(pairs);
  const noDeps = flags.deps === false;
  const c = await lifecycleContext(globals, io, { engine: 'change', required: true });
  await scaleServices({ port: c.target.port, project: requireModel(c, 'scale'), progress: c.progress }, scale, noDeps);
  return 0;
}

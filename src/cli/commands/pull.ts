// `berth pull [--ignore-pull-failures] [-q] [SERVICE…]` and `berth push [--ignore-push-failures]
// [SERVICE…]`: thin over src/compose/pull.ts.
import { ProgressTracker, quietReporter } from '../../apply/progress.js';
import { pullServices, pushServices } from '../../compose/pull.js';
import type { CliIO } from '../io.js';
import { interruptSignal, lifecycleContext, requireModel } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { parallelLimit } from './up.js';

export interface TransferFlags {
  quiet?: boolean;
  ignorePullFailures?: boolean;
  ignorePushFailures?: boolean;
  parallel?: string;
  progress?: string;
}

export async function runTransfer(verb: 'pull' | 'push', globals: GlobalFlags, flags: TransferFlags, services: string[], io: CliIO): Promise<number> {
  // Every flag is read (and checked) before the files and the engine.
  const quiet = flags.quiet === true;
  const parallel = parallelLimit(flags.parallel, io.env);
  const ignoreFailures = verb === 'pull' ? flags.ignorePullFailures : flags.ignorePushFailures;
  const c = await lifecycleContext(globals, io, { engine: 'change', required: true, services, ...(flags.progress ? { progress: flags.progress } : {}) });
  const project = requireModel(c, verb);
  const progress = quiet ? new ProgressTracker(quietReporter, Date.now) : c.progress;
  const { signal, release } = interruptSignal(io);
  try {
    const request = { port: c.target.port, project, progress, signal, parallel, ignoreFailures };
    const failures = verb === 'pull' ? await pullServices(request, services) : await pushServices(request, services);
    // Ignored failures are still told, once each, on stderr.
    for (const f of failures) io.stderr(`warning: ${verb} of ${f.image} (for ${f.services.join(', ')}) failed: ${f.message}\n`);
  } finally {
    release();
    progress.close();
  }
  return 0;
}

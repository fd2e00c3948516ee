// `berth down` on Swarm: thin over src/swarm/down.ts. The stack is found by its label, so `-p NAME`
// works without the files; -v removes volumes on every node berth can reach (swarm-target.ts).
import { ProgressTracker, reporterFor, type ProgressMode } from '../../apply/progress.js';
import { executeStackDown } from '../../swarm/down.js';
import { StackMonitor } from '../../swarm/monitor.js';
import { outputStyle } from '../output-style.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { nodeEngines, refuseOnSwarm, swarmFor } from '../swarm-target.js';
import type { DownFlags } from './verb-flags.js';

export async function runSwarmDown(globals: GlobalFlags, flags: DownFlags, io: CliIO): Promise<number> {
  refuseOnSwarm('down', flags as Record<string, unknown>, {
    rmi: '--rmi: images live on every node that ran a task; remove them there (docker image rm)',
    timeout: '-t: Swarm stops tasks after each service\'s stop_grace_period; set that instead',
    parallel: '--parallel: services go in dependency order, each wave at once',
  });
  const style = outputStyle(globals, io, flags.progress);
  // --remove-orphans is what down does anyway: every service labelled with the stack goes.
  const ctx = projectContext(globals, io, { required: false });
  const target = await swarmFor(io);
  const progress = new ProgressTracker(reporterFor(style.progress as ProgressMode, io.stderr, style.colour), Date.now);
  const monitor = new StackMonitor(target.port, ctx.name);
  try {
    const nodes = [...nodeEngines(target, io.env)].map(([hostname, port]) => ({ hostname, containers: port.containers, volumes: port.volumes }));
    await executeStackDown(ctx.name, { port: target.port, monitor, progress, nodes, warn: (t) => io.stderr(`warning: ${t}\n`) }, { volumes: flags.volumes });
  } finally {
    monitor.close();
    progress.close();
  }
  return 0;
}

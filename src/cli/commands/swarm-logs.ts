// `berth logs` on Swarm: the services' logs as the manager merges them from every task, each line
// prefixed with its task (`api.2@node3`), thin over src/swarm/views.ts.
import { parseLogTime, parseTail } from '../../compose/logs.js';
import { UsageError } from '../../errors.js';
import { followStackLogs } from '../../swarm/views.js';
import { outputStyle } from '../output-style.js';
import { swarmLogPrinter } from '../format-swarm.js';
import type { CliIO } from '../io.js';
import { intFlag, interruptSignal } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { swarmFor } from '../swarm-target.js';
import type { LogsFlags } from './verb-flags.js';

export async function runSwarmLogs(globals: GlobalFlags, flags: LogsFlags, services: string[], io: CliIO): Promise<number> {
  if (flags.until !== undefined) throw new UsageError('logs --until on Swarm: a manager serves service logs from a time on (--since), not up to one');
  const ctx = projectContext(globals, io, { required: false });
  const target = await swarmFor(io);
  const now = Date.now();
  const tail = parseTail(flags.tail);
  const index = intFlag('--index', flags.index);
  const { signal, release } = interruptSignal(io);
  const print = swarmLogPrinter(io.stdout, { noPrefix: flags.logPrefix === false, colour: outputStyle(globals, io).colour && flags.color !== false, timestamps: flags.timestamps });
  try {
    await followStackLogs(
      target.port,
      ctx.name,
      {
        services,
        follow: flags.follow ?? false,
        ...(tail !== undefined ? { tail } : {}),
        ...(flags.since ? { since: parseLogTime(flags.since, now, '--since') } : {}),
        ...(index !== undefined ? { index } : {}),
        signal,
      },
      print,
    );
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    release();
  }
  return 0;
}

// `berth logs [-f] [--tail N] [--since T] [--until T] [-t] [--no-log-prefix] [--no-color] [--index N] [services]`:
// thin over src/compose/logs.ts.
import type { LogsFlags } from './verb-flags.js';
import { parseLogTime, parseTail, showLogs } from '../../compose/logs.js';
import type { CliIO } from '../io.js';
import { intFlag, interruptSignal, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { wantsSwarm } from '../swarm-target.js';

export type { LogsFlags } from './verb-flags.js';

export async function runLogs(globals: GlobalFlags, flags: LogsFlags, services: string[], io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-logs.js')).runSwarmLogs(globals, flags, services, io);
  const now = Date.now();
  const index = intFlag('--index', flags.index);
  const tail = parseTail(flags.tail);
  const since = flags.since ? parseLogTime(flags.since, now, '--since') : undefined;
  const until = flags.until ? parseLogTime(flags.until, now, '--until') : undefined;
  const follow = flags.follow ?? false;
  const timestamps = flags.timestamps ?? false;
  const noPrefix = flags.logPrefix === false;
  const colourWanted = flags.color !== false;
  const c = await lifecycleContext(globals, io, { engine: 'observe', services });
  const { signal, release } = interruptSignal(io);
  try {
    await showLogs(
      c.target,
      services,
      {
        follow,
        ...(tail !== undefined ? { tail } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        timestamps,
        noPrefix,
        colour: c.colour && colourWanted,
        ...(index !== undefined ? { index } : {}),
        signal,
      },
      io.stdout,
    );
  } finally {
    release();
  }
  return 0;
}

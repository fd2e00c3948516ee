// `berth logs [-f] [--tail N] [--since T] [--until T] [-t] [--no-log-prefix] [--index N] [services]`:
// thin over src/compose/logs.ts.
import { parseLogTime, parseTail, showLogs } from '../../compose/logs.js';
import type { CliIO } from '../io.js';
import { intFlag, interruptSignal, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { wantsSwarm } from '../swarm-target.js';

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  logPrefix?: boolean;
  index?: string;
  color?: boolean;
}

export async function runLogs(globals: GlobalFlags, flags: LogsFlags, services: string[], io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-logs.js')).runSwarmLogs(globals, flags, services, io);
  const c = await lifecycleContext(globals, io);
  const now = Date.now();
  const { signal, release } = interruptSignal(io);
  const index = intFlag('--index', flags.index);
  const tail = parseTail(flags.tail);
  try {
    await showLogs(
      c.target,
      services,
      {
        follow: flags.follow ?? false,
        ...(tail !== undefined ? { tail } : {}),
        ...(flags.since ? { since: parseLogTime(flags.since, now, '--since') } : {}),
        ...(flags.until ? { until: parseLogTime(flags.until, now, '--until') } : {}),
        timestamps: flags.timestamps ?? false,
        noPrefix: flags.logPrefix === false,
        colour: c.colour && flags.color !== false,
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

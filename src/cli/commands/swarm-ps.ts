// `berth ps` on Swarm: the stack's tasks — node (and whether it is up), desired and current state,
// error — thin over src/swarm/views.ts; -a adds the history (replaced and shut-down tasks).
import { UsageError } from '../../errors.js';
import { stackTasks } from '../../swarm/views.js';
import { formatTasks } from '../format-swarm.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { swarmFor } from '../swarm-target.js';
import type { PsFlags } from './verb-flags.js';

const STATES = ['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'];

export async function runSwarmPs(globals: GlobalFlags, flags: PsFlags, services: string[], io: CliIO): Promise<number> {
  if (flags.format !== undefined && flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: table or json`);
  const states = [...(flags.status ?? [])];
  for (const f of flags.filter ?? []) {
    const m = /^status=(.+)$/.exec(f);
    if (!m) throw new UsageError(`--filter ${f}: only status=<state> is supported`);
    states.push(m[1]);
  }
  for (const s of states) if (!STATES.includes(s)) throw new UsageError(`task state ${s}: one of ${STATES.join(', ')}`);
  const ctx = projectContext(globals, io, { required: false });
  const target = await swarmFor(io);
  const rows = await stackTasks(target.port, ctx.name, { all: flags.all || states.length > 0, services, states });
  io.stdout(formatTasks(rows, Date.now(), { quiet: flags.quiet, services: flags.services, format: flags.format as 'table' | 'json' | undefined }));
  return 0;
}

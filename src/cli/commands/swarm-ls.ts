// `berth ls` on Swarm: every stack on the manager — berth's and `docker stack deploy`'s, found by
// the same label — with its services and tasks running / desired.
import { UsageError } from '../../errors.js';
import { listStacks } from '../../swarm/views.js';
import { formatStacks } from '../format-swarm.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { swarmFor } from '../swarm-target.js';

export async function runSwarmLs(flags: { all?: boolean; quiet?: boolean; format?: string; filter?: string[] }, io: CliIO, _globals: GlobalFlags): Promise<number> {
  if (flags.format && flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: table or json`);
  let filterName: string | undefined;
  for (const f of flags.filter ?? []) {
    const m = /^name=(.*)$/.exec(f);
    if (!m) throw new UsageError(`--filter ${f}: only name=<text> is supported`);
    filterName = m[1];
  }
  const target = await swarmFor(io);
  const rows = await listStacks(target.port, { all: flags.all ?? false, ...(filterName !== undefined ? { filterName } : {}) });
  io.stdout(formatStacks(rows, { quiet: flags.quiet, format: flags.format as 'table' | 'json' | undefined }));
  return 0;
}

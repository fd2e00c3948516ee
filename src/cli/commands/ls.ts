// `berth ls [-a] [-q] [--format table|json] [--filter name=X]`: every project on the engine.
import { listProjects } from '../../compose/views.js';
import { UsageError } from '../../errors.js';
import { engineFor } from '../engine-for.js';
import { formatProjects } from '../format.js';
import type { CliIO } from '../io.js';
import { choiceFlag } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { wantsSwarm } from '../swarm-target.js';

export async function runLs(globals: GlobalFlags, flags: { all?: boolean; quiet?: boolean; format?: string; filter?: string[] }, io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-ls.js')).runSwarmLs(flags, io, globals);
  const format = choiceFlag('--format', flags.format, ['table', 'json'] as const) ?? 'table';
  const quiet = flags.quiet ?? false;
  const all = flags.all ?? false;
  let filterName: string | undefined;
  for (const f of flags.filter ?? []) {
    const m = /^name=(.*)$/.exec(f);
    if (!m) throw new UsageError(`--filter ${f}: only name=<text> is supported`);
    filterName = m[1];
  }
  const { port } = await engineFor(globals, io, 'observe');
  const rows = await listProjects(port, { all, ...(filterName !== undefined ? { filterName } : {}) });
  if (quiet) io.stdout(rows.map((r) => `${r.Name}\n`).join(''));
  else if (format === 'json') io.stdout(`${JSON.stringify(rows)}\n`);
  else io.stdout(formatProjects(rows));
  return 0;
}

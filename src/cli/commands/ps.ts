// `berth ps`: thin over src/compose/ps.ts (selection) and src/cli/format-ps.ts (printing).
import { UsageError } from '../../errors.js';
import { composePs } from '../format-ps.js';
import { engineFor } from '../engine-for.js';
import type { CliIO } from '../io.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { wantsSwarm } from '../swarm-target.js';

export interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  format?: string;
  status?: string[];
  filter?: string[];
}

export async function runPs(globals: GlobalFlags, flags: PsFlags, services: string[], io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-ps.js')).runSwarmPs(globals, flags, services, io);
  if (flags.format !== undefined && flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: table or json`);
  const ctx = projectContext(globals, io, { required: false });
  const { port } = await engineFor(globals, io);
  io.stdout(await composePs(port, ctx.name, { ...flags, format: flags.format as 'table' | 'json' | undefined, only: services }, Date.now()));
  return 0;
}

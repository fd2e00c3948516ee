// `berth ps`: thin over src/compose/ps.ts (selection) and src/cli/format-ps.ts (printing).
import type { PsFlags } from './verb-flags.js';
import { psStates } from '../../compose/ps.js';
import { composePs } from '../format-ps.js';
import { engineFor } from '../engine-for.js';
import { booleanFlag } from '../flags.js';
import type { CliIO } from '../io.js';
import { choiceFlag } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';
import { wantsSwarm } from '../swarm-target.js';

export type { PsFlags } from './verb-flags.js';

export async function runPs(globals: GlobalFlags, flags: PsFlags, services: string[], io: CliIO): Promise<number> {
  if (wantsSwarm(globals, io)) return (await import('./swarm-ps.js')).runSwarmPs(globals, flags, services, io);
  const format = choiceFlag('--format', flags.format, ['table', 'json'] as const) ?? 'table';
  const { all, quiet, status, filter, services: namesOnly } = flags;
  const noTrunc = flags.trunc === false;
  const orphans = booleanFlag('--orphans', flags.orphans, true);
  psStates({ status, filter });
  const ctx = projectContext(globals, io, { required: false, services });
  const { port } = await engineFor(globals, io, 'observe');
  const known = ctx.project ? Object.keys(ctx.project.services) : undefined;
  io.stdout(await composePs(port, ctx.name, { all, quiet, services: namesOnly, status, filter, format, noTrunc, orphans, ...(known ? { known } : {}), only: services }, Date.now()));
  return 0;
}

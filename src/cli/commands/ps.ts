// `berth ps`: thin over src/compose/ps.ts (selection) and src/cli/format-ps.ts (printing).
import { psStates } from '../../compose/ps.js';
import { composePs } from '../format-ps.js';
import { engineFor } from '../engine-for.js';
import type { CliIO } from '../io.js';
import { choiceFlag } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';
import { projectContext } from '../project-context.js';

export interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  format?: string;
  status?: string[];
  filter?: string[];
}

export async function runPs(globals: GlobalFlags, flags: PsFlags, services: string[], io: CliIO): Promise<number> {
  const format = choiceFlag('--format', flags.format, ['table', 'json'] as const) ?? 'table';
  const { all, quiet, status, filter, services: namesOnly } = flags;
  psStates({ status, filter });
  const ctx = projectContext(globals, io, { required: false });
  const { port } = await engineFor(globals, io, 'observe');
  io.stdout(await composePs(port, ctx.name, { all, quiet, services: namesOnly, status, filter, format, only: services }, Date.now()));
  return 0;
}

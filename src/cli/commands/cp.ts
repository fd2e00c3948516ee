// `berth cp [--index N] [-a] [-L] SERVICE:SRC DEST|-` and `berth cp [...] SRC|- SERVICE:DEST`:
// thin over src/compose/cp.ts. Copying out needs a running engine; copying in may start it.
import { copyDirection, copyFromService, copyToService } from '../../compose/cp.js';
import { UsageError } from '../../errors.js';
import { humanSize } from '../format.js';
import type { CliIO } from '../io.js';
import { intFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export interface CpFlags {
  index?: string;
  archive?: boolean;
  followLink?: boolean;
}

export async function runCp(globals: GlobalFlags, flags: CpFlags, src: string, dest: string, io: CliIO): Promise<number> {
  const index = intFlag('--index', flags.index);
  const options = { ...(index !== undefined ? { index } : {}), archive: flags.archive ?? false, followLink: flags.followLink ?? false };
  const { from, to } = copyDirection(src, dest);
  if (from.kind === 'service') {
    const c = await lifecycleContext(globals, io, { engine: 'require', services: [from.service] });
    const out = io.stdoutBytes ?? ((data: Buffer) => io.stdout(data.toString('utf8')));
    const bytes = await copyFromService(c.target, from.service, from.path, to.path, options, out);
    if (to.path !== '-') io.stderr(`Successfully copied ${humanSize(bytes)} to ${to.path}\n`);
    return 0;
  }
  if (to.kind !== 'service') throw new UsageError('cp: one of the paths must be SERVICE:PATH');
  const c = await lifecycleContext(globals, io, { engine: 'change', services: [to.service] });
  const done = await copyToService(c.target, to.service, from.path, to.path, options, io.stdinStream);
  for (const name of done.containers) io.stderr(`Successfully copied ${humanSize(done.bytes)} to ${name}:${to.path}\n`);
  return 0;
}

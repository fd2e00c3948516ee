// `berth images [-q] [--format table|json] [services]`: thin over src/compose/views.ts.
import { imagesOf } from '../../compose/views.js';
import { formatImages } from '../format.js';
import { UsageError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runImages(globals: GlobalFlags, flags: { quiet?: boolean; format?: string }, services: string[], io: CliIO): Promise<number> {
  if (flags.format && flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: table or json`);
  const rows = await imagesOf((await lifecycleContext(globals, io)).target, services);
  if (flags.quiet) io.stdout([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
  else if (flags.format === 'json') io.stdout(`${JSON.stringify(rows)}\n`);
  else io.stdout(formatImages(rows));
  return 0;
}

// `berth images [-q] [--format table|json] [services]`: thin over src/compose/views.ts.
import { imagesOf } from '../../compose/views.js';
import { formatImages } from '../format.js';
import type { CliIO } from '../io.js';
import { choiceFlag, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export async function runImages(globals: GlobalFlags, flags: { quiet?: boolean; format?: string }, services: string[], io: CliIO): Promise<number> {
  const format = choiceFlag('--format', flags.format, ['table', 'json'] as const) ?? 'table';
  const quiet = flags.quiet ?? false;
  const rows = await imagesOf((await lifecycleContext(globals, io, { engine: 'observe', services })).target, services);
  if (quiet) io.stdout([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
  else if (format === 'json') io.stdout(`${JSON.stringify(rows)}\n`);
  else io.stdout(formatImages(rows));
  return 0;
}

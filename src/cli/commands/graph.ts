// `berth graph`: the dependency graph the reconciler walks, as text levels, dot or mermaid.
import { UsageError } from '../../errors.js';
import { formatGraph } from '../../graph/format.js';
import { buildGraph } from '../../graph/graph.js';
import type { CliIO } from '../io.js';
import { loadForCommand } from '../project-load.js';
import type { GlobalFlags } from '../project-options.js';

export async function runGraph(globals: GlobalFlags, flags: { format: string }, io: CliIO): Promise<void> {
  const format = flags.format;
  if (format !== 'text' && format !== 'dot' && format !== 'mermaid') {
    throw new UsageError(`--format ${format}: expected text, dot or mermaid`);
  }
  const { project } = loadForCommand(globals, io);
  io.stdout(formatGraph(buildGraph(project), format));
}

// `berth stats [-a] [--no-stream] [--format table|json] [--no-trunc] [SERVICE…]`: the services'
// containers' resource use, as `docker compose stats`: a live table redrawn in place (when ANSI
// output is on; otherwise a new table each second) until Ctrl-C, or one table with --no-stream.
// Rows come from src/compose/stats.ts, printing from src/cli/format-stats.ts.
import type { ContainerStats, EnginePort } from '../../client/engine-port.js';
import { containersOf } from '../../compose/lifecycle.js';
import { idleRow, statsRow, type StatsRow } from '../../compose/stats.js';
import type { ObservedContainer } from '../../observe/observe.js';
import { statsJson, statsTable } from '../format-stats.js';
import type { CliIO } from '../io.js';
import { choiceFlag, interruptSignal, lifecycleContext } from '../lifecycle-context.js';
import type { GlobalFlags } from '../project-options.js';

export interface StatsFlags {
  all?: boolean;
  /** commander's `--no-stream`: false when given. */
  stream?: boolean;
  format?: string;
  /** commander's `--no-trunc`: false when given. */
  trunc?: boolean;
}

const REFRESH_MS = 1000;
const isRunning = (c: ObservedContainer): boolean => c.state === 'running' || c.state === 'paused' || c.state === 'restarting';

/** One row from a container's stream: the first sample that carries a CPU delta (or the second one). */
async function sampleOnce(port: EnginePort, c: ObservedContainer): Promise<StatsRow> {
  const abort = new AbortController();
  let previous: ContainerStats | undefined;
  try {
    for await (const sample of port.containers.statsStream(c.id, abort.signal)) {
      const pre = (sample as unknown as { precpu_stats?: { system_cpu_usage?: number } }).precpu_stats;
      if (pre?.system_cpu_usage || previous) return statsRow(c, sample, previous);
      previous = sample;
    }
  } catch {
    /* gone meanwhile: shown idle */
  } finally {
    abort.abort();
  }
  return previous ? statsRow(c, previous) : idleRow(c);
}

/** Follows each container's stream in the background, keeping its latest row. */
class LiveRows {
  private readonly rows = new Map<string, StatsRow>();
  private readonly followed = new Set<string>();

  constructor(
    private readonly port: EnginePort,
    private readonly signal: AbortSignal,
  ) {}

  follow(c: ObservedContainer): void {
    if (this.followed.has(c.id)) return;
    this.followed.add(c.id);
    void (async () => {
      let previous: ContainerStats | undefined;
      try {
        for await (const sample of this.port.containers.statsStream(c.id, this.signal)) {
          this.rows.set(c.id, statsRow(c, sample, previous));
          previous = sample;
        }
      } catch {
        /* the container went away or the engine closed the stream: its row stays as last seen */
      } finally {
        this.followed.delete(c.id);
      }
    })();
  }

  row(c: ObservedContainer): StatsRow {
    return this.rows.get(c.id) ?? idleRow(c);
  }
}

export async function runStats(globals: GlobalFlags, flags: StatsFlags, services: string[], io: CliIO): Promise<number> {
  const format = choiceFlag('--format', flags.format, ['table', 'json'] as const) ?? 'table';
  const all = flags.all ?? false;
  const stream = flags.stream !== false;
  const noTrunc = flags.trunc === false;
  const c = await lifecycleContext(globals, io, { engine: 'observe', services });
  const render = (rows: StatsRow[]): string => (format === 'json' ? statsJson(rows, noTrunc) : statsTable(rows, noTrunc));
  const shown = async (): Promise<ObservedContainer[]> => (await containersOf(c.target, services)).filter((x) => all || isRunning(x));

  if (!stream) {
    const list = await shown();
    io.stdout(render(await Promise.all(list.map((x) => (isRunning(x) ? sampleOnce(c.target.port, x) : idleRow(x))))));
    return 0;
  }
  const { signal, release } = interruptSignal(io);
  const live = new LiveRows(c.target.port, signal);
  let drawn = 0;
  try {
    while (!signal.aborted) {
      const list = await shown();
      for (const x of list) if (isRunning(x)) live.follow(x);
      const text = render(list.map((x) => live.row(x)));
      if (format === 'table' && c.style.redraw) {
        // Back to where the last table began, then over it; what is left below is cleared.
        io.stdout(`${drawn ? `\x1b[${drawn}A` : ''}\r${text.replace(/\n/g, '\x1b[K\n')}\x1b[J`);
        drawn = text.split('\n').length - 1;
      } else io.stdout(format === 'table' ? `${text}\n` : text);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, REFRESH_MS);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  } finally {
    release();
  }
  return 0;
}

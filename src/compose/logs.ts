// `logs`: the output of a project's containers, each line prefixed with its container's name
// (`web-1  | `, padded to the longest, coloured per service like Compose), streams demultiplexed
// by the engine port, one line buffer per container so lines of different containers never mix.

import { UsageError } from '../errors.js';
import type { ObservedContainer } from '../observe/observe.js';
import { containersOf, type ProjectTarget } from './lifecycle.js';

export interface LogsOptions {
  follow?: boolean;
  /** Lines from the end of each container's log; undefined = all. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  until?: number;
  timestamps?: boolean;
  noPrefix?: boolean;
  colour?: boolean;
  index?: number;
  signal?: AbortSignal;
}

// Compose's palette order (cyan, yellow, green, magenta, blue, then bright variants).
const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/** `--since` / `--until`: RFC 3339 / date, Unix seconds, or a duration ago (`10m`, `1h30m`, `45s`). */
export function parseLogTime(value: string, now: number, flag: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const rel = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (rel && value !== '') return Math.floor(now / 1000 - (Number(rel[1] ?? 0) * 3600 + Number(rel[2] ?? 0) * 60 + Number(rel[3] ?? 0)));
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${flag}: "${value}" is neither a time (2024-01-02T15:04:05Z), a Unix timestamp nor a duration (10m)`);
  return Math.floor(t / 1000);
}

/** `--tail`: a number or `all`. */
export function parseTail(value: string | undefined): number | undefined {
  if (value === undefined || value === 'all') return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--tail: "${value}" is not a number of lines or "all"`);
  return Number(value);
}

export interface LogPrinter {
  /** One container's chunk; whole lines are written, a partial one waits for its end. */
  write(c: ObservedContainer, data: Buffer): void;
  /** The container's stream ended: its partial last line goes out. */
  end(c: ObservedContainer): void;
}

export function logPrinter(containers: ObservedContainer[], out: (text: string) => void, o: { noPrefix?: boolean; colour?: boolean }): LogPrinter {
  const width = Math.max(0, ...containers.map((c) => c.name.length));
  const services = [...new Set(containers.map((c) => c.service))].sort();
  const pending = new Map<string, string>();
  const prefix = (c: ObservedContainer): string => {
    if (o.noPrefix) return '';
    const p = `${c.name.padEnd(width)}  | `;
    if (!o.colour) return p;
    return `\x1b[${COLOURS[services.indexOf(c.service) % COLOURS.length]}m${p}\x1b[0m`;
  };
  return {
    write(c, data) {
      const text = (pending.get(c.id) ?? '') + data.toString('utf8');
      const lines = text.split('\n');
      pending.set(c.id, lines.pop() ?? '');
      if (lines.length > 0) out(lines.map((l) => `${prefix(c)}${l}\n`).join(''));
    },
    end(c) {
      const rest = pending.get(c.id);
      if (rest) out(`${prefix(c)}${rest}\n`);
      pending.delete(c.id);
    },
  };
}

/**
 * Prints the logs of the services' containers. With follow, like `docker compose logs -f`, until
 * the signal fires or every followed stream has ended with none started meanwhile: a container of
 * the selection that starts later (a scale-up, a `run`-less `up` of another service, a restart of
 * one that had stopped) is followed from its start on.
 */
export async function showLogs(target: ProjectTarget, services: readonly string[], o: LogsOptions, out: (text: string) => void): Promise<void> {
  const selection = o.index !== undefined ? { index: o.index } : {};
  const containers = await containersOf(target, services, selection);
  const printer = logPrinter(containers, out, o);
  const streaming = new Set<string>();
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const pump = async (c: ObservedContainer, since: number | undefined): Promise<void> => {
    streaming.add(c.id);
    const stream = target.port.containers.logs(c.id, {
      follow: o.follow ?? false,
      stdout: true,
      stderr: true,
      timestamps: o.timestamps ?? false,
      ...(o.tail !== undefined && since === undefined ? { tail: o.tail } : {}),
      ...(since !== undefined ? { since } : o.since !== undefined ? { since: o.since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
      signal: stop.signal,
    });
    try {
      for await (const chunk of stream) printer.write(c, chunk.data);
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    } finally {
      printer.end(c);
      streaming.delete(c.id);
      // The last stream ended and nothing else started: what `logs -f` waits for is over.
      if (o.follow && streaming.size === 0) stop.abort();
    }
  };
  const pumps: Promise<void>[] = containers.map((c) => pump(c, undefined));
  if (o.follow && containers.length > 0) {
    pumps.push(
      (async () => {
        try {
          const events = target.port.events({ filters: { type: ['container'], event: ['start'], label: [`com.docker.compose.project=${target.name}`] }, signal: stop.signal });
          for await (const ev of events) {
            if (streaming.has(ev.Actor.ID)) continue;
            // The same selection as the containers followed from the start (services, --index).
            const c = (await containersOf(target, services, selection)).find((x) => x.id === ev.Actor.ID);
            if (c && !streaming.has(c.id)) pumps.push(pump(c, ev.time));
          }
        } catch (e) {
          if (!stop.signal.aborted) throw e;
        }
      })(),
    );
  }
  try {
    // Pumps added while waiting are waited for too.
    for (let done = 0; done < pumps.length; ) {
      const batch = pumps.slice(done);
      done = pumps.length;
      await Promise.all(batch);
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

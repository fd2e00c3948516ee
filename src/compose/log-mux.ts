// Multiplexed container logs with coloured `name  | ` prefixes, as `docker compose up` (attached)
// and `logs -f` print them. Each container's stream is read on its own; lines are written whole.

import type { EnginePort } from '../client/engine-port.js';

const COLOURS = [36, 33, 32, 35, 34, 91, 92, 93, 94, 95, 96];

export interface LogMuxOptions {
  port: EnginePort;
  write: (text: string) => void;
  colour: boolean;
  timestamps?: boolean;
  /** Unix seconds: only output from then on (undefined: everything the container wrote). */
  since?: number;
  signal: AbortSignal;
  now?: () => number;
}

export interface FollowedContainer {
  id: string;
  name: string;
}

/** Follows every container; each promise settles when its stream ends (the container stopped). */
export function followLogs(containers: FollowedContainer[], o: LogMuxOptions): Map<string, Promise<void>> {
  const width = Math.max(0, ...containers.map((c) => c.name.length));
  const out = new Map<string, Promise<void>>();
  containers.forEach((c, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const prefix = o.colour ? `\x1b[${colour}m${c.name.padEnd(width)}  |\x1b[0m ` : `${c.name.padEnd(width)}  | `;
    out.set(
      c.id,
      (async () => {
        let rest = '';
        const emit = (line: string): void => {
          const ts = o.timestamps ? `${new Date((o.now ?? Date.now)()).toISOString()} ` : '';
          o.write(`${prefix}${ts}${line}\n`);
        };
        try {
          for await (const chunk of o.port.containers.logs(c.id, { follow: true, signal: o.signal, ...(o.since !== undefined ? { since: o.since } : {}) })) {
            rest += chunk.data.toString('utf8');
            let nl: number;
            while ((nl = rest.indexOf('\n')) >= 0) {
              emit(rest.slice(0, nl).replace(/\r$/, ''));
              rest = rest.slice(nl + 1);
            }
          }
        } catch (e) {
          if (!o.signal.aborted) o.write(`${prefix}(log stream ended: ${(e as Error).message})\n`);
        }
        if (rest) emit(rest);
      })(),
    );
  });
  return out;
}

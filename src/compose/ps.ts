// `ps`: the project's containers from one list call (no inspect per container). How they are
// printed (table, JSON lines, ids, service names) is the CLI's (src/cli/format-ps.ts).

import type { EnginePort } from '../client/engine-port.js';
import { UsageError } from '../errors.js';
import { observeContainers, type ObservedContainer } from '../observe/observe.js';

export interface PsOptions {
  all?: boolean;
  /** --status (repeatable) and --filter status=X. */
  status?: string[];
  filter?: string[];
  /** Services named on the command line. */
  only?: string[];
  /** The services the files define: with `orphans: false`, containers of any other service are left out. */
  known?: readonly string[];
  orphans?: boolean;
}

const STATES = new Set(['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited']);

/** The states --status and --filter status=X ask for; a usage error for anything else. Pure: checked before any engine call. */
export function psStates(opts: Pick<PsOptions, 'status' | 'filter'>): Set<string> {
  const statuses = new Set(opts.status ?? []);
  for (const f of opts.filter ?? []) {
    const [key, value] = f.split('=');
    if (key !== 'status' || !value) throw new UsageError(`--filter ${f}: only status=<state> is supported`);
    statuses.add(value);
  }
  for (const s of statuses) if (!STATES.has(s)) throw new UsageError(`--status ${s}: one of ${[...STATES].join(', ')}`);
  return statuses;
}

/** The project's containers `ps` shows: running ones unless -a, of the named services, in the given states. */
export async function psContainers(port: EnginePort, project: string, opts: PsOptions): Promise<ObservedContainer[]> {
  const statuses = psStates(opts);
  let list = await observeContainers(port, project);
  if (opts.only?.length) list = list.filter((c) => opts.only!.includes(c.service));
  if (opts.orphans === false && opts.known) list = list.filter((c) => opts.known!.includes(c.service));
  if (statuses.size) list = list.filter((c) => statuses.has(c.state));
  else if (!opts.all) list = list.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
  return list;
}

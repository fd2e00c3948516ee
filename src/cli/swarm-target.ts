// The Swarm side of a command: whether it deploys to Swarm services (`--engine swarm`,
// `--swarm-mode services`), the manager it talks to, and the nodes' own engines where berth can
// reach them — a lab's (found from its manager's socket path) or BERTH_SWARM_NODES — for what Swarm
// does not manage cluster-wide (volumes) and what compare measures on the nodes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DockerPort, dockerHostOptions, parseDockerHost } from '../client/docker-port.js';
import { selectSwarm, swarmRequested, type SwarmTarget } from '../client/select-swarm.js';
import { UsageError } from '../errors.js';
import { readLabState, type LabState } from '../swarm/lab/state.js';
import type { CliIO } from './io.js';
import type { GlobalFlags } from './project-options.js';

export function wantsSwarm(globals: GlobalFlags, io: CliIO): boolean {
  return swarmRequested(globals.engine, globals.swarmMode, io.env);
}

export async function swarmFor(io: CliIO): Promise<SwarmTarget> {
  return selectSwarm(io.env);
}

/** The berth swarm-lab whose manager socket this is (`<dir>/<node>/docker.sock` beside `<dir>/lab.json`). */
export function labOf(target: Pick<SwarmTarget, 'dockerHost'>): LabState | undefined {
  const where = parseDockerHost(target.dockerHost);
  if (!('socketPath' in where)) return undefined;
  const socket = where.socketPath;
  const dir = path.dirname(path.dirname(socket));
  if (!existsSync(path.join(dir, 'lab.json'))) return undefined;
  try {
    return readLabState(dir);
  } catch {
    return undefined;
  }
}

/**
 * hostname → that node's engine. `BERTH_SWARM_NODES=node1=unix:///…,node2=tcp://…` names them;
 * otherwise a manager socket at `<dir>/<node>/docker.sock` next to a `<dir>/lab.json` is a
 * `berth swarm-lab`, whose state names every node.
 */
export function nodeEngines(target: Pick<SwarmTarget, 'dockerHost'>, env: CliIO['env']): Map<string, DockerPort> {
  const out = new Map<string, DockerPort>();
  const given = env.BERTH_SWARM_NODES;
  if (given) {
    for (const entry of given.split(',').map((e) => e.trim()).filter(Boolean)) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new UsageError(`BERTH_SWARM_NODES: "${entry}" is not hostname=DOCKER_HOST`);
      const [host, dockerHost] = [entry.slice(0, eq), entry.slice(eq + 1)];
      out.set(host, new DockerPort({ ...dockerHostOptions(dockerHost, env), description: `${host}'s engine at ${dockerHost}` }));
    }
    return out;
  }
  for (const n of labOf(target)?.nodes ?? []) out.set(n.name, new DockerPort({ socketPath: n.socket, description: `${n.name}'s engine at ${n.dockerHost}` }));
  return out;
}

/** Flags of a container verb that mean nothing for Swarm services: refused, each with why. */
export function refuseOnSwarm(verb: string, flags: Record<string, unknown>, refusals: Record<string, string>): void {
  const problems = Object.entries(refusals)
    .filter(([k]) => flags[k] !== undefined && flags[k] !== false && !(Array.isArray(flags[k]) && (flags[k] as unknown[]).length === 0))
    .map(([, why]) => why);
  if (problems.length) throw new UsageError(`${verb} on Swarm: ${problems.join('; ')}`);
}

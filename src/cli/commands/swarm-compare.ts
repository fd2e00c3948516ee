// `berth compare --engine swarm`: the StackDriver and EngineProbe for a Swarm that is a berth
// swarm-lab — the probe reads tasks' containers on the nodes' own engines, and the host reaches the
// app's published port through a relay into its node's namespace (the host has no address on the
// lab). On any other Swarm the built-in workload has no way in, so it is refused, saying so.
import type { StackDriver } from '../../compare/stack-driver.js';
import type { EngineProbe } from '../../compare/engine-probe.js';
import { createSwarmDriver } from '../../compare/swarm-driver.js';
import { swarmProbe } from '../../compare/swarm-probe.js';
import type { CompareTarget } from '../../compare/target.js';
import { UsageError } from '../../errors.js';
import { forwardToNode, type Forward } from '../../swarm/lab/forward.js';
import type { CliIO } from '../io.js';
import { labOf, nodeEngines, swarmFor } from '../swarm-target.js';

export interface SwarmCompare {
  driver: StackDriver;
  probe: EngineProbe;
  description: string;
  close(): Promise<void>;
}

export async function swarmCompare(io: CliIO, compared: CompareTarget): Promise<SwarmCompare> {
  const target = await swarmFor(io);
  const lab = labOf(target);
  if (!lab) throw new UsageError(`compare on Swarm needs a berth swarm-lab: the host reaches the app's published port through the lab's namespaces; ${target.dockerHost} is not a lab's manager (berth swarm-lab up prints one)`);
  const engines = nodeEngines(target, io.env);
  const forwards = new Map<string, Promise<Forward>>();
  const reach = async (hostname: string, port: number): Promise<string> => {
    const node = lab.nodes.find((n) => n.name === hostname);
    if (!node) throw new Error(`no lab node ${hostname}`);
    const key = `${hostname}:${port}`;
    if (!forwards.has(key)) forwards.set(key, forwardToNode(node, port));
    return (await forwards.get(key)!).url;
  };
  return {
    driver: createSwarmDriver(target, compared, { environment: io.env, nodes: [...engines].map(([hostname, p]) => ({ hostname, containers: p.containers, volumes: p.volumes })), description: target.description }),
    probe: swarmProbe(target.port, { engines, reach }),
    description: `${target.description} (${lab.nodes.length} nodes)`,
    close: async () => {
      await Promise.all([...forwards.values()].map(async (f) => (await f.catch(() => undefined))?.close()));
    },
  };
}

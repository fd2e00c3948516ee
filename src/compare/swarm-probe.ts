// The EngineProbe on a Swarm: a stack's "containers" are its running tasks' containers, each on
// the engine of the node that runs it. The manager says which task runs where; stats, top, exec and
// logs go to that node's own engine (given by the caller: a lab's nodes). The app's published port
// is on its node, reached from the host through `reach` (a lab relay, src/swarm/lab/forward.ts).
import type { EnginePort } from '../client/engine-port.js';
import type { SwarmPort } from '../client/swarm-port.js';
import { LABEL } from '../observe/labels.js';
import { namespaceFilter, nodeNames } from '../swarm/stack-state.js';
import { portProbe, type EngineProbe, type ProjectContainer } from './engine-probe.js';

export interface SwarmProbeNodes {
  /** hostname → that node's engine. */
  engines: ReadonlyMap<string, EnginePort>;
  /** A loopback URL for a port published on a node. */
  reach(hostname: string, port: number): Promise<string>;
}

export function swarmProbe(manager: SwarmPort, nodes: SwarmProbeNodes): EngineProbe {
  /** container id → node hostname, learnt from the task list. */
  const where = new Map<string, string>();
  const probes = new Map([...nodes.engines].map(([h, e]) => [h, portProbe(e)]));
  const on = (id: string): EngineProbe | undefined => {
    const host = where.get(id);
    return host ? probes.get(host) : undefined;
  };
  return {
    async projectContainers(project) {
      const [tasks, nodeList] = await Promise.all([manager.tasks.list(namespaceFilter(project)), manager.nodes.list()]);
      const names = nodeNames(nodeList);
      const out: ProjectContainer[] = [];
      for (const t of tasks) {
        const id = t.Status.ContainerStatus?.ContainerID;
        if (!id || t.DesiredState !== 'running' || !t.NodeID) continue;
        const host = names.get(t.NodeID)?.hostname ?? t.NodeID;
        where.set(id, host);
        const labels = t.Spec.ContainerSpec.Labels ?? {};
        out.push({
          id,
          name: `${labels[LABEL.service] ?? t.ServiceID}.${t.Slot ?? t.NodeID.slice(0, 12)}@${host}`,
          service: labels[LABEL.service] ?? '',
          labels,
          ports: Object.fromEntries((t.Status.PortStatus?.Ports ?? []).filter((p) => p.PublishedPort).map((p) => [`${p.TargetPort}/${p.Protocol}`, p.PublishedPort!])),
          running: t.Status.State === 'running',
        });
      }
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },
    processes: async (id) => (await on(id)?.processes(id)) ?? [],
    sample: async (id) => on(id)?.sample(id),
    state: async (id) => on(id)?.state(id),
    logTail: async (id, lines) => (await on(id)?.logTail(id, lines)) ?? '',
    exec: async (id, cmd, opts) => {
      const p = on(id);
      if (!p) throw new Error(`container ${id.slice(0, 12)} is on no node berth can reach`);
      return p.exec(id, cmd, opts);
    },
    appBase: async (container, hostPort) => nodes.reach(where.get(container.id) ?? '', hostPort),
  };
}

// StackDriver over a Swarm: what `berth --engine swarm up -d` does (src/swarm/converge.ts) and
// `down -v`, so compare measures what berth deploys. The cluster's question is "the same node or
// another one", so `split` here means split across nodes: the database is pinned to one node and
// the other members kept off it (they still spread over the rest); `pod` puts the group on one
// node (separate services on a shared overlay — Swarm cannot share namespaces); `single` runs the
// group as one service.
import { ProgressTracker, quietReporter } from '../apply/progress.js';
import type { PlacementMode, Project } from '../model/project.js';
import { convergeSwarm, type SwarmTargetRef } from '../swarm/converge.js';
import { executeStackDown, type NodeEngine } from '../swarm/down.js';
import { StackMonitor } from '../swarm/monitor.js';
import type { StackDriver } from './stack-driver.js';
import type { CompareTarget } from './target.js';

export interface SwarmDriverOptions {
  environment: Readonly<Record<string, string | undefined>>;
  /** The nodes' own engines (down removes volumes and leftover containers there). */
  nodes: readonly NodeEngine[];
  description: string;
}

/** The members of the group kept apart: the database on the first ready node, the others off it. */
export function acrossNodes(project: Project, target: Pick<CompareTarget, 'members' | 'database'>, databaseNode: string): Project {
  const services = { ...project.services };
  for (const m of target.members) {
    const svc = services[m];
    const deploy = (svc.deploy ?? {}) as Record<string, unknown>;
    const placement = (deploy.placement ?? {}) as { constraints?: string[] };
    const constraint = m === target.database ? `node.hostname==${databaseNode}` : `node.hostname!=${databaseNode}`;
    services[m] = { ...svc, deploy: { ...deploy, placement: { ...placement, constraints: [...(placement.constraints ?? []), constraint] } } };
  }
  return { ...project, services };
}

export function createSwarmDriver(target: SwarmTargetRef, compared: Pick<CompareTarget, 'members' | 'database'>, opts: SwarmDriverOptions): StackDriver {
  const progress = () => new ProgressTracker(quietReporter, Date.now);
  const databaseNode = async (): Promise<string> => {
    const ready = (await target.port.nodes.list()).filter((n) => n.Status?.State === 'ready' && (n.Spec.Availability ?? 'active') === 'active');
    const names = ready.map((n) => n.Description?.Hostname ?? n.ID).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return names[0];
  };
  return {
    async engineDescription() {
      const nodes = await target.port.nodes.list();
      return `Docker Swarm, ${nodes.length} nodes (${opts.description})`;
    },
    async up({ project, mode, scale }: { project: Project; mode: PlacementMode; scale?: Record<string, number> }) {
      const deployed = mode === 'split' ? acrossNodes(project, compared, await databaseNode()) : project;
      await convergeSwarm(target, deployed, { environment: opts.environment, removeOrphans: true, ...(scale ? { scale } : {}) }, { progress: progress() });
    },
    async down(project) {
      const monitor = new StackMonitor(target.port, project.name);
      try {
        await executeStackDown(project.name, { port: target.port, monitor, progress: progress(), nodes: opts.nodes }, { volumes: true });
      } finally {
        monitor.close();
      }
    },
  };
}

// What a Swarm has of a stack, read in one round of list calls: the stack's services (by the
// `com.docker.stack.namespace` label, as `docker stack` finds them), every network, config and
// secret (a stack's own are labelled; external ones are found by name), every service (a config
// or secret still referenced by any service, ours or not, is in use), and the nodes.
import type { FileObjectInfo, NetworkInfo, NodeInfo, ServiceInfo } from '../client/swarm-api.js';
import type { SwarmPort } from '../client/swarm-port.js';
import { LABEL } from '../observe/labels.js';

export interface ObservedStack {
  namespace: string;
  /** The stack's services, by name. */
  services: Map<string, ServiceInfo>;
  /** Every service of the Swarm (for "is this config or secret still used"). */
  allServices: ServiceInfo[];
  networks: NetworkInfo[];
  configs: FileObjectInfo[];
  secrets: FileObjectInfo[];
  nodes: NodeInfo[];
}

export function namespaceFilter(namespace: string): Record<string, string[]> {
  return { label: [`${LABEL.stackNamespace}=${namespace}`] };
}

export async function observeStack(port: SwarmPort, namespace: string): Promise<ObservedStack> {
  const [allServices, networks, configs, secrets, nodes] = await Promise.all([port.services.list(), port.networks.list(), port.configs.list(), port.secrets.list(), port.nodes.list()]);
  const services = new Map<string, ServiceInfo>();
  for (const s of allServices) if (s.Spec.Labels?.[LABEL.stackNamespace] === namespace) services.set(s.Spec.Name, s);
  return { namespace, services, allServices, networks, configs, secrets, nodes };
}

export function inNamespace(labels: Record<string, string> | null | undefined, namespace: string): boolean {
  return labels?.[LABEL.stackNamespace] === namespace;
}

/** Names of the configs and secrets some service's spec (or previous spec, kept for a rollback) refers to. */
export function referencedObjects(services: readonly ServiceInfo[]): { configs: Set<string>; secrets: Set<string> } {
  const configs = new Set<string>();
  const secrets = new Set<string>();
  for (const s of services) {
    for (const spec of [s.Spec, s.PreviousSpec]) {
      const c = spec?.TaskTemplate?.ContainerSpec;
      for (const r of c?.Configs ?? []) configs.add(r.ConfigName);
      for (const r of c?.Secrets ?? []) secrets.add(r.SecretName);
    }
  }
  return { configs, secrets };
}

/** hostname by node id, and each node's state, for views and waits. */
export function nodeNames(nodes: readonly NodeInfo[]): Map<string, { hostname: string; state: string; availability: string }> {
  return new Map(nodes.map((n) => [n.ID, { hostname: n.Description?.Hostname ?? n.ID.slice(0, 12), state: n.Status?.State ?? 'unknown', availability: n.Spec.Availability ?? 'active' }]));
}

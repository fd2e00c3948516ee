// Forming the Swarm and reading it back: init on node1, joins (managers one at a time, so the
// Raft group grows by one member per step; workers at once), the wait for every node to be
// Ready, the VIP probe, and the node list `status` prints.
import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import { LabError, waitFor } from './host.js';
import { nodeClient } from './node-daemon.js';
import type { LabNodeState, NodeRole } from './state.js';

export const SWARM_PORT = 2377;

export async function formSwarm(nodes: readonly LabNodeState[]): Promise<void> {
  const [first, ...rest] = nodes;
  const leader = nodeClient(first);
  await leader.swarmInit({ ListenAddr: `${first.address}:${SWARM_PORT}`, AdvertiseAddr: first.address });
  const info = (await leader.swarmInspect()) as { JoinTokens: { Worker: string; Manager: string } };
  const join = (node: LabNodeState): Promise<unknown> =>
    nodeClient(node).swarmJoin({
      ListenAddr: `${node.address}:${SWARM_PORT}`,
      AdvertiseAddr: node.address,
      RemoteAddrs: [`${first.address}:${SWARM_PORT}`],
      JoinToken: node.role === 'manager' ? info.JoinTokens.Manager : info.JoinTokens.Worker,
    });
  for (const m of rest.filter((n) => n.role === 'manager')) await join(m);
  await Promise.all(rest.filter((n) => n.role === 'worker').map(join));
}

export interface SwarmNodeView {
  hostname: string;
  role: NodeRole;
  state: string;
  availability: string;
  leader: boolean;
  address?: string;
}

interface NodeObject {
  Spec?: { Role?: string; Availability?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean };
}

export async function listSwarmNodes(manager: Docker): Promise<SwarmNodeView[]> {
  const nodes = (await manager.listNodes()) as NodeObject[];
  return nodes
    .map((n) => ({
      hostname: n.Description?.Hostname ?? '?',
      role: (n.Spec?.Role === 'manager' ? 'manager' : 'worker') as NodeRole,
      state: n.Status?.State ?? 'unknown',
      availability: n.Spec?.Availability ?? 'unknown',
      leader: n.ManagerStatus?.Leader === true,
      address: n.Status?.Addr,
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname, 'en', { numeric: true }));
}

/** Waits until the manager lists every lab node as Ready with the role it was given. */
export async function waitAllReady(nodes: readonly LabNodeState[], timeoutMs = 60_000): Promise<SwarmNodeView[]> {
  const manager = nodeClient(nodes[0]);
  return waitFor(`all ${nodes.length} nodes to be Ready`, timeoutMs, async () => {
    const seen = await listSwarmNodes(manager);
    const ready = nodes.every((n) => seen.some((s) => s.hostname === n.name && s.state === 'ready' && s.role === n.role));
    return ready ? seen : undefined;
  }, 200);
}

/**
 * Whether the node can do VIP load balancing (and so the ingress routing mesh): both are built on
 * IPVS, which shows as /proc/net/ip_vs in dockerd's network namespace once the kernel has it.
 * Creating a VIP service is no probe: Swarm accepts it and runs its tasks; only the virtual IP
 * then leads nowhere.
 */
export function probeVip(dockerdPid: number): boolean {
  return existsSync(`/proc/${dockerdPid}/net/ip_vs`);
}

export function requireManager(nodes: readonly LabNodeState[]): LabNodeState {
  const m = nodes.find((n) => n.role === 'manager');
  if (!m) throw new LabError('the lab has no manager node');
  return m;
}

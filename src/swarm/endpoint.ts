// How a service is reached: its endpoint mode, published ports and network attachments.
// Without IPVS (vip: false) there is no virtual IP and no ingress routing mesh, so services
// resolve by DNS round robin (dnsrr) and ports are published in host mode on the node that runs
// each task.
import type { ServiceConfig } from '../model/project.js';
import type { EndpointSpec, NetworkAttachment, PortConfig } from '../client/swarm-api.js';
import type { SwarmNetwork } from './objects.js';
import { compact, stringMap, wholeNumber, type Findings } from './values.js';

export interface EndpointContext {
  service: string;
  vip: boolean;
  /** deploy.endpoint_mode as written. */
  endpointMode?: 'vip' | 'dnsrr';
  findings: Findings;
}

/** Services that lost VIP or ingress ports for want of IPVS, for the one notice the stack gets. */
export interface VipFallback {
  services: Set<string>;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

export function translateEndpoint(svc: ServiceConfig, ctx: EndpointContext, fallback: VipFallback): EndpointSpec {
  const f = ctx.findings;
  let mode: 'vip' | 'dnsrr' = ctx.endpointMode ?? (ctx.vip ? 'vip' : 'dnsrr');
  if (!ctx.vip && mode === 'vip') {
    mode = 'dnsrr';
    fallback.services.add(ctx.service);
  }
  if (!ctx.vip && !ctx.endpointMode) fallback.services.add(ctx.service);
  const ports: PortConfig[] = [];
  (svc.ports ?? []).forEach((p, i) => {
    const at = ['services', ctx.service, 'ports', i];
    let publishMode = p.mode;
    if (!ctx.vip && publishMode === 'ingress') {
      publishMode = 'host';
      fallback.services.add(ctx.service);
    }
    if (publishMode === 'ingress' && mode === 'dnsrr') {
      f.error([...at, 'mode'], 'ingress ports need endpoint_mode vip (the routing mesh balances over the virtual IP); publish in host mode (mode: host) or drop endpoint_mode: dnsrr');
    }
    if (!PROTOCOLS.has(p.protocol)) f.error([...at, 'protocol'], `unknown protocol ${JSON.stringify(p.protocol)}: expected tcp, udp or sctp`);
    let published: number | undefined;
    if (p.published !== undefined && p.published !== '') {
      const [from, to] = p.published.split('-');
      if (to !== undefined && to !== from) {
        f.error([...at, 'published'], `Swarm publishes one port per target; the range ${p.published} cannot be published (choose one port, or deploy with --engine docker)`);
      } else published = wholeNumber(from, [...at, 'published'], f, 1);
    }
    ports.push(compact({ Name: p.name, Protocol: p.protocol as PortConfig['Protocol'], TargetPort: p.target, PublishedPort: published, PublishMode: publishMode }));
  });
  return compact({ Mode: mode, Ports: ports });
}

export interface NetworkContext {
  service: string;
  networks: ReadonlyMap<string, SwarmNetwork>;
  /** DNS names the service answers to on every network, besides its own and its aliases. */
  extraAliases?: readonly string[];
  findings: Findings;
}

/** network_mode host/none → that predefined network; otherwise the service's networks, by priority then name. */
export function translateNetworkAttachments(svc: ServiceConfig, ctx: NetworkContext): NetworkAttachment[] {
  const f = ctx.findings;
  if (svc.network_mode !== undefined) {
    if (svc.network_mode === 'host' || svc.network_mode === 'none') return [{ Target: svc.network_mode }];
    f.error(['services', ctx.service, 'network_mode'], `Swarm services cannot use network_mode ${svc.network_mode} (only host or none; services cannot join another's namespace); remove it or deploy with --engine docker`);
    return [];
  }
  const entries = Object.entries(svc.networks ?? {}).sort(([a, x], [b, y]) => (y?.priority ?? 0) - (x?.priority ?? 0) || a.localeCompare(b));
  const out: NetworkAttachment[] = [];
  for (const [key, settings] of entries) {
    const net = ctx.networks.get(key);
    if (!net) {
      f.error(['services', ctx.service, 'networks', key], `network "${key}" is not declared under the top-level networks`);
      continue;
    }
    // The service's own name is an alias, so `web` resolves on the network (the service is `<stack>_web`).
    const aliases = [...new Set([ctx.service, ...(ctx.extraAliases ?? []), ...(settings?.aliases ?? [])])];
    out.push(compact({ Target: net.name, Aliases: aliases, DriverOpts: stringMap(settings?.driver_opts) }));
  }
  return out;
}

// The names containers answer to: what each network's DNS server resolves (names, short ids,
// aliases, the asker's links) and the /etc/hosts every running container keeps as the fallback for
// resolvers that skip DNS. Answers come from the network manager's view of the containers; nothing
// here touches the kernel.

import { open } from 'node:fs/promises';
import { renderHosts, type HostsEntry } from '../runtime/etc-files.js';
import { withLock } from '../../lib/atomic.js';
import type { DnsResolver } from './dns.js';
import type { AttachedContainer, EndpointState, NetworkRecord } from './store.js';

export interface NamesHost {
  containers(): Iterable<AttachedContainer>;
  network(id: string): NetworkRecord | undefined;
  /** The endpoint that carries the container's default route. */
  gatewayEndpoint(c: AttachedContainer): EndpointState | undefined;
}

export class ContainerNames {
  constructor(private readonly host: NamesHost) {}

  /**
   * The names a container answers to on a network: name, short id, aliases. (A compose service's
   * name reaches the engine as an alias on each of its containers' endpoints, as with dockerd.)
   */
  private namesOf(c: AttachedContainer, ep: EndpointState): string[] {
    return [c.name, c.id.slice(0, 12), ...ep.aliases].map((n) => n.toLowerCase());
  }

  private clientContainer(client: string): AttachedContainer | undefined {
    for (const c of this.host.containers()) if (Object.values(c.endpoints).some((e) => e.address === client)) return c;
    return undefined;
  }

  /** Addresses for `name` on the networks `asker` shares (or `networkId` for an unknown asker). */
  lookup(name: string, client: string, networkId: string): string[] | undefined {
    const n = name.toLowerCase();
    const asker = this.clientContainer(client);
    const networks = asker ? Object.keys(asker.endpoints) : [networkId];
    const all = [...this.host.containers()].filter((c) => c.running);
    // Links are the asker's private names for other containers.
    if (asker) {
      for (const link of asker.links) {
        const [target, alias = target] = link.replace(/^\//, '').split(':');
        if (alias.replace(/^.*\//, '').toLowerCase() !== n) continue;
        const t = all.find((c) => c.name === target.replace(/^\//, ''));
        const shared = t && networks.find((id) => t.endpoints[id]);
        if (t && shared) return [t.endpoints[shared].address];
      }
    }
    const out: string[] = [];
    for (const id of networks) {
      for (const c of all) {
        const ep = c.endpoints[id];
        if (ep && this.namesOf(c, ep).includes(n) && !out.includes(ep.address)) out.push(ep.address);
      }
    }
    return out.length > 0 ? out : undefined;
  }

  /** What a network's DNS server asks: forward lookups for its clients, reverse lookups, the asker's own upstream. */
  resolverFor(networkId: string): DnsResolver {
    return {
      lookup: (name, client) => this.lookup(name, client, networkId),
      upstreamFor: (client) => this.clientContainer(client)?.dns?.map((d) => (d.includes(':') && !d.includes('.') ? `[${d}]:53` : `${d}:53`)),
      reverse: (address) => {
        for (const c of this.host.containers()) {
          for (const ep of Object.values(c.endpoints)) {
            const r = this.host.network(ep.networkId);
            if (ep.address === address && c.running) return r && !r.predefined ? `${c.name}.${r.name}` : c.name;
          }
        }
        return undefined;
      },
    };
  }

  /**
   * /etc/hosts for a container: its own addresses under its hostname, extra hosts, then every
   * running peer on a shared network by name and aliases (the fallback for resolvers that skip DNS).
   */
  hostsFor(c: AttachedContainer): string {
    const peers: HostsEntry[] = [];
    const seen = new Set<string>();
    for (const ep of Object.values(c.endpoints)) {
      for (const other of this.host.containers()) {
        if (other.id === c.id || !other.running) continue;
        const oep = other.endpoints[ep.networkId];
        if (!oep || seen.has(`${oep.address}`)) continue;
        seen.add(oep.address);
        peers.push({ ip: oep.address, names: [...new Set(this.namesOf(other, oep))] });
      }
    }
    const own = this.host.gatewayEndpoint(c) ?? Object.values(c.endpoints)[0];
    return renderHosts({ hostname: c.hostname, ...(c.domainname ? { domainname: c.domainname } : {}), ...(own ? { ip: own.address } : {}), extraHosts: [...c.extraHosts, ...peers] });
  }

  /** Rewrites (in place: the file is bind-mounted) the /etc/hosts of every running container sharing a network with `changed`. */
  async refreshHosts(changed: { endpoints: Record<string, EndpointState> }): Promise<void> {
    const nets = new Set(Object.keys(changed.endpoints));
    const peers = [...this.host.containers()].filter((c) => c.running && c.hostsFile && Object.keys(c.endpoints).some((id) => nets.has(id)));
    // Concurrently: an exit in a compose stack rewrites every peer's file, and the stop waits for that.
    // One write at a time per file, its content taken when it runs: overlapping refreshes never interleave, the newest lands last.
    await Promise.all(peers.map((c) => withLock(`hosts:${c.hostsFile!}`, () => rewriteInPlace(c.hostsFile!, this.hostsFor(c))).catch(() => undefined)));
  }
}

/**
 * Replaces a bind-mounted file's content without ever leaving it empty: a container may be reading
 * it at that moment (a start refreshes the file its own process is about to `cat`). A truncating
 * write (O_TRUNC, then write) shows such a reader an empty or partial /etc/hosts — extra hosts and
 * all gone. So an unchanged file is not touched at all, and a changed one is overwritten from
 * offset 0 and only then cut to its new length.
 */
export async function rewriteInPlace(file: string, content: string): Promise<void> {
  const data = Buffer.from(content);
  const fh = await open(file, 'r+');
  try {
    const { size } = await fh.stat();
    if (size === data.length) {
      const current = Buffer.alloc(size);
      const { bytesRead } = await fh.read(current, 0, size, 0);
      if (bytesRead === size && current.equals(data)) return;
    }
    await fh.write(data, 0, data.length, 0);
    if (size > data.length) await fh.truncate(data.length);
  } finally {
    await fh.close();
  }
}

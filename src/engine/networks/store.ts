// The networks the engine knows, one JSON file each under <root>/networks/<id>.json, written
// atomically (the records helper: temp file, fsync, rename), so a crash leaves the old or the new
// definition. Which containers are attached is not stored here: each container record holds its
// endpoints, so there is one source of truth for addresses and it survives daemon restarts.

import { readdir, readFile, unlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Labels } from '../backend.js';
import type { HostsEntry } from '../runtime/etc-files.js';
import { writeJsonAtomic } from '../../lib/atomic.js';

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: NetworkDriver;
  internal: boolean;
  attachable: boolean;
  labels: Labels;
  options: Record<string, string>;
  ipamOptions: Record<string, string>;
  /** Bridge networks: subnet (CIDR), gateway and optional IPRange, as IPAM.Config shows them. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** Whether the user chose the subnet (otherwise it came from the pools). */
  userSubnet?: boolean;
  /** Linux bridge device, bridge networks only. */
  bridge?: string;
  /** `bridge`, `host`, `none`: made by the engine, cannot be removed by users. */
  predefined: boolean;
}

/** Endpoint of one container on one network, kept in the container's record. */
export interface EndpointState {
  networkId: string;
  /**
   * The network's name when the endpoint was planned: a network removed while the container was
   * stopped is still named in inspect, and a container that never ran joins a new network of that
   * name at start, as dockerd finds it by name (absent in records of older engines).
   */
  networkName?: string;
  endpointId: string;
  address: string;
  prefix: number;
  gateway: string;
  mac: string;
  /** Aliases the user gave (EndpointConfig.Aliases). */
  aliases: string[];
  /** The user's IPAMConfig.IPv4Address, if any. */
  requestedAddress?: string;
  /** Inside the namespace (eth0, eth1…) and the host end of the veth pair. */
  ifName: string;
  hostIf: string;
}

export class NetworkStore {
  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<NetworkStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new NetworkStore(dir);
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  async load(): Promise<{ records: NetworkRecord[]; broken: string[] }> {
    const records: NetworkRecord[] = [];
    const broken: string[] = [];
    for (const n of (await readdir(this.dir)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f)).sort()) {
      try {
        records.push(JSON.parse(await readFile(path.join(this.dir, n), 'utf8')) as NetworkRecord);
      } catch {
        broken.push(n);
      }
    }
    return { records, broken };
  }

  save(rec: NetworkRecord): Promise<void> {
    return writeJsonAtomic(this.file(rec.id), rec);
  }

  async delete(id: string): Promise<void> {
    await unlink(this.file(id)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

/** What the manager needs to know of a container. */
export interface AttachedContainer {
  id: string;
  name: string;
  running: boolean;
  labels: Labels;
  /** HostConfig.Links: `name:alias` or `name`. */
  links: readonly string[];
  /** By network id. */
  endpoints: Record<string, EndpointState>;
  /** Host file bind-mounted on the container's /etc/hosts, rewritten in place as peers come and go. */
  hostsFile?: string;
  hostname: string;
  /** HostConfig.Domainname: the hosts file names the container `hostname.domainname hostname`. */
  domainname?: string;
  extraHosts: readonly HostsEntry[];
  /** HostConfig.Dns: where the engine's DNS server relays this container's other names. */
  dns?: readonly string[];
}

// NetworkManager: the engine's networks. It owns the network definitions (NetworkStore), the
// bridges and their DNS servers, container sandboxes (one named network namespace per container,
// under <runRoot>/netns/<id>, made before `runc create` and joined by path, so it outlives restarts
// of the container and of the daemon), endpoints (veth pairs) and published ports.
//
// It does not own containers: the engine hands it a view of them (`containers()`), stores the
// EndpointState it returns in each container record, and calls in at start, exit and removal.

import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ConflictError,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  type Filters,
  type Labels,
  type NetworkCreateRequest,
  type NetworkInspect,
} from '../backend.js';
import type { EventBus } from '../events/bus.js';
import { DnsServer } from './dns.js';
import { ForwardingHolder } from './forwarding.js';
import { ContainerNames } from './names.js';
import {
  allocateAddress,
  claimAddress,
  DEFAULT_POOLS,
  formatCidr,
  formatIp,
  IpamError,
  macFor,
  overlaps,
  parseCidr,
  parseIp,
  pickSubnet,
  planSubnet,
  type AddressPool,
  type Cidr,
  type SubnetPlan,
} from './ipam.js';
import { addIsolationRule, disableOutboundNat, enableOutboundNat, isolateBridge, isolationRuleDeletes, ISOLATION_RULE_PRIORITY } from './isolation.js';
import { PortPublisher } from './ports.js';
import { networkListFilter, refusedNetworkOptions, unparsable } from './requests.js';
import { NetworkStore, type AttachedContainer, type EndpointState, type NetworkRecord } from './store.js';
import { addEndpoint, createBridge, createSandbox, deleteLink, deleteLinkAfter, deleteNetns, LinkReaper, linkExists, netnsMounted, routedSubnets, type EndpointPlan } from './sysnet.js';

export interface NetworkLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface NetworkManagerOptions {
  root: string;
  runRoot: string;
  events: EventBus;
  logger: NetworkLogger;
  containers: () => Iterable<AttachedContainer>;
  /** Subnet pools for networks without an IPAM.Config subnet. */
  pools?: readonly AddressPool[];
  /** Upstream DNS servers (host:port) for names the engine does not know; default none. */
  dnsUpstream?: readonly string[];
  /** Masquerade traffic leaving non-internal bridges (needs iptables); default off. */
  outboundNat?: boolean;
  /** Before a network is removed (outside the queue): undoes stopped containers' prepared runs on it. */
  releaseStopped?: (networkId: string) => Promise<void>;
  /** Port of the embedded DNS servers (53; tests of the server alone use others). */
  dnsPort?: number;
  now?: () => number;
}

export class NetworkManager {
  private readonly nets = new Map<string, NetworkRecord>();
  private readonly dns = new Map<string, DnsServer>();
  readonly ports = new PortPublisher();
  /** The alias every link of this engine carries (leftover checks look for it). */
  readonly linkAlias: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bridge deletions of networks removed together share one kernel request. */
  private readonly reaper = new LinkReaper();

  private readonly names: ContainerNames;
  /** ip_forward, on while a NAT bridge needs it and restored after (outbound NAT only). */
  private readonly forwarding: ForwardingHolder;

  private constructor(
    private readonly opts: NetworkManagerOptions,
    private readonly store: NetworkStore,
  ) {
    this.linkAlias = `berth ${opts.root}`;
    this.forwarding = new ForwardingHolder(path.join(opts.runRoot, 'ip_forward.json'));
    this.names = new ContainerNames({ containers: () => this.opts.containers(), network: (id) => this.nets.get(id), gatewayEndpoint: (c) => this.gatewayEndpoint(c) });
  }

  static async open(opts: NetworkManagerOptions): Promise<NetworkManager> {
    const m = new NetworkManager(opts, await NetworkStore.open(path.join(opts.root, 'networks')));
    const { records, broken } = await m.store.load();
    for (const b of broken) opts.logger.error('unreadable network record skipped', { file: b });
    for (const r of records) m.nets.set(r.id, r);
    if (!m.byName('none')) await m.define({ name: 'none', driver: 'null', predefined: true });
    if (!m.byName('host')) await m.define({ name: 'host', driver: 'host', predefined: true });
    if (!m.byName('bridge')) await m.define({ name: 'bridge', driver: 'bridge', predefined: true, options: { 'com.docker.network.bridge.default_bridge': 'true' } });
    // One network that cannot be brought back (its subnet is now routed elsewhere, say) must not
    // keep the engine down: it is logged, and containers on it fail to start with the reason.
    for (const r of m.nets.values()) {
      if (r.driver !== 'bridge') continue;
      await m.realise(r).catch((e: unknown) => opts.logger.error('network could not be restored', { network: r.name, error: String(e) }));
    }
    return m;
  }

  /** Serialises definition changes and address allocation (they read-modify-write shared state). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  netnsPath(containerId: string): string {
    return path.join(this.opts.runRoot, 'netns', containerId);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private byName(name: string): NetworkRecord | undefined {
    for (const r of this.nets.values()) if (r.name === name) return r;
    return undefined;
  }

  /** By full id, exact name, or unique id prefix (dockerd's order). */
  find(ref: string): NetworkRecord {
    const byId = this.nets.get(ref);
    if (byId) return byId;
    const byName = this.byName(ref);
    if (byName) return byName;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.nets.values()].filter((r) => r.id.startsWith(ref));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw new NotFoundError(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`);
    }
    throw new NotFoundError(`network ${ref} not found`);
  }

  tryFind(ref: string): NetworkRecord | undefined {
    try {
      return this.find(ref);
    } catch {
      return undefined;
    }
  }

  get(id: string): NetworkRecord | undefined {
    return this.nets.get(id);
  }

  private plan(r: NetworkRecord): SubnetPlan {
    return planSubnet(parseCidr(r.subnet!), r.gateway, r.ipRange);
  }

  private emit(r: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.opts.events.emit('network', action, r.id, { name: r.name, type: r.driver, ...extra });
  }

  private async define(o: {
    name: string;
    driver: NetworkRecord['driver'];
    predefined?: boolean;
    internal?: boolean;
    attachable?: boolean;
    labels?: Labels;
    options?: Record<string, string>;
    ipamOptions?: Record<string, string>;
    subnet?: string;
    gateway?: string;
    ipRange?: string;
  }): Promise<NetworkRecord> {
    let id: string;
    do id = randomBytes(32).toString('hex');
    while (this.nets.has(id) || /^\d{12}/.test(id));
    const rec: NetworkRecord = {
      id,
      name: o.name,
      created: new Date(this.now()).toISOString(),
      driver: o.driver,
      internal: o.internal ?? false,
      attachable: o.attachable ?? false,
      labels: o.labels ?? {},
      options: o.options ?? {},
      ipamOptions: o.ipamOptions ?? {},
      predefined: o.predefined ?? false,
    };
    if (o.driver === 'bridge') {
      rec.bridge = `brt-${id.slice(0, 10)}`;
      if (o.subnet) {
        const plan = planSubnet(parseCidr(o.subnet), o.gateway, o.ipRange);
        Object.assign(rec, { subnet: formatCidr(plan.subnet), gateway: formatIp(plan.gateway), userSubnet: true, ...(o.ipRange ? { ipRange: formatCidr(plan.range) } : {}) });
      }
      await this.realise(rec);
    }
    try {
      await this.store.save(rec);
    } catch (e) {
      await this.unrealise(rec).catch(() => undefined);
      throw e;
    }
    this.nets.set(rec.id, rec);
    return rec;
  }

  /** Subnets this network must not overlap: the host's routes (read now) and our other networks. */
  private async takenSubnets(except: NetworkRecord): Promise<Cidr[]> {
    const taken: Cidr[] = [];
    for (const r of await routedSubnets()) {
      if (r.dev === except.bridge) continue;
      try {
        taken.push(parseCidr(r.dst));
      } catch {
        // not an IPv4 prefix
      }
    }
    for (const n of this.nets.values()) if (n.id !== except.id && n.subnet) taken.push(parseCidr(n.subnet));
    return taken;
  }

  /**
   * Makes the bridge exist (creating it, with a pool subnet when none was chosen), isolated, with
   * its DNS server. After claiming a pool subnet the routing table is read again: another engine
   * may have claimed the same one at the same moment, and then the later one moves on.
   */
  private async realise(r: NetworkRecord): Promise<void> {
    if (!r.bridge) return;
    // The isolation rule comes with the bridge (same helper process) unless the network is NATed out.
    const wantsRule = !(this.opts.outboundNat && !r.internal);
    const madeHere = !(await linkExists(r.bridge));
    if (madeHere) {
      for (let attempt = 0; ; attempt++) {
        const taken = await this.takenSubnets(r);
        if (!r.subnet || (!r.userSubnet && taken.some((t) => overlaps(t, parseCidr(r.subnet!))))) {
          const subnet = pickSubnet(this.opts.pools ?? DEFAULT_POOLS, taken);
          r.subnet = formatCidr(subnet);
          r.gateway = formatIp(subnet.base + 1);
        } else if (r.userSubnet) {
          const clash = taken.find((t) => overlaps(t, parseCidr(r.subnet!)));
          if (clash) throw new ConflictError(`Pool overlaps with other one on this address space: ${r.subnet} overlaps ${formatCidr(clash)}, which is already routed on this host`);
        }
        const prefix = parseCidr(r.subnet).prefix;
        const routes = await createBridge({ name: r.bridge, alias: this.linkAlias, gatewayCidr: `${r.gateway}/${prefix}`, ...(wantsRule ? { prohibitRulePriority: ISOLATION_RULE_PRIORITY } : {}) });
        const others = routes.filter((x) => x.dev !== r.bridge && x.dst !== undefined).filter((x) => {
          try {
            return overlaps(parseCidr(x.dst), parseCidr(r.subnet!));
          } catch {
            return false;
          }
        });
        if (others.length === 0) break;
        await deleteLinkAfter(r.bridge, isolationRuleDeletes(r.bridge));
        if (r.userSubnet || attempt >= 8) throw new ConflictError(`subnet ${r.subnet} became routed on ${others[0].dev} while network ${r.name} was created`);
      }
    }
    await isolateBridge(r.bridge);
    if (!wantsRule) {
      await this.forwarding.acquire(r.bridge);
      await enableOutboundNat(r.bridge, r.subnet!);
    }
    else if (!madeHere) await addIsolationRule(r.bridge); // a bridge found (engine restart): its rule is checked again
    if (!this.dns.has(r.id)) {
      const server = new DnsServer({ address: r.gateway!, ...(this.opts.dnsPort ? { port: this.opts.dnsPort } : {}), resolver: this.names.resolverFor(r.id), ...(this.opts.dnsUpstream ? { upstream: this.opts.dnsUpstream } : {}) });
      try {
        await server.start();
        this.dns.set(r.id, server);
      } catch (e) {
        this.opts.logger.error('embedded DNS server could not listen', { network: r.name, address: r.gateway, error: String(e) });
      }
    }
  }

  private async unrealise(r: NetworkRecord): Promise<void> {
    await this.dns.get(r.id)?.close();
    this.dns.delete(r.id);
    if (r.bridge) {
      if (this.opts.outboundNat && r.subnet) {
        await disableOutboundNat(r.bridge, r.subnet);
        await this.forwarding.release(r.bridge);
      }
      // One `ip` process for the isolation rule and the bridge (and the bridges removed with it).
      await this.reaper.delete(r.bridge, isolationRuleDeletes(r.bridge));
    }
  }

  /**
   * Stops serving (DNS, ports). Bridges that running containers use stay, with their namespaces
   * and veths, for the next daemon; a bridge nothing runs on goes, so a stopped engine leaves no
   * idle kernel bridge behind — its record stays and open() builds it again.
   */
  async close(): Promise<void> {
    await this.ports.close();
    await Promise.all([...this.dns.values()].map((d) => d.close()));
    this.dns.clear();
    // Together: their bridges go in one kernel request (LinkReaper).
    const idle = [...this.nets.values()].filter((r) => r.driver === 'bridge' && !this.attached(r).some((c) => c.running));
    await Promise.all(idle.map((r) => this.unrealise(r).catch((e: unknown) => this.opts.logger.error('removing an idle bridge failed', { network: r.name, error: String(e) }))));
  }

  /** Removes every network, predefined ones included, and their bridges (engine uninstall, tests). */
  async dismantle(): Promise<void> {
    await this.close();
    for (const r of [...this.nets.values()]) {
      await this.unrealise(r);
      await this.store.delete(r.id);
      this.nets.delete(r.id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // API: networks

  private attached(r: NetworkRecord): AttachedContainer[] {
    return [...this.opts.containers()].filter((c) => c.endpoints[r.id] !== undefined);
  }

  inspectOf(r: NetworkRecord): NetworkInspect {
    const containers: NetworkInspect['Containers'] = {};
    // As dockerd: an endpoint exists while its container runs (berth keeps a stopped one's address reserved).
    for (const c of this.attached(r).filter((a) => a.running)) {
      const ep = c.endpoints[r.id];
      containers[c.id] = { Name: c.name, EndpointID: ep.endpointId, MacAddress: ep.mac, IPv4Address: `${ep.address}/${ep.prefix}`, IPv6Address: '' };
    }
    return {
      Name: r.name,
      Id: r.id,
      Created: r.created,
      Scope: 'local',
      Driver: r.driver,
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: { ...r.ipamOptions },
        Config: r.subnet ? [{ Subnet: r.subnet, Gateway: r.gateway, ...(r.ipRange ? { IPRange: r.ipRange } : {}) }] : [],
      },
      Internal: r.internal,
      Attachable: r.attachable,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: { ...r.options, ...(r.bridge ? { 'com.docker.network.bridge.name': r.bridge } : {}) },
      Labels: r.labels,
    };
  }

  /** `docker network ls`: moby's network filters (networks/requests.ts), keys validated first. */
  async list(filters: Filters): Promise<NetworkInspect[]> {
    const keep = networkListFilter(filters);
    return [...this.nets.values()]
      .filter((r) => keep(r, () => this.attached(r).length))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((r) => this.inspectOf(r));
  }

  async create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    if (!req.Name || req.Name.trim() === '') throw new InvalidArgumentError('network name must be given (Name)');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(req.Name)) throw new InvalidArgumentError(`invalid network name "${req.Name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.Driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw new InvalidArgumentError(`plugin "${driver}" not found: the built-in engine offers the bridge driver only`);
    if (req.EnableIPv6) throw new InvalidArgumentError('IPv6 networks are not supported by the built-in engine');
    const refused = refusedNetworkOptions(req);
    if (refused.length > 0) throw new InvalidArgumentError(refused.join('; '));
    const configs = req.IPAM?.Config ?? [];
    if (configs.length > 1) throw new InvalidArgumentError('the built-in engine supports one IPAM.Config entry per network');
    const cfg = configs[0] ?? {};
    if (!cfg.Subnet && (cfg.Gateway || cfg.IPRange)) throw new InvalidArgumentError('IPAM.Config: Gateway and IPRange need a Subnet');
    return this.serial(async () => {
      // Names are unique, always (moby ≥ 25 ignores CheckDuplicate=false too).
      const same = this.byName(req.Name);
      if (same) throw new ConflictError(`network with name ${req.Name} already exists`);
      let rec: NetworkRecord;
      try {
        rec = await this.define({
          name: req.Name,
          driver: 'bridge',
          internal: req.Internal === true,
          attachable: req.Attachable === true,
          labels: req.Labels ?? {},
          options: req.Options ?? {},
          ipamOptions: req.IPAM?.Options ?? {},
          ...(cfg.Subnet ? { subnet: cfg.Subnet } : {}),
          ...(cfg.Gateway ? { gateway: cfg.Gateway } : {}),
          ...(cfg.IPRange ? { ipRange: cfg.IPRange } : {}),
        });
      } catch (e) {
        if (e instanceof IpamError) {
          // dockerd's words for a subnet that does not parse.
          if (cfg.Subnet && unparsable(cfg.Subnet)) {
            throw new InvalidArgumentError(`Invalid subnet ${cfg.Subnet} : invalid CIDR address: ${cfg.Subnet}`, { cause: e });
          }
          throw new InvalidArgumentError(`network ${req.Name}: ${e.message}`, { cause: e });
        }
        throw e;
      }
      this.emit(rec, 'create');
      this.opts.logger.info('network created', { id: rec.id, name: rec.name, subnet: rec.subnet, bridge: rec.bridge });
      return { Id: rec.id, Warning: '' };
    });
  }

  async remove(ref: string): Promise<void> {
    const r = this.find(ref);
    if (r.predefined) throw new ForbiddenError(`${r.name} is a pre-defined network and cannot be removed`);
    await this.opts.releaseStopped?.(r.id);
    await this.serial(async () => {
      if (!this.nets.has(r.id)) throw new NotFoundError(`network ${ref} not found`);
      // As dockerd: only a running container holds an endpoint. A stopped one keeps its address in
      // its record, which dies with the network; its next start fails with "network … not found".
      // A sandbox without a running process is a start (or a prepared run) under way: in use too.
      const users = [];
      for (const c of this.attached(r)) if (c.running || (await netnsMounted(this.netnsPath(c.id)))) users.push(c);
      // 403, not 409: dockerd 20.10's libnetwork answers ActiveEndpointsError as Forbidden.
      if (users.length > 0) throw new ForbiddenError(`error while removing network: network ${r.name} id ${r.id} has active endpoints`);
      // Out of the lookup at once: nothing attaches to a network on its way out.
      this.nets.delete(r.id);
    });
    // The kernel work runs outside the queue, so a project's networks (compose removes them together)
    // go in the time of one removal, not of their sum. A new network meanwhile still sees the old
    // bridge's route and picks another subnet.
    try {
      await this.unrealise(r);
    } catch (e) {
      if (!this.byName(r.name)) this.nets.set(r.id, r);
      throw e;
    }
    await this.store.delete(r.id);
    this.emit(r, 'destroy');
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    for (const r of [...this.nets.values()]) {
      // Networks only stopped containers reference go too, as with dockerd (remove() decides).
      if (r.predefined || this.attached(r).some((c) => c.running)) continue;
      const labelsOk = (filters.label ?? []).every((l) => {
        const eq = l.indexOf('=');
        return eq < 0 ? l in r.labels : r.labels[l.slice(0, eq)] === l.slice(eq + 1);
      }) && (filters['label!'] ?? []).every((l) => {
        const eq = l.indexOf('=');
        return eq < 0 ? !(l in r.labels) : r.labels[l.slice(0, eq)] !== l.slice(eq + 1);
      });
      const until = filters.until?.[0];
      const untilOk = !until || Date.parse(r.created) < (Number.isNaN(Number(until)) ? Date.parse(until) : Number(until) * 1000);
      if (!labelsOk || !untilOk) continue;
      await this.remove(r.id).then(() => deleted.push(r.name), () => undefined);
    }
    return { NetworksDeleted: deleted };
  }

  // -------------------------------------------------------------------------------------------
  // Endpoints and sandboxes

  /**
   * Allocates the endpoint of `c` on network `r` (address from IPAM or the one asked for). Pure
   * bookkeeping: the veth is made when the sandbox is (start) or right away by `plug` (connect).
   */
  planEndpoint(c: AttachedContainer, r: NetworkRecord, cfg: { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null; MacAddress?: string } = {}): Promise<EndpointState> {
    return this.serial(async () => {
      if (r.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to network ${r.name} (driver ${r.driver}): use NetworkMode ${r.name === 'none' ? 'none' : 'host'}`);
      if (c.endpoints[r.id]) throw new ForbiddenError(`endpoint with name ${c.name} already exists in network ${r.name}`);
      const plan = this.plan(r);
      const used = new Set<number>();
      for (const other of this.opts.containers()) {
        const ep = other.endpoints[r.id];
        if (ep && other.id !== c.id) used.add(parseIp(ep.address));
      }
      const requested = cfg.IPAMConfig?.IPv4Address || undefined;
      const mac = cfg.MacAddress || undefined;
      if (mac && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new InvalidArgumentError(`invalid MAC address: ${mac}`);
      if (requested && !r.userSubnet) throw new InvalidArgumentError(`user specified IP address is supported only when connecting to networks with user configured subnets (network ${r.name})`);
      let ip: number;
      try {
        ip = requested ? claimAddress(plan, requested, used) : allocateAddress(plan, used);
      } catch (e) {
        if (e instanceof IpamError) throw (/in use/.test(e.message) ? new ConflictError(e.message) : new InvalidArgumentError(e.message));
        throw e;
      }
      const taken = new Set(Object.values(c.endpoints).map((e) => e.ifName));
      let n = 0;
      while (taken.has(`eth${n}`)) n++;
      const digest = createHash('sha256').update(`${c.id}/${r.id}`).digest('hex');
      return {
        networkId: r.id,
        networkName: r.name,
        endpointId: createHash('sha256').update(`${c.id}/${r.id}/${this.now()}`).digest('hex'),
        address: formatIp(ip),
        prefix: plan.subnet.prefix,
        gateway: formatIp(plan.gateway),
        mac: mac ? mac.toLowerCase() : macFor(ip),
        aliases: [...(cfg.Aliases ?? [])],
        ...(requested ? { requestedAddress: requested } : {}),
        ifName: `eth${n}`,
        hostIf: `vb${digest.slice(0, 10)}`,
      };
    });
  }

  /** The endpoint that carries the default route: the first (by interface) on a non-internal network. */
  private gatewayEndpoint(c: AttachedContainer): EndpointState | undefined {
    return Object.values(c.endpoints)
      .sort((a, b) => Number(a.ifName.slice(3)) - Number(b.ifName.slice(3)))
      .find((e) => this.nets.get(e.networkId)?.internal === false);
  }

  /** The endpoint's veth plan; its bridge is checked (and made again if it went) first. */
  private async endpointPlan(c: AttachedContainer, ep: EndpointState, withRoute: boolean): Promise<EndpointPlan> {
    const r = this.nets.get(ep.networkId);
    if (!r?.bridge) throw new NotFoundError(`network ${ep.networkId} not found`);
    await isolateBridge(r.bridge).catch(async () => {
      // The bridge is gone (host reboot, someone deleted it): make it again.
      await this.realise(r);
    });
    return {
      netns: this.netnsPath(c.id),
      bridge: r.bridge,
      hostIf: ep.hostIf,
      ifName: ep.ifName,
      address: ep.address,
      prefix: ep.prefix,
      mac: ep.mac,
      ...(withRoute ? { gateway: ep.gateway } : {}),
      alias: this.linkAlias,
    };
  }

  private async plugOne(c: AttachedContainer, ep: EndpointState, withRoute: boolean): Promise<void> {
    await addEndpoint(await this.endpointPlan(c, ep, withRoute));
  }

  /**
   * The container's network namespace, made if missing, with every endpoint plugged in. Runs
   * before `runc create`; the spec joins the namespace by this path.
   */
  async ensureSandbox(c: AttachedContainer): Promise<string> {
    const file = this.netnsPath(c.id);
    const gw = this.gatewayEndpoint(c);
    if (!(await netnsMounted(file))) {
      const plans: EndpointPlan[] = [];
      for (const ep of Object.values(c.endpoints)) plans.push(await this.endpointPlan(c, ep, ep === gw));
      await createSandbox(file, plans);
      return file;
    }
    for (const ep of Object.values(c.endpoints)) {
      if (await linkExists(ep.hostIf)) continue;
      await this.plugOne(c, ep, ep === gw);
    }
    return file;
  }

  async hasSandbox(containerId: string): Promise<boolean> {
    return netnsMounted(this.netnsPath(containerId));
  }

  /** Live connect: plugs the endpoint now when the container has a sandbox. */
  async plug(c: AttachedContainer, ep: EndpointState): Promise<void> {
    if (!(await this.hasSandbox(c.id))) return;
    const gw = this.gatewayEndpoint({ ...c, endpoints: { ...c.endpoints, [ep.networkId]: ep } });
    const hadRoute = Object.values(c.endpoints).some((e) => e !== ep && this.nets.get(e.networkId)?.internal === false);
    await this.plugOne(c, ep, gw === ep && !hadRoute);
  }

  async unplug(ep: EndpointState): Promise<void> {
    await deleteLink(ep.hostIf);
  }

  /** Removes the namespace and every veth of the container. */
  async destroySandbox(c: { id: string; endpoints: Record<string, EndpointState> }): Promise<void> {
    const file = this.netnsPath(c.id);
    if (!(await netnsMounted(file))) return;
    // The kernel would drop the veths with the namespace, but later (asynchronously): they go first,
    // so "removed" means gone; the namespace after them, in the same helper process.
    await deleteNetns(file, Object.values(c.endpoints).map((ep) => ep.hostIf));
  }

  /** DNS servers a container's resolv.conf names: the gateway of each of its networks, first one first. */
  nameserversFor(c: AttachedContainer): string[] {
    return Object.values(c.endpoints)
      .sort((a, b) => Number(a.ifName.slice(3)) - Number(b.ifName.slice(3)))
      .filter((e) => this.dns.has(e.networkId))
      .map((e) => e.gateway)
      .filter((g, i, all) => all.indexOf(g) === i)
      .slice(0, 3);
  }

  // -------------------------------------------------------------------------------------------
  // Names (names.ts): DNS answers, /etc/hosts

  hostsFor(c: AttachedContainer): string {
    return this.names.hostsFor(c);
  }

  refreshHosts(changed: { endpoints: Record<string, EndpointState> }): Promise<void> {
    return this.names.refreshHosts(changed);
  }

  event(r: NetworkRecord, action: 'connect' | 'disconnect', containerId: string): void {
    this.emit(r, action, { container: containerId });
  }
}

// The network part of the backend: the network room's own verbs, plus connect and disconnect,
// which change a container (its endpoints, its sandbox, a prepared run's resolv.conf) and so run
// on that container's queue.

import {
  ForbiddenError,
  InvalidArgumentError,
  toEngineError,
  type EndpointSettings,
  type Filters,
  type NetworkBackend,
  type NetworkConnectRequest,
  type NetworkCreateRequest,
  type NetworkDisconnectRequest,
  type NetworkInspect,
} from '../backend.js';
import { networkChoice } from '../runtime/translate.js';
import type { EngineCore } from './core.js';
import { endpointProblems } from './create.js';
import { discardPrepared, resolvConfFor } from './run.js';

async function apiErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toEngineError(e);
  }
}

export class Networks implements NetworkBackend {
  constructor(private readonly core: EngineCore) {}

  list(filters: Filters): Promise<NetworkInspect[]> {
    return apiErrors(() => this.core.net.list(filters));
  }

  inspect(ref: string): Promise<NetworkInspect> {
    return apiErrors(async () => this.core.net.inspectOf(this.core.net.find(ref)));
  }

  create(request: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    return apiErrors(() => this.core.net.create(request));
  }

  remove(ref: string): Promise<void> {
    return apiErrors(() => this.core.net.remove(ref));
  }

  prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    return apiErrors(() => this.core.net.prune(filters));
  }

  connect(ref: string, request: NetworkConnectRequest): Promise<void> {
    const problems = endpointProblems('EndpointConfig', request.EndpointConfig ?? {});
    if (problems.length > 0) return Promise.reject(new InvalidArgumentError(problems.join('; ')));
    return apiErrors(() => this.connectContainer(ref, request.Container, request.EndpointConfig ?? {}));
  }

  disconnect(ref: string, request: NetworkDisconnectRequest): Promise<void> {
    return apiErrors(() => this.disconnectContainer(ref, request.Container));
  }

  private async connectContainer(netRef: string, containerRef: string, cfg: EndpointSettings): Promise<void> {
    const core = this.core;
    // dockerd looks the container up first: an unknown container is named before an unknown network.
    const live = core.find(containerRef);
    const r = core.net.find(netRef);
    await core.serial(live, async () => {
      const rec = live.rec;
      const mode = networkChoice(rec.hostConfig.NetworkMode);
      if (mode.kind !== 'network') throw new InvalidArgumentError(`container ${rec.name} uses network mode ${rec.hostConfig.NetworkMode}: it cannot be connected to other networks`);
      if (r.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to network ${r.name} (driver ${r.driver})`);
      const ep = await core.net.planEndpoint(core.attachedView(live), r, cfg);
      try {
        await core.net.plug(core.attachedView(live), ep);
      } catch (e) {
        await core.net.unplug(ep).catch(() => undefined);
        throw toEngineError(e);
      }
      rec.endpoints = { ...(rec.endpoints ?? {}), [r.id]: ep };
      // A prepared run got the endpoint plugged into its sandbox like a running one; its resolv.conf
      // (bind-mounted already) now names this network's DNS too. Compose connects right after create.
      if (live.prepared) {
        const view = core.attachedView(live);
        const predefinedOnly = Object.keys(view.endpoints).every((id) => core.net.get(id)?.predefined === true);
        await core.runner.rewriteResolvConf(rec.id, resolvConfFor(rec, { nameservers: core.net.nameserversFor(view), predefinedOnly })).catch(async (e: unknown) => {
          core.logger.info('updating a prepared run after connect failed; the start will do it', { id: rec.id, error: String(e) });
          await discardPrepared(core, live);
        });
      }
      await core.persist(live);
      core.net.event(r, 'connect', rec.id);
      await core.net.refreshHosts(core.attachedView(live));
    });
  }

  private async disconnectContainer(netRef: string, containerRef: string): Promise<void> {
    const core = this.core;
    // dockerd looks the container up first: an unknown container is named before an unknown network.
    const live = core.find(containerRef);
    const r = core.net.find(netRef);
    await core.serial(live, async () => {
      const rec = live.rec;
      const ep = rec.endpoints?.[r.id];
      if (!ep) throw new ForbiddenError(`container ${rec.id} is not connected to network ${r.name}`);
      await discardPrepared(core, live);
      await core.net.unplug(ep);
      const { [r.id]: _gone, ...rest } = rec.endpoints ?? {};
      rec.endpoints = rest;
      await core.persist(live);
      core.net.event(r, 'disconnect', rec.id);
      await core.net.refreshHosts({ endpoints: { ...rest, [r.id]: ep } });
    });
  }
}

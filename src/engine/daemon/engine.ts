// BuiltinEngine: the real EngineBackend. It opens the engine's rooms over one state root (image
// store, networks, volumes, container records), re-adopts the containers an earlier daemon left
// running, and wires the daemon's verbs (one module each, over EngineCore) into the backend
// interfaces the API serves. Containers run under their own monitors (berth-shim), so closing the
// engine leaves them running and the next open picks them up.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, type EngineBackend, type VolumeBackend } from '../backend.js';
import { Execs } from '../exec/exec.js';
import { ImageStore } from '../images/store.js';
import { NetworkManager } from '../networks/manager.js';
import type { ContainerRunner } from '../runtime/container-runner.js';
import { releaseHostRootView } from '../runtime/rootfs.js';
import { HealthMonitor } from '../supervise/health.js';
import { RestartSupervisor } from '../supervise/restart.js';
import { VolumeService } from '../volumes/service.js';
import type { EventBus } from '../events/bus.js';
import { Builds } from './build.js';
import { Containers } from './containers.js';
import { EngineCore, type BuiltinEngineOptions } from './core.js';
import { ExitHandler } from './exits.js';
import { Images } from './images.js';
import { Networks } from './networks.js';
import { restoreContainers } from './restore.js';
import { explainingStorage, storageFullError } from './storage-full.js';
import { discardPrepared, releasePreparedOn } from './run.js';
import { policyRestart } from './start.js';
import { healthChanged } from './supervision.js';
import { ENGINE_VERSION, System } from './system.js';

export type { BuiltinEngineOptions, EngineLogger } from './core.js';
export { ENGINE_VERSION } from './system.js';

export class BuiltinEngine implements EngineBackend {
  private readonly core: EngineCore;
  private readonly exits: ExitHandler;
  readonly containers: Containers;
  readonly networks: Networks;
  readonly exec: Execs;
  readonly images: Images;
  readonly system: System;
  readonly build: Builds;

  private constructor(opts: BuiltinEngineOptions) {
    let exits: ExitHandler | undefined;
    this.core = new EngineCore(opts, () => void exits?.poll());
    this.exits = exits = new ExitHandler(this.core);
    this.exec = new Execs(this.core);
    this.core.execs = this.exec;
    this.core.restarts = new RestartSupervisor({
      clock: this.core.clock,
      restart: (id) => policyRestart(this.core, id),
      onGiveUp: (id, reason) => this.core.logger.info('restart policy gave up', { id, reason }),
    });
    this.core.health = new HealthMonitor({
      clock: this.core.clock,
      exec: (id, cmd, timeoutMs) => this.exec.probe(id, cmd, timeoutMs),
      onChange: (id, health) => healthChanged(this.core, id, health),
    });
    // A full disk under the root is answered as such, whichever room wrote (storage-full.ts).
    const explain = (e: unknown): unknown => storageFullError(e, this.core);
    this.containers = explainingStorage(new Containers(this.core), explain);
    this.networks = explainingStorage(new Networks(this.core), explain);
    this.images = explainingStorage(new Images(this.core), explain);
    this.system = explainingStorage(new System(this.core), explain);
    this.build = explainingStorage(new Builds(this.core), explain);
    this.explain = explain;
  }

  private readonly explain: (e: unknown) => unknown;
  private volumesRoom: VolumeBackend | undefined;

  get root(): string {
    return this.core.root;
  }

  get runRoot(): string {
    return this.core.runRoot;
  }

  get runner(): ContainerRunner {
    return this.core.runner;
  }

  get events(): EventBus {
    return this.core.events;
  }

  get volumes(): VolumeBackend {
    this.volumesRoom ??= explainingStorage<VolumeBackend>(this.core.vols, this.explain);
    return this.volumesRoom;
  }

  /** Opens the state under `root`, re-adopts containers left by an earlier daemon and starts supervising. */
  static async open(opts: BuiltinEngineOptions = {}): Promise<BuiltinEngine> {
    const engine = new BuiltinEngine(opts);
    const core = engine.core;
    await mkdir(core.recordsDir, { recursive: true, mode: 0o700 });
    await mkdir(path.join(core.runRoot, 'runc'), { recursive: true, mode: 0o700 });
    core.store = await ImageStore.open({ root: path.join(core.root, 'image'), hostImage: core.hostImage, inUse: (id) => core.imageUser(id), dockerVersion: ENGINE_VERSION });
    core.net = await NetworkManager.open({
      root: core.root,
      runRoot: core.runRoot,
      events: core.events,
      logger: core.logger,
      containers: () => [...core.containers.values()].map((l) => core.attachedView(l)),
      ...(opts.addressPools ? { pools: opts.addressPools } : {}),
      ...(opts.dnsUpstream ? { dnsUpstream: opts.dnsUpstream.map((u) => (u.includes(':') ? u : `${u}:53`)) } : {}),
      outboundNat: opts.outboundNat === true,
      releaseStopped: (networkId) => releasePreparedOn(core, networkId),
      now: () => core.clock.now(),
    });
    core.vols = await VolumeService.open(path.join(core.root, 'volumes'), {
      emit: (action, name, attributes) => core.events.emit('volume', action, name, attributes),
      referencedBy: (name) => [...core.containers.values()].filter((l) => core.mountsOf(l.rec).some((m) => m.type === 'volume' && m.name === name)).map((l) => l.rec.id),
      now: () => new Date(core.clock.now()),
    });
    await restoreContainers(core, engine.exits);
    for (const name of await core.vols.store.unmountUnused()) core.logger.info('unused volume unmounted', { name });
    core.exitWatch.startPolling(core.pollMs);
    return engine;
  }

  /** Stops supervising; containers keep running under their monitors (live restore picks them up). */
  async close(): Promise<void> {
    const core = this.core;
    core.closed = true;
    core.exitWatch.close();
    for (const id of core.containers.ids()) {
      core.restarts.forget(id);
      core.health.forget(id);
    }
    // In-flight calls get a moment to finish; one waiting for an exit nobody will now notice must not hold shutdown.
    // Cleanups of runs that ended are awaited too: nothing is left half-unmounted.
    await Promise.race([Promise.all([...core.containers.values()].map((l) => Promise.all([l.queue.catch(() => undefined), l.cleaning]))), new Promise((r) => setTimeout(r, 5_000).unref())]);
    // Prepared runs are not runs: they are undone (the next daemon prepares at start).
    for (const l of core.containers.values()) {
      if (l.prepared) await core.serial(l, () => discardPrepared(core, l)).catch((e: unknown) => core.logger.error('undoing a prepared run failed', { id: l.rec.id, error: String(e) }));
    }
    // Published ports and DNS servers live in this process: they stop now and the next daemon re-binds them.
    await core.net?.close();
    await releaseHostRootView(core.runRoot);
  }

  /** Removes every network and bridge, predefined ones too (after the containers are gone): uninstall, tests. */
  async dismantleNetworks(): Promise<void> {
    if (this.core.containers.size > 0) throw new ConflictError(`${this.core.containers.size} containers still exist`);
    await this.core.net.dismantle();
  }

  /** Every host port this engine has published (`tcp:127.0.0.1:8080`): leak checks ask whether any still listens. */
  publishedPorts(): string[] {
    return this.core.net.ports.everBound.map((b) => `${b.proto}:${b.hostIp || '0.0.0.0'}:${b.hostPort}`);
  }
}

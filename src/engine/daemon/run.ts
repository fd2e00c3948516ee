// A container's run: what a start needs (bundle inputs, the network sandbox, volumes, published
// ports), the run prepared ahead of its start, the start itself, and the cleanup once it is over.
// The start command, stop, restart policies and live restore all go through these.

import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError, toEngineError } from '../backend.js';
import { primaryEndpoint, type ContainerRecord } from '../container/record.js';
import type { LiveContainer } from '../container/table.js';
import { PortError, planPortRequests } from '../networks/ports.js';
import type { CreateRequest } from '../runtime/container-runner.js';
import { attachStdin } from '../runtime/monitor.js';
import { unmountRootfs } from '../runtime/rootfs.js';
import { RuncError } from '../runtime/runc.js';
import { buildContainerSpec } from '../runtime/container-spec.js';
import { networkChoice, parseExtraHosts } from '../runtime/translate.js';
import { dockerAdditionalGids, resolveUser } from '../runtime/user.js';
import { hostDevices, resolveDeviceMappings, resolveThrottles } from '../runtime/devices.js';
import type { ResolvConfOverrides } from '../runtime/etc-files.js';
import { logPolicy } from '../container/log-config.js';
import { iso, type EngineCore } from './core.js';
import { onStarted } from './supervision.js';

/**
 * Undoes what a finished run left: runc state, the rootfs mount, the volumes it held, the network
 * sandbox and the monitor's io socket (a monitor removes it as it ends; one that was killed cannot).
 */
export async function cleanupRun(core: EngineCore, id: string): Promise<void> {
  const p = core.paths(id);
  const rec = core.containers.get(id)?.rec;
  // The network side and the filesystem side are independent: they go concurrently.
  await Promise.all([
    (async () => {
      await core.net.ports.unpublish(id);
      // As in dockerd the sandbox goes with the run (addresses stay reserved in the record); pod
      // members join the sandbox container's namespace by path, so they survive their own restarts.
      await core.net.destroySandbox({ id, endpoints: rec?.endpoints ?? {} }).catch((e: unknown) => core.logger.error('removing the network sandbox failed', { id, error: String(e) }));
    })(),
    (async () => {
      await deleteStoppedRunc(core, id);
      await rm(p.ioSocket, { force: true }).catch(() => undefined);
      await unmountRootfs(p.rootfs).catch(() => undefined);
      await core.vols.release(id).catch((e: unknown) => core.logger.error('releasing volumes failed', { id, error: String(e) }));
    })(),
  ]);
}

/**
 * Deletes runc's state of a run that is over: directly when its cgroups are empty (Runc.deleteExited),
 * else with plain `runc delete` (no --force), which deletes a stopped or created container and
 * refuses a running or paused one.
 */
async function deleteStoppedRunc(core: EngineCore, id: string): Promise<void> {
  await core.runner.runc.deleteExited(id).catch((e: unknown) => {
    if (!(e instanceof RuncError && /not stopped|does not exist/.test(e.message))) core.logger.error('runc delete after the run failed', { id, error: String(e) });
  });
}

/** /etc/passwd and /etc/group as the container will see them: the writable layer first, then the image layers. */
async function readImageFile(upper: string, lowerDirs: readonly string[], rel: string): Promise<string | undefined> {
  for (const dir of [upper, ...lowerDirs]) {
    try {
      return await readFile(path.join(dir, rel), 'utf8');
    } catch {
      // not in this layer
    }
  }
  return undefined;
}

/**
 * A container whose network did not exist at create (dockerd creates it anyway): the network is
 * looked up again now, and the start fails with dockerd's "network X not found" if it still is not there.
 */
async function joinLateNetwork(core: EngineCore, live: LiveContainer, name: string): Promise<void> {
  const n = core.net.tryFind(name);
  if (!n) throw new NotFoundError(`network ${name} not found`);
  if (n.driver !== 'bridge') throw new InvalidArgumentError(`network ${n.name} (driver ${n.driver}) is only usable as NetworkMode ${n.driver === 'null' ? 'none' : 'host'}`);
  const ep = await core.net.planEndpoint(core.attachedView(live), n, {});
  live.rec.endpoints = { [n.id]: ep };
  await core.persist(live);
}

/**
 * Networks removed while the container was stopped (dockerd allows that). As dockerd: a container
 * that never ran names its networks by name and joins a network of that name made since; one that
 * ran names them by id, and its start fails with "network <id> not found".
 */
async function rejoinRemovedNetworks(core: EngineCore, live: LiveContainer): Promise<void> {
  const rec = live.rec;
  for (const [netId, ep] of Object.entries(rec.endpoints ?? {})) {
    if (core.net.get(netId)) continue;
    if (rec.hasBeenStarted || !ep.networkName) throw new NotFoundError(`network ${netId} not found`);
    const n = core.net.tryFind(ep.networkName);
    if (!n) throw new NotFoundError(`network ${ep.networkName} not found`);
    const { [netId]: _removed, ...rest } = rec.endpoints ?? {};
    rec.endpoints = rest;
    const fresh = await core.net.planEndpoint(core.attachedView(live), n, { Aliases: ep.aliases, ...(ep.requestedAddress ? { IPAMConfig: { IPv4Address: ep.requestedAddress } } : {}) });
    rec.endpoints = { ...rec.endpoints, [n.id]: fresh };
    await core.persist(live);
  }
}

/**
 * The network namespace a run joins, and what its /etc/hosts and resolv.conf say: its own sandbox
 * (made now if missing, endpoints plugged), another container's (container:<ref>), or the host's.
 */
async function sandboxFor(core: EngineCore, live: LiveContainer, depth = 0): Promise<{ netnsPath?: string; hosts?: string; nameservers?: string[]; predefinedOnly?: boolean }> {
  const choice = networkChoice(live.rec.hostConfig.NetworkMode);
  if (choice.kind === 'host') return {};
  if (choice.kind === 'container') {
    const other = core.find(choice.ref);
    if (other.rec.id === live.rec.id || depth > 8) throw new InvalidArgumentError(`cannot join the network namespace of container ${choice.ref}: it leads back to itself`);
    if (!other.rec.state.Running) throw new ConflictError(`cannot join network namespace of a non running container: ${other.rec.id}`);
    // A sandbox without networks (`none`) has no named namespace: members join its process's.
    if (networkChoice(other.rec.hostConfig.NetworkMode).kind === 'none') return { netnsPath: `/proc/${other.rec.state.Pid}/ns/net`, nameservers: [] };
    const theirs = await sandboxFor(core, other, depth + 1);
    // A member shares the sandbox's stack, so also its view of names (hostname stays its own).
    return { ...theirs, ...(theirs.hosts !== undefined ? { hosts: core.net.hostsFor({ ...core.attachedView(other), hostname: live.rec.config.Hostname ?? other.rec.config.Hostname ?? '' }) } : {}) };
  }
  // `none`: runc makes a fresh namespace with loopback only; nothing to create or tear down.
  if (choice.kind === 'none') return { nameservers: [], predefinedOnly: true };
  if (Object.keys(live.rec.endpoints ?? {}).length === 0) await joinLateNetwork(core, live, choice.network);
  else await rejoinRemovedNetworks(core, live);
  const view = core.attachedView(live);
  const netnsPath = await core.net.ensureSandbox(view);
  const predefinedOnly = Object.keys(view.endpoints).every((id) => core.net.get(id)?.predefined === true);
  return { netnsPath, hosts: core.net.hostsFor(view), nameservers: core.net.nameserversFor(view), predefinedOnly };
}

/**
 * What the container's resolv.conf says: the engine's DNS servers on its networks, the user's
 * --dns instead on the default bridge and the host's network (as dockerd writes them), and the
 * user's search domains and options. On a user-defined network the engine's DNS stays the
 * nameserver and relays to the user's --dns servers (networks/names.ts), as dockerd's embedded one.
 */
export function resolvConfFor(rec: ContainerRecord, sandbox: { nameservers?: string[]; predefinedOnly?: boolean }): ResolvConfOverrides {
  const hc = rec.hostConfig;
  const given = (l: readonly string[] | null | undefined): readonly string[] | undefined => (l && l.length > 0 ? l : undefined);
  const dns = given(hc.Dns);
  const direct = dns && (sandbox.nameservers === undefined || sandbox.predefinedOnly === true);
  const nameservers = direct ? dns : sandbox.nameservers;
  const search = given(hc.DnsSearch);
  const options = given(hc.DnsOptions);
  return { ...(nameservers ? { nameservers } : {}), ...(search ? { search } : {}), ...(options ? { options } : {}) };
}

/** Binds the container's published ports on the host (a proxy per port, forwarding to its primary endpoint). */
export async function publishPorts(core: EngineCore, live: LiveContainer): Promise<ContainerRecord['ports']> {
  const rec = live.rec;
  const hc = rec.hostConfig;
  if (networkChoice(hc.NetworkMode).kind !== 'network') return [];
  const target = primaryEndpoint(rec);
  let requests;
  try {
    requests = planPortRequests(hc.PortBindings, hc.PublishAllPorts === true, rec.config.ExposedPorts);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message, { cause: e });
  }
  if (requests.length === 0) return [];
  if (!target) throw new ConflictError(`container ${rec.name} publishes ports but is attached to no network`);
  try {
    return await core.net.ports.publish(rec.id, requests, target.address, rec.ports ?? []);
  } catch (e) {
    if (e instanceof PortError) throw toEngineError(e);
    throw e;
  }
}

/**
 * What the runner needs to create a run: bundle inputs, the network sandbox (made now), volumes
 * (acquired now). Undoes the previous run's leftovers first. Ports are not published here.
 */
async function runRequest(core: EngineCore, live: LiveContainer): Promise<CreateRequest> {
  const rec = live.rec;
  const id = rec.id;
  const p = core.paths(id);
  await live.cleaning;
  // A container that never ran has nothing to undo (a failed or discarded preparation cleaned up after itself).
  if (rec.hasBeenStarted) {
    await cleanupRun(core, id);
    await rm(p.status, { force: true });
  }
  const hc = rec.hostConfig;
  let lowerDirs: string[];
  try {
    lowerDirs = await core.store.lowerDirs(rec.image);
  } catch (e) {
    throw toEngineError(e);
  }
  const volumes = await core.vols.acquire(id, core.mountsOf(rec));
  const passwd = await readImageFile(p.upper, lowerDirs, 'etc/passwd');
  const group = await readImageFile(p.upper, lowerDirs, 'etc/group');
  const user = resolveUser(rec.config.User ?? '', passwd, group, hc.GroupAdd ?? []);
  const config = { ...rec.config };
  // dockerd sets HOME from the passwd entry unless the container's env has one.
  if (!(config.Env ?? []).some((e) => e.startsWith('HOME='))) config.Env = [...(config.Env ?? []), `HOME=${user.home}`];
  // Host devices and block devices are looked up now: a missing one fails the start, as with dockerd.
  let devices: Awaited<ReturnType<typeof resolveDeviceMappings>>;
  let blockIO: Awaited<ReturnType<typeof resolveThrottles>>;
  try {
    const mapped = await resolveDeviceMappings(hc.Devices ?? []);
    const host = hc.Privileged ? await hostDevices() : { devices: [], rules: [] };
    devices = { devices: [...host.devices, ...mapped.devices], rules: [...host.rules, ...mapped.rules] };
    blockIO = await resolveThrottles(hc);
  } catch (e) {
    await core.vols.release(id).catch(() => undefined);
    throw toEngineError(e);
  }
  let log: ReturnType<typeof logPolicy>;
  try {
    log = logPolicy(hc.LogConfig?.Type, hc.LogConfig?.Config ?? {});
  } catch (e) {
    await core.vols.release(id).catch(() => undefined);
    throw toEngineError(e);
  }
  const sandbox = await sandboxFor(core, live);
  const spec = buildContainerSpec({
    config,
    hostConfig: hc,
    user: { uid: user.uid, gid: user.gid, additionalGids: dockerAdditionalGids(user) },
    mounts: volumes.specs,
    containerPid: (ref) => core.containerPid(ref),
    containerShm: (ref) => core.containerShm(ref),
    devices,
    ...(blockIO ? { blockIO } : {}),
    ...(core.initBinary ? { initBinary: core.initBinary } : {}),
    ...(sandbox.netnsPath ? { netnsPath: sandbox.netnsPath } : {}),
  });
  return {
    id,
    lowerDirs,
    spec,
    ...(hc.CgroupParent ? { cgroupParent: hc.CgroupParent } : {}),
    ...(rec.config.Hostname ? { hostname: rec.config.Hostname } : {}),
    log: { ...(log.maxSize !== undefined ? { maxSize: log.maxSize } : {}), maxFiles: log.maxFiles },
    extraHosts: parseExtraHosts(hc.ExtraHosts ?? [], primaryEndpoint(rec)?.gateway),
    ...(sandbox.hosts !== undefined ? { hostsContent: sandbox.hosts } : {}),
    resolvConf: resolvConfFor(rec, sandbox),
    prepareRootfs: volumes.populate,
    stdin: { open: rec.config.OpenStdin === true, once: rec.config.StdinOnce === true },
  };
}

/** Whether a run can be prepared at create: a `container:` namespace needs its owner running at start. */
function preparable(core: EngineCore, rec: ContainerRecord): boolean {
  const hc = rec.hostConfig;
  return core.prepareAhead && !core.closed && networkChoice(hc.NetworkMode).kind !== 'container' && ![hc.IpcMode, hc.PidMode, hc.UTSMode].some((m) => m?.startsWith('container:'));
}

/** Queues the preparation of a new container's run, right after its create, in its queue. */
export function prepareAfterCreate(core: EngineCore, live: LiveContainer): void {
  if (preparable(core, live.rec)) void core.serial(live, () => prepareRun(core, live));
}

/**
 * Does a start's work ahead of it (runs in the container's queue, right after create): the run is
 * created under a monitor that waits for the start. A failure here is not the caller's: the
 * start does everything afresh and reports what goes wrong then.
 */
async function prepareRun(core: EngineCore, live: LiveContainer): Promise<void> {
  const rec = live.rec;
  if (live.prepared || live.removing || rec.state.Running || !preparable(core, rec) || !core.containers.has(rec.id)) return;
  await core.prepareQueue.add(
    async () => {
      if (live.removing || !core.containers.has(rec.id) || core.closed) return;
      try {
        const started = await core.runner.create(await runRequest(core, live), { prepare: true, prepareTimeoutMs: core.prepareAheadMs + 60_000 });
        const expiry = setTimeout(() => void core.serial(live, () => discardPrepared(core, live)).catch(() => undefined), core.prepareAheadMs);
        expiry.unref();
        live.prepared = { pid: started.pid, monitorPid: started.monitorPid, expiry };
      } catch (e) {
        core.logger.info('preparing a run ahead of its start failed; the start will do it', { id: rec.id, error: String(e) });
        await cleanupRun(core, rec.id).catch(() => undefined);
      }
    },
    { id: rec.id },
  );
}

/** A start waits for its preparation: that one goes first among those not yet begun. */
export function hurryPreparation(core: EngineCore, live: LiveContainer): void {
  // (setPriority throws when it is not waiting: running already, done, or never queued.)
  try {
    core.prepareQueue.setPriority(live.rec.id, 1);
  } catch {
    // nothing waiting to hurry
  }
}

/** The prepared run, no longer the container's (its expiry cancelled), if it had one. */
function takePrepared(live: LiveContainer): LiveContainer['prepared'] {
  const prepared = live.prepared;
  live.prepared = undefined;
  if (prepared) clearTimeout(prepared.expiry);
  return prepared;
}

/** Undoes the prepared runs of stopped containers with an endpoint on a network about to be removed. */
export async function releasePreparedOn(core: EngineCore, networkId: string): Promise<void> {
  const holders = [...core.containers.values()].filter((l) => !l.rec.state.Running && l.rec.endpoints?.[networkId] !== undefined);
  await Promise.all(holders.map((l) => core.serial(l, () => discardPrepared(core, l)).catch((e: unknown) => core.logger.error('undoing a prepared run failed', { id: l.rec.id, error: String(e) }))));
}

/** Undoes a prepared run (the monitor sees its init go and ends). Call from the container's queue. */
export async function discardPrepared(core: EngineCore, live: LiveContainer): Promise<void> {
  if (takePrepared(live)) await cleanupRun(core, live.rec.id);
}

/** Starts the prepared run, if there is one; undefined (with the preparation undone) otherwise. */
async function startPreparedRun(core: EngineCore, live: LiveContainer): Promise<{ pid: number; monitorPid: number } | undefined> {
  const prepared = takePrepared(live);
  if (!prepared) return undefined;
  const id = live.rec.id;
  // Ports are bound before the process runs: a taken port fails the start (the error path undoes the run).
  try {
    live.rec.ports = await publishPorts(core, live);
  } catch (e) {
    await cleanupRun(core, id).catch(() => undefined);
    throw e;
  }
  try {
    await core.runner.startPrepared(id);
    return { pid: prepared.pid, monitorPid: prepared.monitorPid };
  } catch (e) {
    // The monitor gave up or the run was deleted under it: start afresh.
    core.logger.info('the prepared run could not be started; starting afresh', { id, error: String(e) });
    await core.net.ports.unpublish(id);
    await cleanupRun(core, id);
    return undefined;
  }
}

/** Starts a run (the prepared one if any) and records it. Call from the container's queue. */
export async function startRun(core: EngineCore, live: LiveContainer): Promise<void> {
  const rec = live.rec;
  const id = rec.id;
  let started = await startPreparedRun(core, live);
  if (!started) {
    const request = await runRequest(core, live);
    // Ports are bound before the container exists: a taken port fails the start with nothing to undo.
    rec.ports = await publishPorts(core, live);
    try {
      started = await core.runner.create(request);
    } catch (e) {
      await core.net.ports.unpublish(id);
      throw e;
    }
  }
  for (const input of live.pendingStdin.splice(0)) connectStdin(core, live, input);
  rec.state = {
    ...rec.state,
    Status: 'running',
    Running: true,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: started.pid,
    ExitCode: 0,
    Error: '',
    StartedAt: iso(core.clock.now()),
  };
  if (rec.state.Health) rec.state.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
  rec.monitorPid = started.monitorPid;
  rec.hasBeenStarted = true;
  rec.manuallyStopped = false;
  onStarted(core, live);
  await core.persist(live);
  // As dockerd: a container joins its networks when it starts (and leaves them when it exits, exits.ts).
  networkEvents(core, rec, 'connect');
  core.emit(live, 'start');
  await core.net.refreshHosts(core.attachedView(live));
  core.logger.info('container started', { id, pid: started.pid });
}

/** `network connect` / `disconnect` events for each network the container has an endpoint on. */
export function networkEvents(core: EngineCore, rec: ContainerRecord, action: 'connect' | 'disconnect'): void {
  for (const netId of Object.keys(rec.endpoints ?? {})) {
    const n = core.net.get(netId);
    if (n) core.net.event(n, action, rec.id);
  }
}

/** Relays a client's input to the running container's stdin through its monitor. */
export function connectStdin(core: EngineCore, live: LiveContainer, input: Readable): void {
  attachStdin(core.paths(live.rec.id).ioSocket, input).catch((e: unknown) => {
    core.logger.error('attaching stdin failed', { id: live.rec.id, error: String(e) });
    input.resume();
  });
}

// `docker create`: validates the request the way dockerd does (so errors come at create, not at
// start), resolves the image, plans networks, volumes and the container's names, persists the
// record and queues the preparation of its run.

import { randomBytes } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import {
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  toEngineError,
  type ContainerConfig,
  type ContainerCreateOptions,
  type ContainerCreateRequest,
  type ContainerCreateResponse,
  type EndpointSettings,
} from '../backend.js';
import { configWithDefaults, hostConfigWithDefaults } from '../container/defaults.js';
import { checkLogConfig } from '../container/log-config.js';
import { checkHostOptions, checkResources } from '../container/resource-checks.js';
import type { ContainerRecord } from '../container/record.js';
import { ImageError } from '../images/errors.js';
import type { NetworkManager } from '../networks/manager.js';
import { checkDeviceMappings } from '../runtime/devices.js';
import { PortError, planPortRequests } from '../networks/ports.js';
import { buildContainerSpec } from '../runtime/container-spec.js';
import { commandOf, mergeImageConfig, networkChoice, parseExtraHosts, planMounts, restartPolicyOf, TranslateError } from '../runtime/translate.js';
import type { ContainerMount } from '../volumes/service.js';
import { iso, ZERO_TIME, type EngineCore } from './core.js';
import { prepareAfterCreate } from './run.js';

export const NAME_PATTERN = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'proud', 'quiet', 'sharp', 'tender', 'vivid', 'witty', 'zen'];
const NOUNS = ['albatross', 'beacon', 'capstan', 'dinghy', 'estuary', 'ferry', 'galley', 'harbor', 'island', 'jetty', 'keel', 'lighthouse', 'mooring', 'narwhal', 'oar', 'pier', 'quay', 'rudder', 'schooner', 'tide'];

export function randomId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker never hands out an id whose short form is all digits (it would read as a number).
    if (!/^\d{12}/.test(id)) return id;
  }
}

/** dockerd's answer when a name is taken. */
export function nameConflict(name: string, holderId: string): ConflictError {
  return new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${holderId}". You have to remove (or rename) that container to be able to reuse that name.`);
}

export async function createContainer(core: EngineCore, request: ContainerCreateRequest, options: ContainerCreateOptions): Promise<ContainerCreateResponse> {
  // moby's words for a body without an image (an empty `{}` or one with other fields only).
  if (!request.Image) throw new InvalidArgumentError('Config cannot be empty in order to create a container');
  const hostConfig = request.HostConfig ?? {};
  const warnings: string[] = [];
  let name = options.name ?? '';
  if (name !== '' && !NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  name = name.replace(/^\//, '');
  let imageId: string;
  let imageConfig: ContainerConfig | undefined;
  try {
    const found = await core.store.config(request.Image);
    imageId = found.id;
    imageConfig = found.config.config;
  } catch (e) {
    if (e instanceof ImageError && e.kind === 'not-found') throw new NotFoundError(`No such image: ${request.Image}`);
    throw toEngineError(e);
  }
  const checked = checkResources(hostConfig, core.hostFacts);
  const refused = [...checked.problems, ...checkHostOptions(hostConfig)];
  if (refused.length > 0) throw new InvalidArgumentError(refused.join('; '));
  warnings.push(...checked.warnings);
  try {
    restartPolicyOf(hostConfig);
    planMounts(hostConfig);
    // host-gateway is resolved at start, from the network the container is then on.
    parseExtraHosts(hostConfig.ExtraHosts ?? [], networkChoice(hostConfig.NetworkMode).kind === 'network' ? '0.0.0.0' : undefined);
    checkLogConfig(hostConfig.LogConfig?.Type, hostConfig.LogConfig?.Config ?? {});
  } catch (e) {
    throw toEngineError(e);
  }
  let choice: ReturnType<typeof networkChoice>;
  try {
    choice = networkChoice(hostConfig.NetworkMode);
    planPortRequests(hostConfig.PortBindings, hostConfig.PublishAllPorts === true, { ...(request.ExposedPorts ?? {}) });
  } catch (e) {
    if (e instanceof PortError) throw new InvalidArgumentError(e.message, { cause: e });
    throw toEngineError(e);
  }
  const publishes = Object.keys(hostConfig.PortBindings ?? {}).length > 0 || hostConfig.PublishAllPorts === true;
  if (choice.kind === 'container') {
    core.find(choice.ref);
    if (publishes) throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
  }
  if (choice.kind === 'host' && publishes) warnings.push('Published ports are discarded when using host network mode');
  // NetworkDisabled: no network at all, which is what NetworkMode none gives.
  if (request.NetworkDisabled && choice.kind === 'network') {
    if (hostConfig.NetworkMode && !['default', 'bridge'].includes(hostConfig.NetworkMode)) throw new InvalidArgumentError(`conflicting options: NetworkDisabled and the network ${hostConfig.NetworkMode}`);
    hostConfig.NetworkMode = 'none';
    choice = networkChoice('none');
  }
  const wantedNetworks = networksToJoin(core.net, choice, request);
  if (hostConfig.Init && !core.initBinary) warnings.push('Init requested but no init binary (docker-init, tini, catatonit) is installed: running without one');
  const endpointProblems = checkEndpointConfigs(request);
  if (endpointProblems.length > 0) throw new InvalidArgumentError(endpointProblems.join('; '));
  // Per-network links (the CLI copies --link into them on a user network) are links like HostConfig.Links.
  const endpointLinks = Object.values(request.NetworkingConfig?.EndpointsConfig ?? {}).flatMap((c) => c?.Links ?? []);
  if (endpointLinks.length > 0) hostConfig.Links = [...new Set([...(hostConfig.Links ?? []), ...endpointLinks])];
  const { HostConfig: _h, NetworkingConfig: _n, ...userConfig } = request;
  const id = randomId();
  const config = mergeImageConfig(userConfig, imageConfig);
  // In the host's network or UTS namespace a container is named like the host, as dockerd does.
  if (hostConfig.UTSMode === 'host' && config.Hostname) throw new InvalidArgumentError('Conflicting options: hostname and the UTS mode');
  if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' || hostConfig.UTSMode === 'host' ? os.hostname() : id.slice(0, 12);
  if (commandOf(config).length === 0) throw new InvalidArgumentError('No command specified');
  // Validate the runtime translation now (caps, working dir, security options), so errors come at
  // create like dockerd's; what dockerd refuses only at start (an IPC mode) waits for the start.
  try {
    buildContainerSpec({ config, hostConfig, user: { uid: 0, gid: 0 }, mounts: [], containerPid: () => 1, phase: 'create' });
    const deviceProblems = checkDeviceMappings(hostConfig.Devices ?? []);
    if (deviceProblems.length > 0) throw new TranslateError(deviceProblems);
    await checkWorkingDir(core, imageId, config.WorkingDir);
  } catch (e) {
    throw toEngineError(e);
  }
  if (name === '') {
    do name = `${ADJECTIVES[randomBytes(1)[0] % ADJECTIVES.length]}_${NOUNS[randomBytes(1)[0] % NOUNS.length]}${randomBytes(1)[0] % 10}`;
    while (core.containers.named(name));
  }
  const holder = core.containers.named(name);
  if (holder) throw nameConflict(name, holder.rec.id);
  let mounts: ContainerMount[];
  try {
    mounts = await core.vols.planContainerMounts({
      planned: planMounts(hostConfig),
      configVolumes: Object.keys(config.Volumes ?? {}),
      volumesFrom: core.volumesFromSources(hostConfig.VolumesFrom ?? []),
    });
  } catch (e) {
    throw toEngineError(e);
  }
  const rec: ContainerRecord = {
    id,
    name,
    created: iso(core.clock.now()),
    image: imageId,
    imageRef: request.Image,
    config: configWithDefaults(config),
    hostConfig: hostConfigWithDefaults({ ...hostConfig, NetworkMode: hostConfig.NetworkMode || 'bridge', LogConfig: { Type: hostConfig.LogConfig?.Type || 'json-file', Config: hostConfig.LogConfig?.Config ?? {} } }, { cgroupV1: core.cgroupV1 }),
    state: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
    monitorPid: 0,
    restartCount: 0,
    manuallyStopped: false,
    hasBeenStarted: false,
    warnings,
    mounts,
  };
  // In the table before addresses are planned: allocation reads the table, so two creates never get one address.
  const live = core.containers.add(rec);
  try {
    if (wantedNetworks.length > 0) rec.endpoints = {};
    for (const w of wantedNetworks) {
      const ep = await core.net.planEndpoint(core.attachedView(live), w.net, w.cfg);
      rec.endpoints = { ...rec.endpoints, [w.net.id]: ep };
    }
    await core.persist(live);
  } catch (e) {
    core.containers.delete(id);
    throw toEngineError(e);
  }
  core.emit(live, 'create');
  core.logger.info('container created', { id, name });
  // The start's work begins now, in the container's queue: a start (or remove) waits for it there.
  prepareAfterCreate(core, live);
  return { Id: id, Warnings: warnings };
}

type Network = NonNullable<ReturnType<NetworkManager['tryFind']>>;

/**
 * EndpointSettings the engine cannot honour are refused by name (no IPv6, no link-local
 * addresses, no driver options on its bridges); the fields inspect reports (NetworkID,
 * IPAddress, Gateway…) are outputs that dockerd ignores on input too.
 */
function checkEndpointConfigs(request: ContainerCreateRequest): string[] {
  return Object.entries(request.NetworkingConfig?.EndpointsConfig ?? {}).flatMap(([name, cfg]) => (cfg ? endpointProblems(`EndpointsConfig.${name}`, cfg) : []));
}

/** The problems of one endpoint's settings (create's EndpointsConfig, connect's EndpointConfig). */
export function endpointProblems(at: string, cfg: EndpointSettings): string[] {
  const problems: string[] = [];
  if (cfg.IPAMConfig?.IPv6Address) problems.push(`${at}.IPAMConfig.IPv6Address: IPv6 is not supported by the built-in engine`);
  if (cfg.IPAMConfig?.LinkLocalIPs && cfg.IPAMConfig.LinkLocalIPs.length > 0) problems.push(`${at}.IPAMConfig.LinkLocalIPs: link-local addresses are not supported by the built-in engine`);
  if (cfg.DriverOpts && Object.keys(cfg.DriverOpts).length > 0) problems.push(`${at}.DriverOpts: the built-in engine's bridge driver takes no endpoint options`);
  return problems;
}

/**
 * dockerd makes the working directory at create and refuses a path that is a file in the image
 * ("Cannot mkdir: … is not a directory"). Looked up in the image's layers, top first.
 */
async function checkWorkingDir(core: EngineCore, imageId: string, wd: string | undefined): Promise<void> {
  if (!wd || !wd.startsWith('/') || wd === '/') return;
  const layers = await core.store.lowerDirs(imageId).catch(() => [] as string[]);
  for (const layer of layers) {
    const st = await lstat(path.join(layer, wd)).catch(() => undefined);
    if (!st) continue;
    if (!st.isDirectory() && !st.isSymbolicLink()) throw new InvalidArgumentError(`Cannot mkdir: ${wd} is not a directory`);
    return;
  }
}

/** The bridge networks a container joins at create: its NetworkMode's, then every one its EndpointsConfig names. */
function networksToJoin(net: NetworkManager, choice: ReturnType<typeof networkChoice>, request: ContainerCreateRequest): { net: Network; cfg: EndpointSettings }[] {
  if (choice.kind !== 'network') return [];
  const wanted: { net: Network; cfg: EndpointSettings }[] = [];
  const primary = net.tryFind(choice.network);
  // As dockerd: a missing network is the start's error ("network X not found"), not a 404 at create,
  // which the CLI would take for a missing image (and try to pull it).
  if (!primary) return [];
  if (primary.driver !== 'bridge') throw new InvalidArgumentError(`network ${primary.name} (driver ${primary.driver}) is only usable as NetworkMode ${primary.driver === 'null' ? 'none' : 'host'}`);
  const configs = request.NetworkingConfig?.EndpointsConfig ?? {};
  const cfgOf = (n: { id: string; name: string }): EndpointSettings => configs[n.name] ?? configs[n.id] ?? (n.name === 'bridge' ? configs.default ?? configs[choice.network] : configs[choice.network]) ?? {};
  // The container-wide (deprecated) Config.MacAddress is its primary endpoint's, as with dockerd.
  const primaryCfg = cfgOf(primary);
  wanted.push({ net: primary, cfg: request.MacAddress && !primaryCfg.MacAddress ? { ...primaryCfg, MacAddress: request.MacAddress } : primaryCfg });
  for (const key of Object.keys(configs)) {
    const n = net.tryFind(key === 'default' ? 'bridge' : key);
    if (!n) throw new NotFoundError(`network ${key} not found`);
    if (wanted.some((w) => w.net.id === n.id)) continue;
    if (n.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to network ${n.name} (driver ${n.driver}) besides ${primary.name}`);
    wanted.push({ net: n, cfg: cfgOf(n) });
  }
  return wanted;
}

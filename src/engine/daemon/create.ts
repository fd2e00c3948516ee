// `docker create`: validates the request the way dockerd does (so errors come at create, not at
// start), resolves the image, plans networks, volumes and the container's names, persists the
// record and queues the preparation of its run.

import { randomBytes } from 'node:crypto';
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
import type { ContainerRecord } from '../container/record.js';
import { ImageError } from '../images/errors.js';
import type { NetworkManager } from '../networks/manager.js';
import { PortError, planPortRequests } from '../networks/ports.js';
import { buildContainerSpec, commandOf, mergeImageConfig, networkChoice, parseExtraHosts, planMounts, restartPolicyOf, TranslateError } from '../runtime/translate.js';
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
  if (!request.Image) throw new InvalidArgumentError('config.Image must be set');
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
  try {
    restartPolicyOf(hostConfig);
    planMounts(hostConfig);
    // host-gateway is resolved at start, from the network the container is then on.
    parseExtraHosts(hostConfig.ExtraHosts ?? [], networkChoice(hostConfig.NetworkMode).kind === 'network' ? '0.0.0.0' : undefined);
    const lt = hostConfig.LogConfig?.Type ?? '';
    if (lt !== '' && lt !== 'json-file') throw new TranslateError([`logging driver "${lt}" is not supported by the built-in engine (json-file only)`], true);
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
  const wantedNetworks = networksToJoin(core.net, choice, request);
  if (hostConfig.Init && !core.initBinary) warnings.push('Init requested but no init binary (docker-init, tini, catatonit) is installed: running without one');
  const { HostConfig: _h, NetworkingConfig: _n, ...userConfig } = request;
  const id = randomId();
  const config = mergeImageConfig(userConfig, imageConfig);
  // With the host's network a container is named like the host, as dockerd does.
  if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? os.hostname() : id.slice(0, 12);
  if (commandOf(config).length === 0) throw new InvalidArgumentError('No command specified');
  // Validate the runtime translation now (namespaces, caps), so errors come at create like dockerd's.
  try {
    buildContainerSpec({ config, hostConfig, user: { uid: 0, gid: 0 }, mounts: [], containerPid: () => 1 });
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
    config,
    hostConfig: { ...hostConfig, NetworkMode: hostConfig.NetworkMode || 'bridge', LogConfig: { Type: 'json-file', Config: hostConfig.LogConfig?.Config ?? {} } },
    state: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
    monitorPid: 0,
    restartCount: 0,
    manuallyStopped: false,
    hasBeenStarted: false,
    warnings,
    mounts,
  };
  if (request.Healthcheck || config.Healthcheck) {
    const test = config.Healthcheck?.Test ?? [];
    if (test.length > 0 && test[0] !== 'NONE') rec.state.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
  }
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
  for (const w of wantedNetworks) core.net.event(w.net, 'connect', id);
  core.logger.info('container created', { id, name });
  // The start's work begins now, in the container's queue: a start (or remove) waits for it there.
  prepareAfterCreate(core, live);
  return { Id: id, Warnings: warnings };
}

type Network = NonNullable<ReturnType<NetworkManager['tryFind']>>;

/** The bridge networks a container joins at create: its NetworkMode's, then every one its EndpointsConfig names. */
function networksToJoin(net: NetworkManager, choice: ReturnType<typeof networkChoice>, request: ContainerCreateRequest): { net: Network; cfg: EndpointSettings }[] {
  if (choice.kind !== 'network') return [];
  const wanted: { net: Network; cfg: EndpointSettings }[] = [];
  const primary = net.tryFind(choice.network);
  if (!primary) throw new NotFoundError(`network ${choice.network} not found`);
  if (primary.driver !== 'bridge') throw new InvalidArgumentError(`network ${primary.name} (driver ${primary.driver}) is only usable as NetworkMode ${primary.driver === 'null' ? 'none' : 'host'}`);
  const configs = request.NetworkingConfig?.EndpointsConfig ?? {};
  const cfgOf = (n: { id: string; name: string }): EndpointSettings => configs[n.name] ?? configs[n.id] ?? (n.name === 'bridge' ? configs.default ?? configs[choice.network] : configs[choice.network]) ?? {};
  wanted.push({ net: primary, cfg: cfgOf(primary) });
  for (const key of Object.keys(configs)) {
    const n = net.tryFind(key === 'default' ? 'bridge' : key);
    if (!n) throw new NotFoundError(`network ${key} not found`);
    if (wanted.some((w) => w.net.id === n.id)) continue;
    if (n.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to network ${n.name} (driver ${n.driver}) besides ${primary.name}`);
    wanted.push({ net: n, cfg: cfgOf(n) });
  }
  return wanted;
}

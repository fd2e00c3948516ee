// Which Swarm manager berth deploys services to, and what that Swarm can do. The target is asked
// for, never guessed: `--engine swarm` (or BERTH_ENGINE=swarm), or `--swarm-mode services` on a
// Docker host. The endpoint is DOCKER_HOST, else /var/run/docker.sock, and it must be a manager
// (`/info` → Swarm.ControlAvailable), or the command stops and says how to get one.
//
// VIP load balancing and the ingress routing mesh need IPVS in the nodes' kernels, and a manager
// cannot say whether it has it: Swarm accepts a VIP service and runs its tasks, only the virtual
// IP leads nowhere. So: BERTH_SWARM_VIP=1|0 says it; otherwise a manager on a local unix socket
// shares this machine's kernel, which is asked (/proc/net/ip_vs, a loaded or installable ip_vs
// module); a remote manager is assumed to have it, as production kernels do.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { BerthError, UsageError } from '../errors.js';
import { dockerHostOptions } from './docker-port.js';
import { EnginePortError } from './engine-port.js';
import { SwarmDockerPort } from './swarm-docker-port.js';
import type { SwarmInfo } from './swarm-api.js';
import type { SwarmPort } from './swarm-port.js';

const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export type SwarmMode = 'services' | 'containers';

export interface SwarmTarget {
  port: SwarmPort;
  /** The DOCKER_HOST value berth talks to. */
  dockerHost: string;
  description: string;
  /** Whether services get a virtual IP (and ingress ports), or dnsrr and host-mode ports. */
  vip: boolean;
  /** Where `vip` came from, for the notice. */
  vipSource: string;
  info: SwarmInfo;
}

export class NotAManagerError extends BerthError {}

/**
 * Whether a command deploys to Swarm services: `--engine swarm`/BERTH_ENGINE=swarm, or
 * `--swarm-mode services`/BERTH_SWARM_MODE=services. The default on a Docker host that is a
 * manager is containers, as `docker compose` makes there. Contradictions are usage errors.
 */
export function swarmRequested(engine: string | undefined, swarmMode: string | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  const kind = engine ?? env.BERTH_ENGINE;
  const modeFlag = swarmMode !== undefined ? '--swarm-mode' : 'BERTH_SWARM_MODE';
  const mode = swarmMode ?? (env.BERTH_SWARM_MODE || undefined);
  if (mode !== undefined && mode !== 'services' && mode !== 'containers') throw new UsageError(`${modeFlag} ${mode}: services or containers`);
  if (kind === 'swarm') {
    if (mode === 'containers') throw new UsageError(`--engine swarm deploys services; ${modeFlag} containers contradicts it (drop one)`);
    return true;
  }
  if (mode === 'services') {
    if (kind === 'builtin') throw new UsageError(`${modeFlag} services needs a Swarm manager; the built-in engine has no Swarm mode (use --engine swarm or --engine docker)`);
    return true;
  }
  return false;
}

/** The manager's endpoint, without connecting (for `config`, which reads no engine). */
export function swarmDockerHost(env: Readonly<Record<string, string | undefined>>): string {
  return env.DOCKER_HOST || `unix://${DEFAULT_DOCKER_SOCKET}`;
}

export async function selectSwarm(env: Readonly<Record<string, string | undefined>>): Promise<SwarmTarget> {
  const dockerHost = swarmDockerHost(env);
  const options = dockerHostOptions(dockerHost, env);
  const endpoint = options.socketPath ? { socketPath: options.socketPath } : { host: options.host, port: options.port, ...(options.tls ? { tls: options.tls } : {}) };
  const description = `Swarm manager at ${dockerHost}`;
  const port = new SwarmDockerPort(endpoint, description);
  let info: SwarmInfo;
  try {
    info = await port.swarmInfo();
  } catch (e) {
    const why = e instanceof EnginePortError ? e.engineMessage : (e as Error).message;
    throw new NotAManagerError(`cannot reach a Docker Engine at ${dockerHost} (${why}); point DOCKER_HOST at a Swarm manager (\`berth swarm-lab up\` prints one)`);
  }
  if (!info.ControlAvailable) {
    const state = info.LocalNodeState === 'active' ? 'a worker' : `not in a Swarm (${info.LocalNodeState || 'inactive'})`;
    throw new NotAManagerError(`the Docker Engine at ${dockerHost} is ${state}, not a Swarm manager; point DOCKER_HOST at a manager, or run \`docker swarm init\` there`);
  }
  const vip = vipSupport(env, dockerHost);
  return { port, dockerHost, description, info, ...vip };
}

export function vipSupport(env: Readonly<Record<string, string | undefined>>, dockerHost: string): { vip: boolean; vipSource: string } {
  const set = env.BERTH_SWARM_VIP;
  if (set !== undefined && set !== '') {
    if (!['0', '1', 'true', 'false'].includes(set)) throw new UsageError(`BERTH_SWARM_VIP=${set}: 1 or 0`);
    return { vip: set === '1' || set === 'true', vipSource: 'BERTH_SWARM_VIP' };
  }
  if (!dockerHost.startsWith('unix://') && !dockerHost.startsWith('/')) return { vip: true, vipSource: 'a remote manager (assumed; BERTH_SWARM_VIP=0 says otherwise)' };
  return { vip: localKernelHasIpvs(), vipSource: 'this machine\'s kernel' };
}

/** IPVS here: in use, loaded, built in, or installed as a module that dockerd may load. */
export function localKernelHasIpvs(): boolean {
  if (existsSync('/proc/net/ip_vs') || existsSync('/sys/module/ip_vs')) return true;
  try {
    return /\/ip_vs\.ko/.test(readFileSync(`/lib/modules/${release()}/modules.dep`, 'utf8'));
  } catch {
    return false;
  }
}

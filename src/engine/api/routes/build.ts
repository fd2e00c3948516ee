// /build, /build/prune, /session. Decodes the legacy builder's query (every parameter the docker
// CLI sends is applied, or refused when it asks for what berth's builder does not do), streams
// the backend's JSON progress. BuildKit's session API is not served: clients are told how to
// build instead.
import { registryConfigs } from './images.js';
import { InvalidArgumentError, NotImplementedError, type ImageBuildOptions } from '../../backend.js';
import type { Query } from '../query.js';
import type { Route } from '../router.js';
import { streamProgress } from './common.js';

function jsonParam<T>(query: Query, key: string, check: (v: unknown) => v is T, fallback: T): T {
  const raw = query.string(key);
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'null') return fallback;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgumentError(`invalid ${key}: ${(e as Error).message}`);
  }
  if (!check(v)) throw new InvalidArgumentError(`invalid ${key}: ${raw}`);
  return v;
}

const isStringMap = (v: unknown): v is Record<string, string | null> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isAnyList = (v: unknown): v is unknown[] => Array.isArray(v);

/** Parameters berth's builder does not offer: refused unless they have their default value. */
function refuseUnsupported(query: Query): void {
  const refuse = (what: string, hint: string): never => {
    throw new InvalidArgumentError(`${what} is not supported by the berth engine's builder (${hint})`);
  };
  const version = query.string('version');
  if ((version && version !== '1') || query.string('remote') === 'client-session') {
    throw new InvalidArgumentError('BuildKit builds are not served by the berth engine: build with DOCKER_BUILDKIT=0 docker build (the classic builder API, with heredocs and RUN --mount), or with berth build');
  }
  if (query.string('remote')) refuse('remote (a git or URL context)', 'send the context as the request body');
  if (query.bool('squash')) refuse('squash', 'leave it off');
  if (query.string('outputs')) refuse('outputs', 'the image goes to the engine');
  for (const key of ['cpushares', 'cpuperiod', 'cpuquota', 'memory', 'memswap']) {
    const n = query.int(key);
    if (n !== undefined && n !== 0 && !(key === 'memswap' && n === -1)) refuse(`${key} for RUN steps`, 'leave it unset');
  }
  for (const key of ['cpusetcpus', 'cpusetmems', 'cgroupparent']) if (query.string(key)) refuse(`${key} for RUN steps`, 'leave it unset');
  const isolation = query.string('isolation');
  if (isolation && isolation !== 'default') refuse(`isolation ${isolation}`, 'leave it unset');
  if (jsonParam(query, 'ulimits', isAnyList, []).length > 0) refuse('ulimits for RUN steps', 'leave them unset');
  if (query.string('securityopt') || query.all('securityopt').length > 0) refuse('security options for RUN steps', 'leave them unset');
}

export const buildRoutes: Route[] = [
  {
    method: 'POST',
    path: '/build',
    handler: async ({ x, query, backend }) => {
      if (!backend.build) throw new NotImplementedError('this engine has no image builder');
      refuseUnsupported(query);
      const networkMode = query.string('networkmode') || 'default';
      if (!['default', 'bridge', 'none'].includes(networkMode)) {
        throw new InvalidArgumentError(`networkmode ${networkMode} is not supported for RUN steps (default or none); RUN steps never join other networks or the host's`);
      }
      const buildArgs = Object.fromEntries(Object.entries(jsonParam(query, 'buildargs', isStringMap, {})).filter((e): e is [string, string] => e[1] !== null));
      const labels = Object.fromEntries(Object.entries(jsonParam(query, 'labels', isStringMap, {})).filter((e): e is [string, string] => e[1] !== null));
      const extraHosts = [...query.all('extrahosts').flatMap((h) => h.split(',')).filter((h) => h !== '')];
      const shm = query.int('shmsize');
      const options: ImageBuildOptions = {
        context: x.body(),
        dockerfile: query.string('dockerfile') || 'Dockerfile',
        tags: query.all('t').filter((t) => t !== ''),
        buildArgs,
        ...(query.string('target') ? { target: query.string('target') } : {}),
        labels,
        noCache: query.bool('nocache'),
        pull: query.bool('pull'),
        quiet: query.bool('q'),
        ...(query.string('platform') ? { platform: query.string('platform') } : {}),
        network: networkMode === 'none' ? 'none' : 'default',
        extraHosts,
        ...(shm ? { shmSize: shm } : {}),
        cacheFrom: jsonParam(query, 'cachefrom', isStringList, []),
        registryAuth: registryConfigs(x),
        signal: x.signal,
      };
      // rm / forcerm: build containers are always removed, whatever the outcome (berth keeps no intermediate containers).
      await streamProgress(x, backend.build.build(options));
    },
  },
  {
    method: 'POST',
    path: '/build/prune',
    handler: async ({ x, query, backend }) => {
      if (!backend.build) throw new NotImplementedError('this engine has no image builder');
      const keep = query.int('keep-storage') ?? query.int('reserved-space');
      x.reply(200, await backend.build.prune({ all: query.bool('all'), ...(keep ? { keepStorage: keep } : {}), filters: query.filters() }));
    },
  },
  {
    method: 'POST',
    path: '/session',
    handler: async () => {
      throw new NotImplementedError('the berth engine does not serve BuildKit sessions: build with DOCKER_BUILDKIT=0 docker build (the classic builder API), or with berth build');
    },
  },
];

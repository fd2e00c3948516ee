// Docker Engine API endpoints the built-in engine does not serve. Each answers 501 with what is
// missing, so a client learns that the engine lacks a feature rather than that it mistyped a
// path; a path that is not Docker's at all still gets moby's 404 "page not found". Matched after
// every real route.
import { NotImplementedError } from '../../backend.js';
import type { Method, Route } from '../router.js';

const ALL: Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

/** [methods, path, what is missing]. */
const MISSING: [Method[], string, string][] = [
  [['GET'], '/images/search', 'searching a registry (docker search) is not implemented by the berth engine'],
  [['GET'], '/containers/{id}/attach/ws', 'attaching over a websocket is not implemented by the berth engine; use POST /containers/{id}/attach'],
  [['POST'], '/containers/prune', 'pruning containers is not implemented by the berth engine; remove them with docker rm'],
  [['PUT'], '/volumes/{name}', 'updating a volume applies to cluster volumes, which the berth engine does not have'],
  [ALL, '/swarm', 'swarm mode is not offered by the berth engine (berth swarm-lab runs a local Swarm on dockerd)'],
  [ALL, '/swarm/{rest*}', 'swarm mode is not offered by the berth engine'],
  [ALL, '/nodes', 'swarm nodes: swarm mode is not offered by the berth engine'],
  [ALL, '/nodes/{rest*}', 'swarm nodes: swarm mode is not offered by the berth engine'],
  [ALL, '/services', 'swarm services: swarm mode is not offered by the berth engine'],
  [ALL, '/services/{rest*}', 'swarm services: swarm mode is not offered by the berth engine'],
  [ALL, '/tasks', 'swarm tasks: swarm mode is not offered by the berth engine'],
  [ALL, '/tasks/{rest*}', 'swarm tasks: swarm mode is not offered by the berth engine'],
  [ALL, '/secrets', 'swarm secrets: swarm mode is not offered by the berth engine'],
  [ALL, '/secrets/{rest*}', 'swarm secrets: swarm mode is not offered by the berth engine'],
  [ALL, '/configs', 'swarm configs: swarm mode is not offered by the berth engine'],
  [ALL, '/configs/{rest*}', 'swarm configs: swarm mode is not offered by the berth engine'],
  [ALL, '/plugins', 'plugins are not supported by the berth engine'],
  [ALL, '/plugins/{rest*}', 'plugins are not supported by the berth engine'],
];

export const unimplementedRoutes: Route[] = MISSING.flatMap(([methods, path, what]) =>
  methods.map(
    (method): Route => ({
      method,
      path,
      handler: async ({ x }) => {
        throw new NotImplementedError(`${what} (${x.method} ${path.replace('/{rest*}', '/…')})`);
      },
    }),
  ),
);

// /_ping, /version, /info, /events, /auth (docker login), /system/df. The ping's headers are how clients negotiate: `docker`
// reads Api-Version and downgrades to it.

import { InvalidArgumentError, type AuthConfig } from '../../backend.js';
import type { Route } from '../router.js';
import { readJson } from './common.js';
import { formatRfc3339Nano } from '../streams.js';
import { MAX_API_VERSION, MIN_API_VERSION } from '../versions.js';

function ping(method: 'GET' | 'HEAD'): Route {
  return {
    method,
    path: '/_ping',
    handler: async ({ x, backend }) => {
      x.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
      x.setHeader('Pragma', 'no-cache');
      x.setHeader('Docker-Experimental', String(backend.system.experimental()));
      // "1": the classic builder protocol; berth's engine does not speak BuildKit's session API.
      x.setHeader('Builder-Version', '1');
      x.setHeader('Swarm', 'inactive');
      await backend.system.ping();
      x.replyText(200, 'text/plain; charset=utf-8', 'OK', method === 'HEAD');
    },
  };
}

export const systemRoutes: Route[] = [
  ping('GET'),
  ping('HEAD'),
  {
    method: 'GET',
    path: '/version',
    handler: async ({ x, backend }) => {
      const version = await backend.system.version();
      const apiVersions = { ApiVersion: MAX_API_VERSION, MinAPIVersion: MIN_API_VERSION };
      // `docker version` prints the Engine component's Details, which moby fills from the top level.
      const engineDetails: Record<string, string> = {
        ...apiVersions,
        GitCommit: version.GitCommit,
        GoVersion: version.GoVersion,
        Os: version.Os,
        Arch: version.Arch,
        KernelVersion: version.KernelVersion,
        BuildTime: version.BuildTime,
        Experimental: String(version.Experimental ?? false),
      };
      const Components = version.Components.map((c) =>
        c.Name === 'Engine' ? { ...c, Details: { ...engineDetails, ...c.Details, ...apiVersions } } : c,
      );
      x.reply(200, { ...version, ...apiVersions, Components });
    },
  },
  {
    method: 'GET',
    path: '/info',
    handler: async ({ x, backend }) => {
      // berth has no swarm mode; without this `docker info` prints an empty, half-formed Swarm section.
      const noSwarm = { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null };
      x.reply(200, { Swarm: noSwarm, ...(await backend.system.info()) });
    },
  },
  {
    method: 'POST',
    path: '/auth',
    handler: async ({ x, backend }) => {
      const auth = await readJson<AuthConfig>(x);
      if (!auth || typeof auth !== 'object') throw new InvalidArgumentError('the body must be an AuthConfig (username, password, serveraddress)');
      x.reply(200, await backend.system.auth(auth));
    },
  },
  {
    method: 'GET',
    path: '/system/df',
    handler: async ({ x, query, backend }) => {
      x.reply(200, await backend.system.dataUsage(query.all('type')));
    },
  },
  {
    method: 'GET',
    path: '/events',
    handler: async ({ x, query, backend }) => {
      const since = query.time('since');
      const until = query.time('until');
      if (since && until && since.getTime() > until.getTime()) {
        throw new InvalidArgumentError(
          `\`since\` time (${formatRfc3339Nano(since)}) cannot be after \`until\` time (${formatRfc3339Nano(until)})`,
        );
      }
      const events = backend.system.events({ filters: query.filters(), since, until, signal: x.signal });
      // Headers first: a client waiting for live events must see the 200 before any event.
      const out = x.stream(200, 'application/json');
      try {
        for await (const event of events) {
          if (!(await out.write(`${JSON.stringify(event)}\n`))) break;
        }
      } finally {
        out.end();
      }
    },
  },
];

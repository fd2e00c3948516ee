// /volumes…: moby's volume routes (api/server/router/volume). Create answers 201 with the volume,
// delete 204, prune 200 with what went; filters arrive parsed.

import { InvalidArgumentError, type VolumeCreateRequest } from '../../backend.js';
import type { Route } from '../router.js';
import { versionAtLeast } from '../versions.js';
import { readJson } from './common.js';

export const volumeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/volumes',
    handler: async ({ x, query, backend }) => {
      x.reply(200, await backend.volumes.list(query.filters()));
    },
  },
  {
    method: 'POST',
    path: '/volumes/create',
    handler: async ({ x, backend }) => {
      const body = (await readJson<VolumeCreateRequest>(x)) ?? {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('invalid volume create request: expected a JSON object');
      x.reply(201, await backend.volumes.create(body));
    },
  },
  {
    method: 'POST',
    path: '/volumes/prune',
    handler: async ({ x, query, version, backend }) => {
      // API 1.42 changed prune to anonymous volumes only unless `all=true` is given.
      x.reply(200, await backend.volumes.prune(query.filters(), { allByDefault: !versionAtLeast(version, '1.42') }));
    },
  },
  {
    method: 'GET',
    path: '/volumes/{name}',
    handler: async ({ x, params, backend }) => {
      x.reply(200, await backend.volumes.inspect(params.name));
    },
  },
  {
    method: 'DELETE',
    path: '/volumes/{name}',
    handler: async ({ x, params, query, backend }) => {
      await backend.volumes.remove(params.name, { force: query.bool('force') });
      x.reply(204);
    },
  },
];

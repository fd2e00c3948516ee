// /networks/…: list (filters name, id, label, driver, type, scope, dangling), inspect, create,
// remove, connect, disconnect, prune, as moby's swagger describes them.

import { InvalidArgumentError, type NetworkConnectRequest, type NetworkCreateRequest, type NetworkDisconnectRequest } from '../../backend.js';
import { checkBody, NETWORK_CONNECT_BODY, NETWORK_CREATE_BODY, NETWORK_DISCONNECT_BODY } from '../body-schema.js';
import type { Route } from '../router.js';
import { readJson } from './common.js';

export const networkRoutes: Route[] = [
  {
    method: 'GET',
    path: '/networks',
    handler: async ({ x, query, backend }) => {
      x.reply(200, await backend.networks.list(query.filters()));
    },
  },
  {
    method: 'GET',
    path: '/networks/json',
    handler: async ({ x, query, backend }) => {
      x.reply(200, await backend.networks.list(query.filters()));
    },
  },
  {
    method: 'POST',
    path: '/networks/create',
    handler: async ({ x, backend }) => {
      const body = await readJson<NetworkCreateRequest>(x);
      if (!body || typeof body !== 'object') throw new InvalidArgumentError('network create needs a JSON body with Name');
      checkBody(body, NETWORK_CREATE_BODY, 'types.NetworkCreateRequest');
      x.reply(201, await backend.networks.create(body));
    },
  },
  {
    method: 'POST',
    path: '/networks/prune',
    handler: async ({ x, query, backend }) => {
      x.reply(200, await backend.networks.prune(query.filters()));
    },
  },
  {
    method: 'GET',
    path: '/networks/{id}',
    handler: async ({ x, params, backend }) => {
      x.reply(200, await backend.networks.inspect(params.id));
    },
  },
  {
    method: 'DELETE',
    path: '/networks/{id}',
    handler: async ({ x, params, backend }) => {
      await backend.networks.remove(params.id);
      x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/networks/{id}/connect',
    handler: async ({ x, params, backend }) => {
      const body = await readJson<NetworkConnectRequest>(x);
      checkBody(body, NETWORK_CONNECT_BODY, 'types.NetworkConnect');
      if (!body?.Container) throw new InvalidArgumentError('Container must be given');
      await backend.networks.connect(params.id, body);
      x.reply(200);
    },
  },
  {
    method: 'POST',
    path: '/networks/{id}/disconnect',
    handler: async ({ x, params, backend }) => {
      const body = await readJson<NetworkDisconnectRequest>(x);
      checkBody(body, NETWORK_DISCONNECT_BODY, 'types.NetworkDisconnect');
      if (!body?.Container) throw new InvalidArgumentError('Container must be given');
      await backend.networks.disconnect(params.id, body);
      x.reply(200);
    },
  },
];

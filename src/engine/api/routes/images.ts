// /images/…: list, inspect, history, pull (`fromImage`), import (`fromSrc=-`), push, load, save,
// tag, remove, prune; /distribution/{name}/json. Image names may hold slashes
// (`library/busybox:latest`), hence `{name*}`. Registry credentials come in X-Registry-Auth.

import { EngineError, InvalidArgumentError, NotFoundError, NotImplementedError, type AuthConfig } from '../../backend.js';
import type { Exchange } from '../exchange.js';
import type { Route } from '../router.js';
import { sendTar, streamProgress } from './common.js';

/**
 * X-Registry-Auth: base64 (URL-safe or not) of the AuthConfig JSON. Absent or `{}` means
 * anonymous; anything that is not such JSON is refused rather than silently ignored.
 */
export function registryAuth(x: Exchange): AuthConfig | undefined {
  const raw = x.headers['x-registry-auth'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || value.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.trim(), 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('X-Registry-Auth is not base64-encoded JSON (an AuthConfig: username, password, serveraddress…)');
  }
  if (parsed === null) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('X-Registry-Auth must encode a JSON object (an AuthConfig)');
  const auth = parsed as AuthConfig;
  return Object.values(auth).some((v) => v !== undefined && v !== '') ? auth : undefined;
}

/**
 * X-Registry-Config (POST /build): base64 JSON of registry host → AuthConfig, the credentials a
 * build may use to pull its base images. Anything else is refused, not ignored.
 */
export function registryConfigs(x: Exchange): Record<string, AuthConfig> {
  const raw = x.headers['x-registry-config'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || value.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.trim(), 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('X-Registry-Config is not base64-encoded JSON (registry host → AuthConfig)');
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    throw new InvalidArgumentError('X-Registry-Config must encode a JSON object of registry host → AuthConfig');
  }
  return parsed as Record<string, AuthConfig>;
}

export const imageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/images/json',
    handler: async ({ x, query, backend }) => {
      const filters = { ...query.filters() };
      // Clients before API 1.41 could name a reference with `?filter=`.
      const legacy = query.string('filter');
      if (legacy) filters.reference = [...new Set([...(filters.reference ?? []), legacy])].sort();
      x.reply(200, await backend.images.list({ all: query.bool('all'), digests: query.bool('digests'), filters }));
    },
  },
  {
    method: 'POST',
    path: '/images/create',
    handler: async ({ x, query, backend }) => {
      const fromSrc = query.string('fromSrc');
      const fromImage = query.string('fromImage');
      if (fromImage && fromSrc) throw new InvalidArgumentError('fromImage and fromSrc cannot both be given');
      if (fromImage) {
        for (const key of ['repo', 'message', 'changes']) {
          if (query.has(key)) throw new InvalidArgumentError(`?${key}= applies to an import (fromSrc), not to a pull`);
        }
        await streamProgress(
          x,
          backend.images.pull({
            fromImage,
            tag: query.string('tag') || undefined,
            platform: query.string('platform') || undefined,
            auth: registryAuth(x),
            signal: x.signal,
          }),
        );
        return;
      }
      if (!fromSrc) throw new InvalidArgumentError('fromSrc or fromImage must be given');
      if (fromSrc !== '-') {
        throw new NotImplementedError('importing from a URL is not supported by the berth engine; send the tarball as the request body (fromSrc=-)');
      }
      await streamProgress(
        x,
        backend.images.import({
          source: x.body(),
          repo: query.string('repo') || undefined,
          tag: query.string('tag') || undefined,
          changes: query.all('changes'),
          message: query.string('message') || undefined,
          platform: query.string('platform') || undefined,
          signal: x.signal,
        }),
      );
    },
  },
  {
    method: 'POST',
    path: '/images/load',
    handler: async ({ x, query, backend }) => {
      await streamProgress(x, backend.images.load(x.body(), { quiet: query.bool('quiet'), signal: x.signal }));
    },
  },
  {
    method: 'GET',
    path: '/images/get',
    handler: async ({ x, query, backend }) => {
      const names = query.all('names').filter((n) => n !== '');
      if (names.length === 0) throw new InvalidArgumentError('no images given to save (names=)');
      await sendTar(x, await backend.images.save(names, x.signal));
    },
  },
  {
    method: 'GET',
    path: '/images/{name*}/get',
    handler: async ({ x, params, backend }) => {
      await sendTar(x, await backend.images.save([params.name], x.signal));
    },
  },
  {
    method: 'POST',
    path: '/images/prune',
    handler: async ({ x, query, backend }) => {
      x.reply(200, await backend.images.prune(query.filters()));
    },
  },
  {
    method: 'POST',
    path: '/images/{name*}/push',
    handler: async ({ x, params, query, backend }) => {
      await streamProgress(x, backend.images.push(params.name, { tag: query.string('tag') || undefined, auth: registryAuth(x), signal: x.signal }));
    },
  },
  {
    method: 'GET',
    path: '/images/{name*}/history',
    handler: async ({ x, params, backend }) => {
      x.reply(200, await backend.images.history(params.name));
    },
  },
  {
    method: 'GET',
    path: '/distribution/{name*}/json',
    handler: async ({ x, params, backend }) => {
      x.reply(200, await backend.images.distribution(params.name, registryAuth(x), x.signal));
    },
  },
  {
    method: 'GET',
    path: '/images/{name*}/json',
    handler: async ({ x, params, backend }) => {
      try {
        x.reply(200, await backend.images.inspect(params.name));
      } catch (e) {
        // dockerd 20.10 wraps the lookup's error once more on this route; clients match the text.
        if (e instanceof EngineError && e.status === 404) throw new NotFoundError(`no such image: ${params.name}: ${e.message}`);
        throw e;
      }
    },
  },
  {
    method: 'POST',
    path: '/images/{name*}/tag',
    handler: async ({ x, params, query, backend }) => {
      const repo = query.string('repo');
      if (!repo) throw new InvalidArgumentError('repo cannot be empty');
      await backend.images.tag(params.name, repo, query.string('tag') || undefined);
      x.reply(201);
    },
  },
  {
    method: 'DELETE',
    path: '/images/{name*}',
    handler: async ({ x, params, query, backend }) => {
      if (params.name.trim() === '') throw new InvalidArgumentError('image name cannot be blank');
      x.reply(200, await backend.images.remove(params.name, { force: query.bool('force'), noprune: query.bool('noprune') }));
    },
  },
];

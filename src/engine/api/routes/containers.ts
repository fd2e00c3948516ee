// /containers/…: each route parses its query the way moby does, makes one backend call, and
// writes Docker's status and shape. Streams (logs, attach, stats, wait) honour backpressure and
// stop when the client goes.

import { PassThrough } from 'node:stream';
import {
  InvalidArgumentError,
  type ContainerConfig,
  type ContainerCreateRequest,
  type ContainerUpdateRequest,
  type PathStat,
  type WaitCondition,
} from '../../backend.js';
import { checkBody, CREATE_BODY, normalizeStrslices, UPDATE_BODY } from '../body-schema.js';
import type { Route, RouteContext } from '../router.js';
import { formatLogTimestamp, frame, streamNumber } from '../streams.js';
import { pumpOutput, readJson, sendTar, streamMediaType, writeStreamError } from './common.js';

function stopOptions({ query }: RouteContext): { signal?: string; timeout?: number } {
  return { signal: query.string('signal') || undefined, timeout: query.int('t') };
}

function pathParam({ query }: RouteContext): string {
  const path = query.string('path');
  if (!path) throw new InvalidArgumentError('path must not be empty');
  return path;
}

/** The `X-Docker-Container-Path-Stat` header: base64 of the JSON stat. */
function pathStatHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function waitCondition(raw: string | undefined): WaitCondition {
  // moby falls back to not-running for anything it does not know, including the empty string.
  return raw === 'next-exit' || raw === 'removed' ? raw : 'not-running';
}

export function consoleSize(ctx: RouteContext): { height: number; width: number } {
  const height = ctx.query.int('h');
  const width = ctx.query.int('w');
  if (height === undefined || width === undefined) throw new InvalidArgumentError('h and w must be integers');
  return { height, width };
}

export const containerRoutes: Route[] = [
  {
    method: 'GET',
    path: '/containers/json',
    handler: async ({ x, query, backend }) => {
      const limit = query.int('limit');
      const list = await backend.containers.list({
        all: query.bool('all'),
        limit: limit !== undefined && limit > 0 ? limit : undefined,
        size: query.bool('size'),
        filters: query.filters(),
      });
      x.reply(200, list);
    },
  },
  {
    method: 'POST',
    path: '/containers/create',
    handler: async ({ x, query, backend }) => {
      const body = await readJson<ContainerCreateRequest>(x);
      if (body === undefined || body === null || typeof body !== 'object') {
        throw new InvalidArgumentError('config cannot be empty in order to create a container');
      }
      checkBody(body, CREATE_BODY, 'ContainerConfigWrapper');
      normalizeStrslices(body as Record<string, unknown>, ['Cmd', 'Entrypoint', 'Shell']);
      if (body.HostConfig) normalizeStrslices(body.HostConfig as Record<string, unknown>, ['CapAdd', 'CapDrop']);
      const created = await backend.containers.create(body, {
        name: query.string('name') || undefined,
        platform: query.string('platform') || undefined,
      });
      x.reply(201, { Id: created.Id, Warnings: created.Warnings ?? [] });
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/json',
    handler: async ({ x, params, query, backend }) => {
      x.reply(200, await backend.containers.inspect(params.id, { size: query.bool('size') }));
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/top',
    handler: async ({ x, params, query, backend }) => {
      x.reply(200, await backend.containers.top(params.id, query.string('ps_args') || undefined));
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/logs',
    handler: async ({ x, params, query, version, backend }) => {
      const stdout = query.bool('stdout');
      const stderr = query.bool('stderr');
      if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
      const tailRaw = query.string('tail');
      const tail = tailRaw !== undefined && /^[0-9]+$/.test(tailRaw) ? Number.parseInt(tailRaw, 10) : undefined;
      const timestamps = query.bool('timestamps');
      const logs = await backend.containers.logs(params.id, {
        stdout,
        stderr,
        follow: query.bool('follow'),
        tail,
        since: query.time('since'),
        until: query.time('until'),
        signal: x.signal,
      });
      const out = x.stream(200, streamMediaType(logs.tty, version));
      try {
        for await (const entry of logs.entries) {
          const line = timestamps ? Buffer.concat([Buffer.from(`${formatLogTimestamp(entry.time, entry.timeText)} `), entry.line]) : entry.line;
          if (!(await out.write(logs.tty ? line : frame(streamNumber(entry.stream), line)))) break;
        }
      } catch (e) {
        await writeStreamError(out, e, logs.tty);
      }
      out.end();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/stats',
    handler: async ({ x, params, query, backend }) => {
      const stream = query.bool('stream', true);
      const samples = backend.containers.stats(params.id, { stream, oneShot: query.bool('one-shot'), signal: x.signal });
      const iterator = samples[Symbol.asyncIterator]();
      // The first sample decides between an error status (container missing) and a 200.
      const first = await iterator.next();
      if (!stream) {
        await iterator.return?.();
        if (first.done) throw new InvalidArgumentError('no statistics available');
        x.reply(200, first.value);
        return;
      }
      const out = x.stream(200, 'application/json');
      let next = first;
      while (!next.done) {
        if (!(await out.write(`${JSON.stringify(next.value)}\n`))) {
          await iterator.return?.();
          return;
        }
        next = await iterator.next();
      }
      out.end();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/resize',
    handler: async (ctx) => {
      await ctx.backend.containers.resize(ctx.params.id, consoleSize(ctx));
      ctx.x.reply(200);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/start',
    handler: async ({ x, params, backend }) => {
      await backend.containers.start(params.id);
      x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/stop',
    handler: async (ctx) => {
      await ctx.backend.containers.stop(ctx.params.id, stopOptions(ctx));
      ctx.x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/restart',
    handler: async (ctx) => {
      await ctx.backend.containers.restart(ctx.params.id, stopOptions(ctx));
      ctx.x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/kill',
    handler: async ({ x, params, query, backend }) => {
      await backend.containers.kill(params.id, query.string('signal') || undefined);
      x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/update',
    handler: async ({ x, params, backend }) => {
      const body = (await readJson<ContainerUpdateRequest>(x)) ?? {};
      checkBody(body, UPDATE_BODY, 'container.UpdateConfig');
      const result = await backend.containers.update(params.id, body);
      x.reply(200, { Warnings: result.Warnings ?? [] });
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/rename',
    handler: async ({ x, params, query, backend }) => {
      const name = query.string('name');
      if (!name) throw new InvalidArgumentError('name cannot be empty');
      await backend.containers.rename(params.id, name);
      x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/pause',
    handler: async ({ x, params, backend }) => {
      await backend.containers.pause(params.id);
      x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/unpause',
    handler: async ({ x, params, backend }) => {
      await backend.containers.unpause(params.id);
      x.reply(204);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/attach',
    handler: async ({ x, params, query, version, backend }) => {
      const wantStdin = query.bool('stdin');
      // The backend validates (404, 409 for a paused container) before the connection is taken
      // over; the client's input is fed in only after the switch.
      const stdin = wantStdin ? new PassThrough() : undefined;
      const session = await backend.containers.attach(params.id, {
        stream: query.bool('stream'),
        logs: query.bool('logs'),
        stdout: query.bool('stdout'),
        stderr: query.bool('stderr'),
        stdin,
        detachKeys: query.string('detachKeys') || undefined,
        signal: x.signal,
      });
      const conn = x.hijack(streamMediaType(session.tty, version));
      if (stdin) conn.stdin.pipe(stdin);
      else conn.stdin.resume();
      await pumpOutput(conn, session.output, session.tty);
      conn.end();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/wait',
    handler: async ({ x, params, query, backend }) => {
      const waiter = await backend.containers.wait(params.id, waitCondition(query.string('condition')));
      // Headers go out as soon as the waiter is registered: `docker run` waits for them before
      // it starts the container.
      const out = x.stream(200, 'application/json');
      let body: unknown;
      try {
        const result = await waiter.exited;
        body = result.Error ? { StatusCode: result.StatusCode, Error: result.Error } : { StatusCode: result.StatusCode };
      } catch (e) {
        body = { StatusCode: -1, Error: { Message: e instanceof Error ? e.message : String(e) } };
      }
      await out.write(`${JSON.stringify(body)}\n`);
      out.end();
    },
  },
  {
    method: 'DELETE',
    path: '/containers/{id}',
    handler: async ({ x, params, query, backend }) => {
      await backend.containers.remove(params.id, { force: query.bool('force'), volumes: query.bool('v'), link: query.bool('link') });
      x.reply(204);
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/changes',
    handler: async ({ x, params, backend }) => {
      x.reply(200, await backend.containers.changes(params.id));
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/export',
    handler: async ({ x, params, backend }) => {
      await sendTar(x, await backend.containers.export(params.id, x.signal));
    },
  },
  {
    method: 'POST',
    path: '/commit',
    handler: async ({ x, query, backend }) => {
      const container = query.string('container');
      if (!container) throw new InvalidArgumentError('container must be given (?container=)');
      const config = await readJson<ContainerConfig>(x);
      const created = await backend.containers.commit(container, {
        repo: query.string('repo') || undefined,
        tag: query.string('tag') || undefined,
        comment: query.string('comment') || undefined,
        author: query.string('author') || undefined,
        // moby: pause unless `pause` is given and false.
        pause: query.bool('pause', true),
        changes: query.all('changes'),
        // moby decodes the body into an embedded *Config: `null` or `{}` leave it nil, and the commit then takes the container's own.
        ...(config && typeof config === 'object' && Object.keys(config).length > 0 ? { config } : {}),
      });
      x.reply(201, { Id: created.Id });
    },
  },
  {
    method: 'HEAD',
    path: '/containers/{id}/archive',
    handler: async (ctx) => {
      const stat = await ctx.backend.containers.archiveStat(ctx.params.id, pathParam(ctx));
      ctx.x.setHeader('X-Docker-Container-Path-Stat', pathStatHeader(stat));
      ctx.x.reply(200);
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/archive',
    handler: async (ctx) => {
      const { x } = ctx;
      const { stat, tar } = await ctx.backend.containers.archiveGet(ctx.params.id, pathParam(ctx), x.signal);
      x.setHeader('X-Docker-Container-Path-Stat', pathStatHeader(stat));
      await sendTar(x, tar);
    },
  },
  {
    method: 'PUT',
    path: '/containers/{id}/archive',
    handler: async (ctx) => {
      await ctx.backend.containers.archivePut(ctx.params.id, pathParam(ctx), ctx.x.body(), {
        noOverwriteDirNonDir: ctx.query.bool('noOverwriteDirNonDir'),
        copyUIDGID: ctx.query.bool('copyUIDGID'),
      });
      ctx.x.reply(200);
    },
  },
];

// Exec instances: create under a container, start (detached, or hijacking the connection for
// stdin/stdout/stderr), inspect (the exit code `docker exec` returns), resize.

import { PassThrough } from 'node:stream';
import { InvalidArgumentError, type ExecCreateRequest } from '../../backend.js';
import { checkBody, EXEC_BODY } from '../body-schema.js';
import type { Route } from '../router.js';
import { consoleSize } from './containers.js';
import { pumpOutput, readJson, streamMediaType } from './common.js';

interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

export const execRoutes: Route[] = [
  {
    method: 'POST',
    path: '/containers/{id}/exec',
    handler: async ({ x, params, backend }) => {
      const body = await readJson<ExecCreateRequest>(x);
      checkBody(body, EXEC_BODY, 'types.ExecConfig');
      // Cmd may be one string (strslice), as for a container.
      if (body && typeof body.Cmd === 'string') body.Cmd = [body.Cmd];
      if (!body || !Array.isArray(body.Cmd) || body.Cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
      const created = await backend.exec.create(params.id, body);
      x.reply(201, { Id: created.Id });
    },
  },
  {
    method: 'POST',
    path: '/exec/{id}/start',
    handler: async ({ x, params, version, backend }) => {
      const body = (await readJson<ExecStartBody>(x)) ?? {};
      const detach = body.Detach === true;
      const stdin = detach ? undefined : new PassThrough();
      const session = await backend.exec.start(params.id, {
        detach,
        tty: body.Tty === true,
        consoleSize: body.ConsoleSize ?? undefined,
        stdin,
        signal: x.signal,
      });
      if (detach) {
        x.reply(200);
        return;
      }
      const conn = x.hijack(streamMediaType(session.tty, version));
      if (stdin) conn.stdin.pipe(stdin);
      await pumpOutput(conn, session.output, session.tty);
      conn.end();
    },
  },
  {
    method: 'GET',
    path: '/exec/{id}/json',
    handler: async ({ x, params, backend }) => {
      x.reply(200, await backend.exec.inspect(params.id));
    },
  },
  {
    method: 'POST',
    path: '/exec/{id}/resize',
    handler: async (ctx) => {
      await ctx.backend.exec.resize(ctx.params.id, consoleSize(ctx));
      ctx.x.reply(200);
    },
  },
];

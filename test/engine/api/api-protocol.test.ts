// The wire protocol of berth's API server, byte for byte where clients depend on it: ping
// headers, version negotiation, error bodies, query parsing, both hijack forms, streams, the
// socket file's mode and life cycle.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../src/engine/api/server.js';
import { startFakeEngine, type FakeEngine } from './api-harness.js';
import { FakeBackend } from '../../support/api-fake-backend.js';

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): unknown;
}

function call(engine: FakeEngine, method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: engine.socketPath, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString()) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function postJson(engine: FakeEngine, urlPath: string, value: unknown): Promise<Response> {
  return call(engine, 'POST', urlPath, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

/** Sends a raw request on a fresh connection; resolves with everything received until EOF. */
function raw(engine: FakeEngine, text: string, afterHead?: (socket: Socket) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(engine.socketPath);
    const chunks: Buffer[] = [];
    let headSeen = false;
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (!headSeen && Buffer.concat(chunks).includes('\r\n\r\n')) {
        headSeen = true;
        afterHead?.(socket);
      }
    });
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.write(text);
  });
}

function splitHead(buf: Buffer): { head: string; rest: Buffer } {
  const at = buf.indexOf('\r\n\r\n');
  return { head: buf.subarray(0, at).toString(), rest: buf.subarray(at + 4) };
}

function parseFrames(buf: Buffer): [number, string][] {
  const frames: [number, string][] = [];
  for (let at = 0; at < buf.length; ) {
    const size = buf.readUInt32BE(at + 4);
    frames.push([buf[at], buf.subarray(at + 8, at + 8 + size).toString()]);
    at += 8 + size;
  }
  return frames;
}

async function createRunning(engine: FakeEngine, name: string, cmd = 'sleep'): Promise<string> {
  const created = await postJson(engine, `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sh', '-c', cmd] });
  const id = (created.json() as { Id: string }).Id;
  await call(engine, 'POST', `/containers/${id}/start`);
  return id;
}

describe('berth API server protocol', () => {
  let engine: FakeEngine;
  beforeEach(async () => {
    engine = await startFakeEngine();
  });
  afterEach(async () => {
    await engine.close();
  });

  describe('ping and version negotiation', () => {
    it('GET /_ping answers OK with the negotiation headers', async () => {
      const r = await call(engine, 'GET', '/_ping');
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('OK');
      expect(r.headers).toMatchObject({
        'api-version': '1.43',
        'docker-experimental': 'false',
        ostype: 'linux',
        'builder-version': '1',
        'cache-control': 'no-cache, no-store, must-revalidate',
        pragma: 'no-cache',
        'content-type': 'text/plain; charset=utf-8',
      });
    });

    it('HEAD /_ping has the headers and no body', async () => {
      const r = await call(engine, 'HEAD', '/_ping');
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(0);
      expect(r.headers['api-version']).toBe('1.43');
    });

    it('a failing engine makes the ping a 500 with a JSON message', async () => {
      engine.fake.pingError = new Error('engine is starting');
      const r = await call(engine, 'GET', '/_ping');
      expect(r.status).toBe(500);
      expect(r.json()).toEqual({ message: 'engine is starting' });
    });

    it('serves the same routes with and without a version prefix', async () => {
      expect((await call(engine, 'GET', '/v1.24/version')).status).toBe(200);
      expect((await call(engine, 'GET', '/v1.43/containers/json')).status).toBe(200);
      expect((await call(engine, 'GET', '/containers/json')).status).toBe(200);
    });

    it('refuses versions above the maximum and below the minimum with Docker messages', async () => {
      const tooNew = await call(engine, 'GET', '/v1.44/version');
      expect(tooNew.status).toBe(400);
      expect(tooNew.json()).toEqual({ message: 'client version 1.44 is too new. Maximum supported API version is 1.43' });
      expect(tooNew.headers['api-version']).toBe('1.43');
      const tooOld = await call(engine, 'GET', '/v1.12/version');
      expect(tooOld.status).toBe(400);
      expect(tooOld.json()).toEqual({
        message: 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
      });
    });

    it('answers Docker endpoints the engine lacks with 501 saying what is missing, and only unknown paths with 404', async () => {
      const cases: [string, string, RegExp][] = [
        ['GET', '/swarm', /swarm mode is not offered/],
        ['POST', '/services/create', /swarm services/],
        ['GET', '/plugins/foo/json', /plugins are not supported/],
        ['GET', '/images/search?term=x', /docker search/],
      ];
      for (const [method, p, message] of cases) {
        const r = await call(engine, method, p);
        expect([p, r.status]).toEqual([p, 501]);
        expect((r.json() as { message: string }).message).toMatch(message);
      }
      expect((await call(engine, 'GET', '/swarmy')).status).toBe(404);
    });

    it('answers unknown routes and verbs with 404 page not found', async () => {
      for (const [method, p] of [['GET', '/nope'], ['PATCH', '/containers/json'], ['GET', '/v1.40/containers/x/nope']]) {
        const r = await call(engine, method, p);
        expect(r.status).toBe(404);
        expect(r.json()).toEqual({ message: 'page not found' });
      }
    });
  });

  describe('errors and query parsing', () => {
    it('maps NotFound, Conflict, InvalidArgument, NotModified, NotImplemented to their statuses', async () => {
      expect(await call(engine, 'GET', '/containers/nope/json').then((r) => [r.status, r.json()])).toEqual([404, { message: 'No such container: nope' }]);
      const id = await createRunning(engine, 'web');
      const dup = await postJson(engine, '/containers/create?name=web', { Image: 'busybox' });
      expect(dup.status).toBe(409);
      expect((dup.json() as { message: string }).message).toMatch(/^Conflict\. The container name "\/web" is already in use/);
      const again = await call(engine, 'POST', `/containers/${id}/start`);
      expect([again.status, again.body.length]).toEqual([304, 0]);
      const build = await call(engine, 'POST', '/build');
      expect(build.status).toBe(501);
      const badFilter = await call(engine, 'GET', '/containers/json?filters=%7Bnope');
      expect(badFilter.status).toBe(400);
      expect((badFilter.json() as { message: string }).message).toMatch(/^invalid filter: /);
      const badInt = await call(engine, 'POST', `/containers/${id}/stop?t=soon`);
      expect([badInt.status, badInt.json()]).toEqual([400, { message: 'invalid value for t: "soon": not an integer' }]);
    });

    it('refuses create bodies that are empty, not JSON, or not declared JSON', async () => {
      const empty = await call(engine, 'POST', '/containers/create', '', { 'Content-Type': 'application/json' });
      expect([empty.status, empty.json()]).toEqual([400, { message: 'config cannot be empty in order to create a container' }]);
      const text = await call(engine, 'POST', '/containers/create', '{"Image":"busybox"}', { 'Content-Type': 'text/plain' });
      expect([text.status, text.json()]).toEqual([400, { message: "unsupported Content-Type header (text/plain): must be 'application/json'" }]);
      const broken = await call(engine, 'POST', '/containers/create', '{"Image":', { 'Content-Type': 'application/json' });
      expect(broken.status).toBe(400);
      expect((broken.json() as { message: string }).message).toMatch(/^invalid JSON: /);
      const created = await postJson(engine, '/containers/create', { Image: 'busybox' });
      expect(created.status).toBe(201);
      expect(created.json()).toEqual({ Id: expect.stringMatching(/^[0-9a-f]{64}$/), Warnings: [] });
    });

    it('reads filters in the current and the legacy form, and booleans as moby does', async () => {
      const current = encodeURIComponent(JSON.stringify({ status: { exited: true, created: true } }));
      const legacy = encodeURIComponent(JSON.stringify({ status: ['exited'] }));
      await call(engine, 'GET', `/containers/json?all=1&filters=${current}`);
      await call(engine, 'GET', `/containers/json?all=True&filters=${legacy}`);
      const lists = engine.fake.callsTo('containers.list').map((c) => c.args[0]);
      expect(lists).toEqual([
        { all: true, limit: undefined, size: false, filters: { status: ['created', 'exited'] } },
        { all: true, limit: undefined, size: false, filters: { status: ['exited'] } },
      ]);
      for (const word of ['0', 'false', 'no', 'none', '']) await call(engine, 'GET', `/containers/json?all=${word}&limit=2`);
      expect(engine.fake.callsTo('containers.list').slice(2).map((c) => [c.args[0] as { all: boolean; limit: number }].map((o) => [o.all, o.limit])[0])).toEqual(
        Array(5).fill([false, 2]),
      );
    });

    it('passes stop/kill/remove parameters through', async () => {
      const id = await createRunning(engine, 'web');
      await call(engine, 'POST', `/containers/${id.slice(0, 12)}/stop?t=3&signal=SIGINT`);
      expect(engine.fake.callsTo('containers.stop')[0].args).toEqual([id.slice(0, 12), { signal: 'SIGINT', timeout: 3 }]);
      expect((await call(engine, 'DELETE', '/containers/web?v=1&force=true')).status).toBe(204);
      expect(engine.fake.callsTo('containers.remove')[0].args).toEqual(['web', { force: true, volumes: true, link: false }]);
    });

    it('passes the remaining container verbs through with Docker statuses', async () => {
      const id = await createRunning(engine, 'web');
      const statuses = [
        (await call(engine, 'POST', `/containers/${id}/resize?h=40&w=120`)).status,
        (await call(engine, 'POST', `/containers/${id}/rename?name=www`)).status,
        (await postJson(engine, `/containers/${id}/update`, { Memory: 1024, RestartPolicy: { Name: 'always' } })).status,
        (await call(engine, 'POST', `/containers/${id}/pause`)).status,
        (await call(engine, 'POST', `/containers/${id}/unpause`)).status,
        (await call(engine, 'POST', `/containers/${id}/restart?t=1`)).status,
      ];
      expect(statuses).toEqual([200, 204, 200, 204, 204, 204]);
      const top = await call(engine, 'GET', `/containers/${id}/top?ps_args=aux`);
      expect(top.json()).toEqual({ Titles: ['PID', 'CMD'], Processes: [['4242', 'sleep']] });
      expect(engine.fake.calls.slice(-7).map((c) => [c.method, ...c.args.slice(1)])).toEqual([
        ['containers.resize', { height: 40, width: 120 }],
        ['containers.rename', 'www'],
        ['containers.update', { Memory: 1024, RestartPolicy: { Name: 'always' } }],
        ['containers.pause'],
        ['containers.unpause'],
        ['containers.restart', { signal: undefined, timeout: 1 }],
        ['containers.top', 'aux'],
      ]);
      expect((await call(engine, 'POST', `/containers/${id}/rename`)).status).toBe(400);
      expect((await call(engine, 'POST', `/containers/${id}/resize?h=40`)).status).toBe(400);
      const exec = await postJson(engine, `/containers/${id}/exec`, { Cmd: ['true'] });
      const execId = (exec.json() as { Id: string }).Id;
      expect((await call(engine, 'POST', `/exec/${execId}/resize?h=1&w=2`)).status).toBe(200);
      expect(engine.fake.callsTo('exec.resize')[0].args).toEqual([execId, { height: 1, width: 2 }]);
    });

    it('does not pile listeners on the server lifetime signal', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      for (let i = 0; i < 15; i++) await call(engine, 'GET', '/_ping');
      await new Promise((r) => setTimeout(r, 10));
      process.off('warning', onWarning);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    });

    it('refuses logs without a stream, and events whose since is after until', async () => {
      const id = await createRunning(engine, 'web');
      const logs = await call(engine, 'GET', `/containers/${id}/logs`);
      expect([logs.status, logs.json()]).toEqual([400, { message: 'Bad parameters: you must choose at least one stream' }]);
      const events = await call(engine, 'GET', '/events?since=1700000010&until=1700000000.5');
      expect([events.status, events.json()]).toEqual([
        400,
        { message: '`since` time (2023-11-14T22:13:30Z) cannot be after `until` time (2023-11-14T22:13:20.5Z)' },
      ]);
    });
  });

  describe('hijacked and streamed responses', () => {
    it('upgrades attach to a raw duplex: 101 UPGRADED, then frames until the container exits', async () => {
      const created = await postJson(engine, '/containers/create?name=job', { Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2'] });
      const id = (created.json() as { Id: string }).Id;
      const got = raw(
        engine,
        `POST /v1.43/containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
        () => void call(engine, 'POST', `/containers/${id}/start`),
      );
      const { head, rest } = splitHead(await got);
      const lines = head.split('\r\n');
      expect(lines[0]).toBe('HTTP/1.1 101 UPGRADED');
      expect(lines).toEqual(
        expect.arrayContaining(['Content-Type: application/vnd.docker.multiplexed-stream', 'Connection: Upgrade', 'Upgrade: tcp', 'Api-Version: 1.43']),
      );
      expect(parseFrames(rest)).toEqual([
        [1, 'out\n'],
        [2, 'err\n'],
      ]);
    });

    it('serves the non-upgrade form: 200 OK raw-stream (API < 1.42) and output to EOF', async () => {
      const created = await postJson(engine, '/containers/create?name=job', { Image: 'busybox', Cmd: ['sh', '-c', 'echo out'] });
      const id = (created.json() as { Id: string }).Id;
      const got = raw(engine, `POST /v1.41/containers/${id}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: api\r\n\r\n`, () => void call(engine, 'POST', `/containers/${id}/start`));
      const { head, rest } = splitHead(await got);
      const lines = head.split('\r\n');
      expect(lines[0]).toBe('HTTP/1.1 200 OK');
      expect(lines).toContain('Content-Type: application/vnd.docker.raw-stream');
      expect(lines).not.toContain('Upgrade: tcp');
      expect(parseFrames(rest)).toEqual([[1, 'out\n']]);
    });

    it('non-upgrade exec start still takes stdin from the same connection, ended by half-close', async () => {
      const id = await createRunning(engine, 'box');
      const exec = await postJson(engine, `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'cat; exit 1'], AttachStdin: true, AttachStdout: true });
      const execId = (exec.json() as { Id: string }).Id;
      const body = '{"Detach":false,"Tty":false}';
      const out = await raw(
        engine,
        `POST /v1.43/exec/${execId}/start HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        (socket) => {
          socket.write('GET /not-a-request HTTP/1.1\r\n');
          socket.end();
        },
      );
      const { head, rest } = splitHead(out);
      expect(head.split('\r\n')).toEqual(expect.arrayContaining(['HTTP/1.1 200 OK', 'Content-Type: application/vnd.docker.multiplexed-stream']));
      expect(parseFrames(rest)).toEqual([[1, 'GET /not-a-request HTTP/1.1\r\n']]);
      expect((await call(engine, 'GET', `/exec/${execId}/json`)).json()).toMatchObject({ ExitCode: 1 });
    });

    it('a non-upgrade attach later on a keep-alive connection still streams its output', async () => {
      const { Agent } = await import('node:http');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const created = await postJson(engine, '/containers/create?name=job', { Image: 'busybox', Cmd: ['sh', '-c', 'echo late'] });
      const id = (created.json() as { Id: string }).Id;
      const first = await new Promise<number>((resolve) => {
        httpRequest({ socketPath: engine.socketPath, path: '/_ping', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).end();
      });
      expect(first).toBe(200);
      const attached = await new Promise<{ type: string | undefined; body: Promise<Buffer> }>((resolve) => {
        httpRequest({ socketPath: engine.socketPath, method: 'POST', path: `/containers/${id}/attach?stream=1&stdout=1`, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          resolve({ type: res.headers['content-type'], body: new Promise((done) => res.on('close', () => done(Buffer.concat(chunks)))) });
        }).end();
      });
      expect(attached.type).toBe('application/vnd.docker.multiplexed-stream');
      await call(engine, 'POST', `/containers/${id}/start`);
      expect(parseFrames(await attached.body)).toEqual([[1, 'late\n']]);
      agent.destroy();
    });

    it('keeps ordinary keep-alive connections working after the sniffer handed them over', async () => {
      const { Agent } = await import('node:http');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const get = (p: string) =>
        new Promise<number>((resolve) => {
          httpRequest({ socketPath: engine.socketPath, path: p, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          }).end();
        });
      expect(await Promise.all([get('/_ping'), get('/version'), get('/containers/json'), get('/nope')])).toEqual([200, 200, 200, 404]);
      agent.destroy();
    });

    it('exec start over Upgrade: body read by Content-Length, stdin after it, half-close ends stdin', async () => {
      const id = await createRunning(engine, 'box');
      const exec = await postJson(engine, `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'cat; exit 7'], AttachStdin: true, AttachStdout: true });
      const execId = (exec.json() as { Id: string }).Id;
      const body = JSON.stringify({ Detach: false, Tty: false });
      // The first stdin bytes travel in the same packet as the request, right after the body.
      const out = await raw(
        engine,
        `POST /exec/${execId}/start HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}first `,
        (socket) => socket.end('second\n'),
      );
      const { head, rest } = splitHead(out);
      expect(head.startsWith('HTTP/1.1 101 UPGRADED\r\n')).toBe(true);
      expect(parseFrames(rest)).toEqual([
        [1, 'first '],
        [1, 'second\n'],
      ]);
      const inspect = await call(engine, 'GET', `/exec/${execId}/json`);
      expect(inspect.json()).toMatchObject({ ID: execId, Running: false, ExitCode: 7 });
    });

    it('exec with a TTY sends raw bytes, not frames; detached exec answers 200 at once', async () => {
      const id = await createRunning(engine, 'box');
      const tty = await postJson(engine, `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'echo plain'], AttachStdout: true, Tty: true });
      const ttyId = (tty.json() as { Id: string }).Id;
      const r = await postJson(engine, `/exec/${ttyId}/start`, { Detach: false, Tty: true });
      expect(r.headers['content-type']).toBe('application/vnd.docker.raw-stream');
      expect(r.body.toString()).toBe('plain\n');
      const bg = await postJson(engine, `/containers/${id}/exec`, { Cmd: ['true'] });
      const bgId = (bg.json() as { Id: string }).Id;
      const detached = await postJson(engine, `/exec/${bgId}/start`, { Detach: true });
      expect([detached.status, detached.body.length]).toEqual([200, 0]);
      expect(engine.fake.callsTo('exec.start').at(-1)?.args[1]).toEqual({ detach: true, tty: false, stdin: false });
      const missing = await postJson(engine, '/exec/nope/start', { Detach: false });
      expect([missing.status, missing.json()]).toEqual([404, { message: 'No such exec instance: nope' }]);
      const noCmd = await postJson(engine, `/containers/${id}/exec`, { Cmd: [] });
      expect([noCmd.status, noCmd.json()]).toEqual([400, { message: 'No exec command specified' }]);
    });

    it('wait sends its headers before the container exits', async () => {
      const id = await createRunning(engine, 'web');
      const headers = await new Promise<{ status: number; type: string | undefined; body: Promise<string> }>((resolve) => {
        const req = httpRequest({ socketPath: engine.socketPath, method: 'POST', path: `/containers/${id}/wait?condition=next-exit` }, (res) => {
          const body = new Promise<string>((done) => {
            let s = '';
            res.on('data', (d: Buffer) => (s += d.toString()));
            res.on('end', () => done(s));
          });
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body });
        });
        req.end();
      });
      expect([headers.status, headers.type]).toEqual([200, 'application/json']);
      expect(engine.fake.containers.get(id)?.status).toBe('running');
      await call(engine, 'POST', `/containers/${id}/kill?signal=KILL`);
      expect(await headers.body).toBe('{"StatusCode":137}\n');
      expect(engine.fake.callsTo('containers.kill')[0].args).toEqual([id, 'KILL']);
    });

    it('stats: one JSON document with stream=false, JSON lines otherwise', async () => {
      const id = await createRunning(engine, 'web');
      const once = await call(engine, 'GET', `/containers/${id}/stats?stream=false`);
      expect(once.json()).toMatchObject({ id, pids_stats: { current: 1 } });
      const lines = await new Promise<string[]>((resolve) => {
        const req = httpRequest({ socketPath: engine.socketPath, path: `/containers/${id}/stats` }, (res) => {
          let s = '';
          res.on('data', (d: Buffer) => {
            s += d.toString();
            if (s.split('\n').length > 3) {
              req.destroy();
              resolve(s.split('\n').slice(0, 3));
            }
          });
        });
        req.end();
      });
      expect(lines.map((l) => (JSON.parse(l) as { pids_stats: { current: number } }).pids_stats.current)).toEqual([1, 2, 3]);
      const missing = await call(engine, 'GET', '/containers/nope/stats?stream=0');
      expect(missing.status).toBe(404);
    });

    it('archive: HEAD and GET carry X-Docker-Container-Path-Stat; PUT streams the tar to the backend', async () => {
      const id = await createRunning(engine, 'web');
      const head = await call(engine, 'HEAD', `/containers/${id}/archive?path=/etc/hostname`);
      expect(head.status).toBe(200);
      expect(JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString())).toEqual({
        name: 'hostname',
        size: 5,
        mode: 0o644,
        mtime: '2024-01-02T03:04:05Z',
        linkTarget: '',
      });
      const get = await call(engine, 'GET', `/containers/${id}/archive?path=/etc/hostname`);
      expect([get.headers['content-type'], get.body.toString()]).toEqual(['application/x-tar', 'fake tar of /etc/hostname']);
      expect(get.headers['x-docker-container-path-stat']).toBe(head.headers['x-docker-container-path-stat']);
      const put = await call(engine, 'PUT', `/containers/${id}/archive?path=/tmp&noOverwriteDirNonDir=1`, 'TARBYTES', { 'Content-Type': 'application/x-tar' });
      expect(put.status).toBe(200);
      expect(engine.fake.callsTo('containers.archivePut')[0].args).toEqual([id, '/tmp', 'TARBYTES', { noOverwriteDirNonDir: true, copyUIDGID: false }]);
      expect((await call(engine, 'HEAD', `/containers/${id}/archive?path=/nope`)).status).toBe(404);
      expect((await call(engine, 'GET', `/containers/${id}/archive`)).status).toBe(400);
    });

    it('images: load streams progress, save returns a tar, names may hold slashes, tag and delete', async () => {
      const load = await call(engine, 'POST', '/images/load?quiet=1', 'reg.io/team/app:2', { 'Content-Type': 'application/x-tar' });
      expect([load.status, load.headers['content-type'], load.body.toString()]).toEqual([
        200,
        'application/json',
        '{"stream":"Loaded image: reg.io/team/app:2\\n"}\n',
      ]);
      const inspect = await call(engine, 'GET', '/images/reg.io/team/app:2/json');
      expect(inspect.json()).toMatchObject({ RepoTags: ['reg.io/team/app:2'] });
      const tag = await call(engine, 'POST', '/images/reg.io/team/app:2/tag?repo=local/app&tag=v1');
      expect(tag.status).toBe(201);
      expect(engine.fake.callsTo('images.tag')[0].args).toEqual(['reg.io/team/app:2', 'local/app', 'v1']);
      expect((await call(engine, 'POST', '/images/busybox/tag')).status).toBe(400);
      const save = await call(engine, 'GET', '/images/get?names=busybox&names=local/app:v1');
      expect([save.headers['content-type'], save.body.toString()]).toEqual(['application/x-tar', 'tar of busybox,local/app:v1']);
      const one = await call(engine, 'GET', '/images/local/app:v1/get');
      expect(one.body.toString()).toBe('tar of local/app:v1');
      const del = await call(engine, 'DELETE', '/images/local/app:v1?force=1');
      expect(del.json()).toEqual([{ Untagged: 'reg.io/team/app:2' }, { Untagged: 'local/app:v1' }, { Deleted: expect.stringMatching(/^sha256:/) }]);
      expect(engine.fake.callsTo('images.remove')[0].args).toEqual(['local/app:v1', { force: true, noprune: false }]);
    });

    it('load: an error after progress started goes in-band as errorDetail', async () => {
      const r = await call(engine, 'POST', '/images/load', 'first broken', { 'Content-Type': 'application/x-tar' });
      expect(r.status).toBe(200);
      expect(r.body.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown)).toEqual([
        { stream: 'Loaded image: first:latest\n' },
        { errorDetail: { message: 'unexpected EOF in layer 2' }, error: 'unexpected EOF in layer 2' },
      ]);
    });

    it('aborts the backend stream when the client goes away', async () => {
      await new Promise<void>((resolve) => {
        const req = httpRequest({ socketPath: engine.socketPath, path: '/events' }, () => {
          req.destroy();
          resolve();
        });
        req.end();
      });
      const signal = engine.fake.lastSignal;
      await new Promise((r) => setTimeout(r, 50));
      expect(signal?.aborted).toBe(true);
    });

    it('pull: fromImage streams progress; X-Registry-Auth reaches the backend decoded, and a bad one is refused', async () => {
      const auth = { username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' };
      const header = Buffer.from(JSON.stringify(auth)).toString('base64url');
      const ok = await call(engine, 'POST', '/images/create?fromImage=127.0.0.1:5000/app&tag=1&platform=linux/amd64', '', { 'X-Registry-Auth': header });
      expect(ok.status).toBe(200);
      const lines = ok.body.toString().trim().split('\n').map((l) => JSON.parse(l) as { status?: string });
      expect(lines[0].status).toBe('Pulling from 127.0.0.1:5000/app');
      expect(lines.at(-1)?.status).toMatch(/^Status: Downloaded newer image for/);
      expect(engine.fake.callsTo('images.pull').at(-1)?.args[0]).toEqual({ fromImage: '127.0.0.1:5000/app', tag: '1', platform: 'linux/amd64', auth });
      const missing = await call(engine, 'POST', '/images/create?fromImage=missing&tag=1');
      expect([missing.status, (missing.json() as { message: string }).message]).toEqual([404, 'manifest for missing not found: manifest unknown']);
      const bad = await call(engine, 'POST', '/images/create?fromImage=x', '', { 'X-Registry-Auth': 'not json!' });
      expect([bad.status, (bad.json() as { message: string }).message]).toEqual([400, expect.stringMatching(/X-Registry-Auth is not base64-encoded JSON/)]);
      const mixed = await call(engine, 'POST', '/images/create?fromImage=x&repo=y');
      expect(mixed.status).toBe(400);
    });

    it('push, prune, history, distribution, auth and system df reach the backend', async () => {
      await call(engine, 'POST', '/images/create?fromImage=me/app&tag=2');
      const push = await call(engine, 'POST', '/images/me%2Fapp/push?tag=2', '', { 'X-Registry-Auth': Buffer.from('{"username":"a","password":"b"}').toString('base64') });
      expect(push.status).toBe(200);
      expect(engine.fake.callsTo('images.push').at(-1)?.args).toEqual(['me/app', { tag: '2', auth: { username: 'a', password: 'b' } }]);
      const prune = await call(engine, 'POST', '/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D');
      expect([prune.status, prune.json()]).toEqual([200, { ImagesDeleted: null, SpaceReclaimed: 0 }]);
      expect(engine.fake.callsTo('images.prune').at(-1)?.args[0]).toEqual({ dangling: ['false'] });
      const history = await call(engine, 'GET', '/images/me/app:2/history');
      expect(history.status).toBe(200);
      const dist = await call(engine, 'GET', '/distribution/me/app:2/json');
      expect(dist.json()).toMatchObject({ Platforms: [{ os: 'linux', architecture: 'amd64' }] });
      const login = await postJson(engine, '/auth', { username: 'u', password: 'secret', serveraddress: 'r.example' });
      expect([login.status, login.json()]).toEqual([200, { Status: 'Login Succeeded' }]);
      const refused = await postJson(engine, '/auth', { username: 'u', password: 'wrong', serveraddress: 'r.example' });
      expect(refused.status).toBe(401);
      const df = await call(engine, 'GET', '/system/df?type=image&type=volume');
      expect(df.status).toBe(200);
      expect(engine.fake.callsTo('system.dataUsage').at(-1)?.args[0]).toEqual(['image', 'volume']);
    });

    it('import: an error before any progress is a proper status; the body is the tarball', async () => {
      const empty = await call(engine, 'POST', '/images/create?fromSrc=-&repo=x', '');
      expect([empty.status, empty.json()]).toEqual([400, { message: 'the import source is empty' }]);
      const url = await call(engine, 'POST', '/images/create?fromSrc=http://example.invalid/rootfs.tar');
      expect(url.status).toBe(501);
      const ok = await call(engine, 'POST', '/images/create?fromSrc=-&repo=x&tag=2&changes=ENV%20A%3D1&changes=CMD%20sh&message=hi', 'rootfs');
      expect(ok.status).toBe(200);
      expect(ok.json()).toEqual({ status: expect.stringMatching(/^sha256:/) });
      expect(engine.fake.callsTo('images.import').at(-1)?.args[0]).toEqual({ repo: 'x', tag: '2', changes: ['ENV A=1', 'CMD sh'], message: 'hi' });
    });

    it('events replay a window and end at until', async () => {
      const t0 = Math.floor(Date.now() / 1000) - 1;
      await postJson(engine, '/containers/create?name=one', { Image: 'busybox' });
      const r = await call(engine, 'GET', `/events?since=${t0}.123456789&until=${(Date.now() / 1000).toFixed(3)}`);
      expect(r.status).toBe(200);
      const events = r.body.toString().trim().split('\n').map((l) => JSON.parse(l) as { Action: string });
      expect(events.map((e) => e.Action)).toEqual(['create']);
      const args = engine.fake.callsTo('system.events')[0].args[0] as { since: Date; until: Date };
      expect(args.since.getTime()).toBe(t0 * 1000 + 123);
    });
  });

  describe('socket', () => {
    it('is created with mode 0660 and removed on close, ending open streams', async () => {
      expect(statSync(engine.socketPath).mode & 0o777).toBe(0o660);
      const ended = new Promise<void>((resolve) => {
        const req = httpRequest({ socketPath: engine.socketPath, path: '/events' }, (res) => {
          res.resume();
          res.on('close', () => resolve());
        });
        req.on('error', () => resolve());
        req.end();
      });
      await new Promise((r) => setTimeout(r, 30));
      await engine.server.close();
      await ended;
      expect(existsSync(engine.socketPath)).toBe(false);
    });

    it('replaces a stale socket file, refuses a live one, and will not unlink a regular file', async () => {
      // A live engine on the path is refused.
      const second = createApiServer(new FakeBackend().backend(), { listen: [{ kind: 'unix', path: engine.socketPath }] });
      await expect(second.listen()).rejects.toThrow(`another engine is already listening on ${engine.socketPath}`);
      // A crashed engine leaves its socket file behind: the next one replaces it.
      const stale = path.join(engine.dir, 'stale.sock');
      const crash = `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`;
      await new Promise<void>((resolve) => execFile(process.execPath, ['-e', crash], () => resolve()));
      expect(statSync(stale).isSocket()).toBe(true);
      const third = createApiServer(new FakeBackend().backend(), { listen: [{ kind: 'unix', path: stale }] });
      await third.listen();
      const pong = await new Promise<string>((resolve) => {
        httpRequest({ socketPath: stale, path: '/_ping' }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        }).end();
      });
      expect(pong).toBe('OK');
      await third.close();
      expect(existsSync(stale)).toBe(false);
      const plain = path.join(engine.dir, 'plain');
      writeFileSync(plain, 'x');
      await expect(createApiServer(new FakeBackend().backend(), { listen: [{ kind: 'unix', path: plain }] }).listen()).rejects.toThrow('exists and is not a socket');
    });
  });
});

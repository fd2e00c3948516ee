// The built-in engine's Docker Engine API server on a unix socket. It only translates: HTTP in,
// one backend call, Docker's status and shape out. No container logic lives here.
//
// Request flow: a sniffer keeps connections whose first request is a non-upgrade hijack (see
// sniff.ts) and hands the rest to node:http, which parses the head → the version prefix is negotiated (400 outside the
// served range) → the route table is matched (Docker paths the engine lacks answer 501 from
// routes/unimplemented.ts; anything else is 404 "page not found") → the handler runs
// over an Exchange, which hides whether the connection is ordinary HTTP or was upgraded to a raw
// stream (`Upgrade: tcp`, used by attach and exec start). Errors thrown before a response started
// become `{"message": …}` with the EngineError's status; after that they can only end the stream.

import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, InvalidArgumentError, type EngineBackend } from '../backend.js';
import { HttpExchange, RawExchange, type Exchange } from './exchange.js';
import { Query } from './query.js';
import { Router, type Route } from './router.js';
import { classifyFirstRequest } from './sniff.js';
import { buildRoutes } from './routes/build.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { systemRoutes } from './routes/system.js';
import { unimplementedRoutes } from './routes/unimplemented.js';
import { volumeRoutes } from './routes/volumes.js';
import { MAX_API_VERSION, negotiateVersion } from './versions.js';

export interface ApiLogger {
  debug(message: string): void;
  error(message: string): void;
}

export interface ApiServerOptions {
  socketPath: string;
  /** File mode of the socket; 0o660 lets root and the socket's group in, like docker.sock. */
  mode?: number;
  logger?: ApiLogger;
  /** Version reported in the `Server` header. */
  serverVersion?: string;
}

export interface ApiServer {
  /** Binds the socket (replacing a stale one, refusing a live one) and sets its mode. */
  listen(): Promise<void>;
  /** Stops accepting, ends every open stream and connection, and removes the socket file. */
  close(): Promise<void>;
}

// Real routes first: the 501 table only answers what none of them does.
export const apiRoutes: readonly Route[] = [...systemRoutes, ...containerRoutes, ...execRoutes, ...imageRoutes, ...networkRoutes, ...volumeRoutes, ...buildRoutes, ...unimplementedRoutes];

const silentLogger: ApiLogger = { debug: () => {}, error: () => {} };

function errorStatus(e: unknown): number {
  if (e instanceof EngineError) return e.status;
  if (e instanceof URIError) return 400;
  return 500;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether something answers on the socket: a live engine must not be unlinked under it. */
function socketIsLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export function createApiServer(backend: EngineBackend, options: ApiServerOptions): ApiServer {
  const logger = options.logger ?? silentLogger;
  const mode = options.mode ?? 0o660;
  const router = new Router(apiRoutes);
  const lifetime = new AbortController();
  // Every exchange in flight listens on the server's lifetime (and stops at its close): more than
  // ten concurrent requests are normal load, not the leak Node's default limit warns about.
  setMaxListeners(0, lifetime.signal);
  const sockets = new Set<Socket>();
  const serverHeader = `berth/${options.serverVersion ?? '0.1.0'} (linux)`;

  async function handle(x: Exchange, rawUrl: string): Promise<void> {
    x.setHeader('Api-Version', MAX_API_VERSION);
    x.setHeader('Ostype', 'linux');
    x.setHeader('Server', serverHeader);
    let where = rawUrl;
    try {
      // Prefixing (not resolving against a base) keeps `//x` a path rather than a host.
      const url = new URL(`http://engine${rawUrl.startsWith('/') ? '' : '/'}${rawUrl}`);
      where = url.pathname;
      const { version, path: routePath } = negotiateVersion(url.pathname);
      const found = router.match(x.method, routePath);
      if (!found) {
        x.reply(404, { message: 'page not found' });
        return;
      }
      await found.route.handler({ x, params: found.params, query: new Query(url.searchParams), version, backend });
    } catch (e) {
      const status = errorStatus(e);
      if (status >= 500) logger.error(`${x.method} ${where}: ${errorMessage(e)}`);
      if (x.started) {
        x.destroy();
        return;
      }
      if (status === 304) x.reply(304);
      else x.reply(status, { message: errorMessage(e) });
    } finally {
      logger.debug(`${x.method} ${rawUrl}`);
    }
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(new HttpExchange(req, res, lifetime.signal), req.url ?? '/');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void handle(new RawExchange(req, socket, head, lifetime.signal, true), req.url ?? '/');
  });

  // Reads until the first request's kind is known, then serves it raw or hands it to node:http.
  function sniff(socket: Socket): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A reset before the first request is decided must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    let seen = Buffer.alloc(0);
    const decide = () => {
      const first = classifyFirstRequest(seen);
      if (first.kind === 'more') return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      if (first.kind === 'raw') {
        void handle(new RawExchange(first.head, socket, first.rest, lifetime.signal, false), first.head.url ?? '/');
        socket.resume();
        return;
      }
      if (seen.length > 0) socket.unshift(seen);
      server.emit('connection', socket);
      socket.resume();
    };
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      decide();
    };
    // Gone before a whole request line arrived: there is nothing to answer.
    const onEnd = () => socket.destroy();
    socket.on('data', onData);
    socket.on('end', onEnd);
  }
  // allowHalfOpen as node:http has it: a client's half-close ends stdin, not the response.
  const listener = createNetServer({ allowHalfOpen: true }, sniff);
  server.on('clientError', (err: Error, socket: Socket) => {
    if (!socket.writable) return;
    const body = JSON.stringify({ message: new InvalidArgumentError(err.message).message });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 1}\r\nConnection: close\r\n\r\n${body}\n`);
  });

  return {
    async listen() {
      const socketPath = options.socketPath;
      await mkdir(path.dirname(socketPath), { recursive: true });
      const existing = await lstat(socketPath).catch(() => undefined);
      if (existing) {
        if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket; remove it or choose another path`);
        if (await socketIsLive(socketPath)) throw new Error(`another engine is already listening on ${socketPath}`);
        await unlink(socketPath);
      }
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(socketPath, () => {
          listener.off('error', reject);
          resolve();
        });
      });
      await chmod(socketPath, mode);
    },
    async close() {
      lifetime.abort();
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await unlink(options.socketPath).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    },
  };
}

// The built-in engine's Docker Engine API server on unix sockets and (only with mutual TLS) TCP.
// It only translates: HTTP in, one backend call, Docker's status and shape out. No container logic
// lives here; which addresses to serve and who may reach them is decided by its caller
// (engine/daemon/listen-config.ts), this module only binds them safely.
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
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { chmod, chown, lstat, mkdir, mkdtemp, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../errors.js';
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

/** PEM material of a TLS listener. Client certificates are always required and checked against `ca`. */
export interface ServerTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * One address to serve on. A unix socket is made mode 0660, owned by this process's user and by
 * `gid` (default: this process's group), like docker.sock; a TCP listener speaks only TLS and
 * admits only clients whose certificate `tls.ca` signed (port 0: any free port, see addresses()).
 */
export type ListenAddress = { kind: 'unix'; path: string; gid?: number } | { kind: 'tcp'; host: string; port: number; tls: ServerTls };

/** The socket mode: root and the socket's group, never others (as dockerd's docker.sock). */
export const SOCKET_MODE = 0o660;

export interface ApiServerOptions {
  listen: readonly ListenAddress[];
  logger?: ApiLogger;
  /** Version reported in the `Server` header. */
  serverVersion?: string;
}

/** An address cannot be served: a file or a live engine in the way, a port taken. */
export class ListenError extends BerthError {}

export interface ApiServer {
  /**
   * Binds every address: a socket replaces a stale one and refuses a live one, and is reachable
   * only with its final mode and owner. All or nothing: a failure unbinds what was bound.
   */
  listen(): Promise<void>;
  /** Where it serves once listening: `unix:///path`, `tcp://host:port` (the bound port). */
  addresses(): string[];
  /** Stops accepting, ends every open stream and connection, and removes the socket files. */
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

/**
 * Binds a unix socket that nobody but us can reach until it has its final mode and owner. bind()
 * creates the file with 0777 & ~umask; chmod after listen() would leave a window in which any
 * local user could connect (and a connection made then stays open), and the umask cannot be
 * narrowed just for the bind: it is process-wide, and the engine's other threads (libuv's file
 * I/O) create files at the same time. So the socket is bound inside a fresh 0700 directory next
 * to its final path, given mode 0660 and its owner there, and renamed into place: the rename is
 * atomic, and a bound socket keeps working under its new name (connect() finds it by inode).
 */
async function bindPrivately(listener: NetServer, socketPath: string, gid: number | undefined): Promise<void> {
  const dir = path.dirname(socketPath);
  await mkdir(dir, { recursive: true });
  const existing = await lstat(socketPath).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) throw new ListenError(`${socketPath} exists and is not a socket; remove it or choose another path`);
    if (await socketIsLive(socketPath)) throw new ListenError(`another engine is already listening on ${socketPath}`);
  }
  // A short name: a socket's path must fit in 108 bytes, and this one is no longer than the final
  // path for any socket name of two characters or more.
  const privateDir = await mkdtemp(path.join(dir, '.s'));
  const bound = path.join(privateDir, 's');
  try {
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void => reject(new ListenError(`cannot listen on unix://${socketPath}: ${e.message}`, { cause: e }));
      listener.once('error', failed);
      listener.listen(bound, () => {
        listener.off('error', failed);
        resolve();
      });
    });
    await chmod(bound, SOCKET_MODE);
    if (gid !== undefined) await chown(bound, process.getuid?.() ?? 0, gid);
    await rename(bound, socketPath);
  } catch (e) {
    if (listener.listening) await new Promise<void>((r) => listener.close(() => r()));
    await unlink(bound).catch(() => undefined);
    throw e;
  } finally {
    await rmdir(privateDir).catch(() => undefined);
  }
}

function bindTcp(listener: NetServer, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (e: NodeJS.ErrnoException): void => {
      const why = e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EADDRNOTAVAIL' ? 'no interface has that address' : e.code === 'EACCES' ? 'a port below 1024 needs root' : e.message;
      reject(new ListenError(`cannot listen on tcp://${host}:${port}: ${why}`, { cause: e }));
    };
    listener.once('error', failed);
    listener.listen({ host, port }, () => {
      listener.off('error', failed);
      resolve();
    });
  });
}

export function createApiServer(backend: EngineBackend, options: ApiServerOptions): ApiServer {
  const logger = options.logger ?? silentLogger;
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
  const listeners = options.listen.map((address) => {
    if (address.kind === 'unix') return { address, listener: createNetServer({ allowHalfOpen: true }, sniff) };
    // requestCert + rejectUnauthorized: the handshake fails for a client without a certificate
    // the CA signed, before any HTTP is read.
    const listener = createTlsServer({ allowHalfOpen: true, ca: address.tls.ca, cert: address.tls.cert, key: address.tls.key, requestCert: true, rejectUnauthorized: true }, sniff);
    // A certificate that does not verify ends the connection without an alert (node checks it
    // after OpenSSL's handshake), so the client only sees it closed: the reason is here.
    listener.on('tlsClientError', (e: Error, socket: TLSSocket) => {
      const why = socket.authorizationError ? `its certificate does not verify (${String(socket.authorizationError)})` : e.message.trim();
      logger.debug(`TLS client${socket.remoteAddress ? ` at ${socket.remoteAddress}` : ''} refused: ${why}`);
    });
    // Connections still in their handshake are not sniffed yet; close() ends them too.
    listener.on('connection', (raw: Socket) => {
      sockets.add(raw);
      raw.once('close', () => sockets.delete(raw));
    });
    return { address, listener };
  });
  let listening = false;
  server.on('clientError', (err: Error, socket: Socket) => {
    if (!socket.writable) return;
    const body = JSON.stringify({ message: new InvalidArgumentError(err.message).message });
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 1}\r\nConnection: close\r\n\r\n${body}\n`);
  });

  /** Stops the listeners and removes their socket files (the renamed ones: libuv only knows the bound path). */
  async function closeListeners(which: typeof listeners): Promise<void> {
    await Promise.all(which.map(({ listener }) => new Promise<void>((resolve) => listener.close(() => resolve()))));
    for (const { address } of which) {
      if (address.kind !== 'unix') continue;
      await unlink(address.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
  }

  return {
    async listen() {
      const bound: typeof listeners = [];
      try {
        for (const l of listeners) {
          if (l.address.kind === 'unix') await bindPrivately(l.listener, l.address.path, l.address.gid);
          else await bindTcp(l.listener, l.address.host, l.address.port);
          bound.push(l);
        }
      } catch (e) {
        await closeListeners(bound);
        throw e;
      }
      listening = true;
    },
    addresses() {
      if (!listening) return [];
      return listeners.map(({ address, listener }) => {
        if (address.kind === 'unix') return `unix://${address.path}`;
        const { port } = listener.address() as AddressInfo;
        return `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`;
      });
    },
    async close() {
      lifetime.abort();
      const closed = closeListeners(listening ? listeners : []);
      listening = false;
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

// EnginePort over dockerode: any Docker Engine API endpoint — a Docker Engine, or berth's built-in
// engine on its unix socket. Errors are wrapped once here into EnginePortError with the status the
// engine answered; output streams are demultiplexed (moby's 8-byte frame headers) unless the
// container has a TTY.

import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { jsonRequest, progressRequest, streamingRequest, type ClientTls, type Endpoint, type ProgressLine, type Query, type StreamingResponse } from './http-json.js';
import { encodeAuthHeader, registryAuthHeader, type CredentialSource } from './registry-auth.js';
import { parseRegistryReference } from '../engine/distribution/names.js';
import {
  EnginePortError,
  type AttachOptions,
  type ContainerCreateBody,
  type ContainerInspect,
  type ContainerPort,
  type ContainerStats,
  type EndpointSettings,
  type EngineEvent,
  type EnginePort,
  type EngineVersion,
  type EventsOptions,
  type ExecPort,
  type ExecStartOptions,
  type Filters,
  type ImagePort,
  type LogsOptions,
  type NetworkPort,
  type OutputChunk,
  type PathStat,
  type PutArchiveOptions,
  type StopOptions,
  type TransferOptions,
  type VolumePort,
  type ImageBuildRequest,
  type BuildStreamEvent,
  ImageBuildError,
} from './engine-port.js';
import { BuildStreamReader } from './build-stream.js';

export interface DockerPortOptions {
  /** A unix socket path. */
  socketPath?: string;
  /** `tcp://host:port` or `http://host:port` (loopback only in tests). */
  host?: string;
  port?: number;
  /** TLS over TCP (dockerTls: DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
  tls?: ClientTls;
  /** For messages. */
  description?: string;
  /** See EnginePort.createsWithAllNetworks. */
  createsWithAllNetworks?: boolean;
  /** Registry credentials for pulls and pushes (default: Docker's config.json, as the docker CLI). */
  credentials?: CredentialSource;
}

/** Where a DOCKER_HOST value (`unix:///path`, `tcp://h:p`) points, without TLS settings. */
export function parseDockerHost(dockerHost: string): { socketPath: string } | { host: string; port?: number; https: boolean } {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('/')) return { socketPath: dockerHost };
  const m = /^(?:tcp|http|https):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(dockerHost);
  if (!m) throw new EnginePortError('engine.connect', dockerHost, 0, 'DOCKER_HOST must be unix:///path or tcp://host:port');
  return { host: m[1], ...(m[2] ? { port: Number(m[2]) } : {}), https: dockerHost.startsWith('https') };
}

/**
 * TLS as the docker CLI sets it up from its environment: DOCKER_TLS_VERIFY (any value) turns TLS on
 * and checks the engine's certificate against `ca.pem`; DOCKER_TLS alone turns it on unchecked.
 * The files are in DOCKER_CERT_PATH (else ~/.docker); `cert.pem` and `key.pem`, the client's
 * certificate, are sent when present (an engine with --tlsverify requires them). An `https://`
 * host is TLS too, checked against `ca.pem` when present, else the system's CAs.
 */
export function dockerTls(env: Readonly<Record<string, string | undefined>>, https = false): ClientTls | undefined {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  if (!verify && !env.DOCKER_TLS && !https) return undefined;
  const dir = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || path.join(env.HOME || homedir(), '.docker');
  const read = (name: string, required: boolean): Buffer | undefined => {
    try {
      return readFileSync(path.join(dir, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') return undefined;
      throw new EnginePortError('engine.connect', undefined, 0, `cannot read ${path.join(dir, name)}: ${code ?? (e as Error).message} (DOCKER_CERT_PATH names the directory with ca.pem, cert.pem and key.pem)`);
    }
  };
  const checked = verify || !env.DOCKER_TLS;
  const ca = checked ? read('ca.pem', verify) : undefined;
  const cert = read('cert.pem', false);
  const key = read('key.pem', false);
  if (Boolean(cert) !== Boolean(key)) throw new EnginePortError('engine.connect', undefined, 0, `${path.join(dir, cert ? 'key.pem' : 'cert.pem')} is missing: the client certificate needs both cert.pem and key.pem`);
  return { verify: checked, ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
}

/**
 * A DOCKER_HOST value as DockerPort options, with TLS from the environment for a TCP host (the
 * port defaults to 2376 with TLS, else 2375, as the docker CLI's).
 */
export function dockerHostOptions(dockerHost: string, env: Readonly<Record<string, string | undefined>>): DockerPortOptions {
  const where = parseDockerHost(dockerHost);
  if ('socketPath' in where) return where;
  const tls = dockerTls(env, where.https);
  return { host: where.host, port: where.port ?? (tls ? 2376 : 2375), ...(tls ? { tls } : {}) };
}

/** dockerode's connection options for ours: TLS through an agent, which also carries `verify`. */
function dockerodeConnection(c: Omit<DockerPortOptions, 'description' | 'createsWithAllNetworks' | 'credentials'>): object {
  if (c.socketPath) return { socketPath: c.socketPath };
  if (!c.tls) return { host: c.host, port: c.port, protocol: 'http' };
  const { verify, ca, cert, key } = c.tls;
  return { host: c.host, port: c.port, protocol: 'https', agent: new HttpsAgent({ rejectUnauthorized: verify, ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) }) };
}

interface DockerodeError {
  statusCode?: number;
  json?: { message?: string } | Buffer | string | null;
  reason?: string;
  message?: string;
  code?: string;
}

function engineMessage(e: DockerodeError): string {
  const json = e.json;
  if (json && typeof json === 'object' && !Buffer.isBuffer(json) && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(json)) return json.toString('utf8').trim();
  if (typeof json === 'string' && json) return json.trim();
  return e.reason ?? e.message ?? String(e);
}

/** Runs one engine call, wrapping its failure once with the operation and object. */
async function call<T>(operation: string, target: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof EnginePortError) throw e;
    const err = e as DockerodeError;
    throw new EnginePortError(operation, target, err.statusCode ?? 0, engineMessage(err), { cause: e });
  }
}

/** Calls where the engine answers 304 for "already so": start a running container, stop a stopped one. */
async function callIdempotent(operation: string, target: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await call(operation, target, run);
  } catch (e) {
    if (e instanceof EnginePortError && e.status === 304) return;
    throw e;
  }
}

/**
 * Splits moby's multiplexed stream (header: stream byte, 3 zero bytes, 4-byte big-endian length)
 * into chunks; `raw` streams (TTY) pass through as stdout.
 */
export async function* demux(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, raw: boolean): AsyncGenerator<OutputChunk> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const piece of source) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (raw) {
      if (buf.length) yield { stream: 'stdout', data: buf };
      continue;
    }
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const kind = pending[0];
      const data = pending.subarray(8, 8 + size);
      pending = pending.subarray(8 + size);
      if (kind === 1 || kind === 2) yield { stream: kind === 2 ? 'stderr' : 'stdout', data: Buffer.from(data) };
    }
  }
}

/** Destroys a stream when the signal fires, so a `for await` over it ends. */
function endOnAbort(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const stop = (): void => {
    (stream as Readable).destroy?.();
  };
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
}

/** Iterates a stream, treating its destruction by our own abort as a normal end. */
async function* quietly<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  try {
    for await (const x of source) yield x;
  } catch (e) {
    if (signal?.aborted) return;
    const code = (e as { code?: string }).code;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') return;
    throw e;
  }
}

/** The archive API's `X-Docker-Container-Path-Stat` header: base64 of a JSON PathStat. */
function pathStatOf(headers: Record<string, string | string[] | undefined>): PathStat {
  const raw = headers['x-docker-container-path-stat'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (!text) return { name: '', size: 0, mode: 0, mtime: '', linkTarget: '' };
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as PathStat;
}

async function* jsonLines<T = EngineEvent>(stream: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let rest = '';
  for await (const piece of stream) {
    rest += typeof piece === 'string' ? piece : piece.toString('utf8');
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  if (rest.trim()) yield JSON.parse(rest) as T;
}

const filterQuery = (filters: Filters | undefined): string | undefined =>
  filters && Object.keys(filters).length ? JSON.stringify(filters) : undefined;

const enc = encodeURIComponent;
/** Image references keep their slashes and colons in the path, as the Docker CLI sends them. */
const encImage = (name: string): string => name.split('/').map((p) => encodeURIComponent(p).replace(/%3A/gi, ':').replace(/%40/g, '@')).join('/');

/** POST /build with the classic builder; the JSON stream is read as it comes. */
async function buildImage(docker: Docker, req: ImageBuildRequest, onEvent: (e: BuildStreamEvent) => void = () => undefined): Promise<{ id: string }> {
  const target = req.tags[0] ?? 'image';
  const options = {
    t: req.tags,
    dockerfile: req.dockerfile,
    ...(req.buildArgs && Object.keys(req.buildArgs).length > 0 ? { buildargs: req.buildArgs } : {}),
    ...(req.target ? { target: req.target } : {}),
    ...(req.labels && Object.keys(req.labels).length > 0 ? { labels: req.labels } : {}),
    ...(req.noCache ? { nocache: true } : {}),
    ...(req.pull ? { pull: true } : {}),
    ...(req.network ? { networkmode: req.network } : {}),
    ...(req.shmSize ? { shmsize: req.shmSize } : {}),
    ...(req.extraHosts?.length ? { extrahosts: req.extraHosts.join(',') } : {}),
    ...(req.platform ? { platform: req.platform } : {}),
    rm: true,
    forcerm: true,
    ...(req.signal ? { abortSignal: req.signal } : {}),
  };
  const stream = (await call('image.build', target, () => docker.buildImage(req.context() as unknown as NodeJS.ReadableStream, options as unknown as Docker.ImageBuildOptions))) as unknown as AsyncIterable<Buffer>;
  const reader = new BuildStreamReader(onEvent);
  try {
    for await (const chunk of stream) reader.push(chunk);
  } catch (e) {
    throw new EnginePortError('image.build', target, 0, (e as Error).message, { cause: e });
  }
  const result = reader.end();
  if (result.error !== undefined) throw new ImageBuildError(target, result.error, result.lastOutput);
  if (!result.id) throw new ImageBuildError(target, 'the engine reported no image id', result.lastOutput);
  return { id: result.id };
}

export class DockerPort implements EnginePort {
  readonly description: string;
  readonly createsWithAllNetworks: boolean;
  readonly containers: ContainerPort;
  readonly exec: ExecPort;
  readonly networks: NetworkPort;
  readonly volumes: VolumePort;
  readonly images: ImagePort;
  private readonly connection: Omit<DockerPortOptions, 'description'>;
  private dockerode: Docker | undefined;

  /** dockerode, loaded on first use: only streams need it (see http-json.ts for why). */
  get docker(): Docker {
    if (!this.dockerode) {
      const DockerCtor = createRequire(import.meta.url)('dockerode') as new (o: object) => Docker;
      this.dockerode = new DockerCtor(dockerodeConnection(this.connection));
    }
    return this.dockerode;
  }

  constructor(options: DockerPortOptions) {
    const { description, createsWithAllNetworks, credentials, ...connection } = options;
    this.connection = connection;
    this.createsWithAllNetworks = createsWithAllNetworks === true;
    this.description = description ?? (options.socketPath ? `engine at ${options.socketPath}` : `engine at ${options.host}:${options.port}`);
    const endpoint: Endpoint = connection.socketPath ? { socketPath: connection.socketPath } : { host: connection.host, port: connection.port, ...(connection.tls ? { tls: connection.tls } : {}) };
    const api = async <T>(operation: string, target: string | undefined, method: string, path: string, o: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> => {
      let r;
      try {
        r = await jsonRequest(endpoint, method, path, o);
      } catch (e) {
        throw new EnginePortError(operation, target, 0, (e as Error).message, { cause: e });
      }
      if (r.status >= 200 && r.status < 300) return r.body as T;
      const b = r.body as { message?: unknown } | string | undefined;
      const message = typeof b === 'object' && b && typeof b.message === 'string' ? b.message : typeof b === 'string' && b.trim() ? b.trim() : `HTTP ${r.status}`;
      throw new EnginePortError(operation, target, r.status, message);
    };
    const streamed = async (operation: string, target: string, method: string, path: string, o: { query?: Query; signal?: AbortSignal } = {}): Promise<StreamingResponse> => {
      let r: StreamingResponse;
      try {
        r = await streamingRequest(endpoint, method, path, o);
      } catch (e) {
        throw new EnginePortError(operation, target, 0, (e as Error).message, { cause: e });
      }
      if (r.message !== undefined) throw new EnginePortError(operation, target, r.status, r.message);
      return r;
    };
    const filters = (f: Filters | undefined): string | undefined => filterQuery(f);
    /**
     * A pull or push: the progress stream goes to `onProgress`, an error line (a failure after the
     * stream began) is thrown at the end with the engine's message. dockerd requires the auth
     * header on a push even when empty.
     */
    const transfer = async (operation: string, ref: string, method: string, path: string, query: Query, o: TransferOptions, onLine: (line: ProgressLine) => void): Promise<void> => {
      const auth = (await registryAuthHeader(ref, credentials)) ?? encodeAuthHeader({});
      let failure: string | undefined;
      let r;
      try {
        r = await progressRequest(endpoint, method, path, {
          query,
          headers: { 'X-Registry-Auth': auth },
          ...(o.signal ? { signal: o.signal } : {}),
          onLine: (line) => {
            if (typeof line.error === 'string') failure = line.error;
            onLine(line);
            const detail = line.progressDetail as { current?: number; total?: number } | undefined;
            if (typeof line.status === 'string') {
              o.onProgress?.({ ...(typeof line.id === 'string' ? { id: line.id } : {}), status: line.status, ...(detail?.current !== undefined ? { current: detail.current } : {}), ...(detail?.total !== undefined ? { total: detail.total } : {}) });
            }
          },
        });
      } catch (e) {
        throw new EnginePortError(operation, ref, 0, (e as Error).message, { cause: e });
      }
      if (r.status < 200 || r.status >= 300) {
        const b = r.body as { message?: unknown } | string | undefined;
        throw new EnginePortError(operation, ref, r.status, typeof b === 'object' && b && typeof b.message === 'string' ? b.message : String(b ?? `HTTP ${r.status}`));
      }
      if (failure) throw new EnginePortError(operation, ref, 500, failure);
    };
    const stopQuery = (o: StopOptions): Query => ({ t: o.timeout, signal: o.signal });
    const isTty = async (id: string): Promise<boolean> => Boolean((await this.containers.inspect(id)).Config?.Tty);

    this.containers = {
      list: (o = {}) => api('container.list', undefined, 'GET', '/containers/json', { query: { all: o.all ?? false, filters: filters(o.filters) } }),
      inspect: (id) => api('container.inspect', id, 'GET', `/containers/${enc(id)}/json`),
      create: (name, body: ContainerCreateBody) =>
        api<{ Id: string; Warnings: string[] | null }>('container.create', name || body.Image, 'POST', '/containers/create', { query: { name: name || undefined }, body }).then((r) => ({ Id: r.Id, Warnings: r.Warnings ?? [] })),
      start: (id) => callIdempotent('container.start', id, () => api('container.start', id, 'POST', `/containers/${enc(id)}/start`)),
      stop: (id, o: StopOptions = {}) => callIdempotent('container.stop', id, () => api('container.stop', id, 'POST', `/containers/${enc(id)}/stop`, { query: stopQuery(o) })),
      kill: (id, signal) => api<void>('container.kill', id, 'POST', `/containers/${enc(id)}/kill`, { query: { signal } }).then(() => undefined),
      restart: (id, o: StopOptions = {}) => api<void>('container.restart', id, 'POST', `/containers/${enc(id)}/restart`, { query: stopQuery(o) }).then(() => undefined),
      remove: (id, o = {}) => api<void>('container.remove', id, 'DELETE', `/containers/${enc(id)}`, { query: { force: o.force ?? false, v: o.volumes ?? false } }).then(() => undefined),
      wait: (id, condition = 'not-running', signal) =>
        api<{ StatusCode: number }>('container.wait', id, 'POST', `/containers/${enc(id)}/wait`, { query: { condition }, ...(signal ? { signal } : {}) }),
      logs: (id, o: LogsOptions = {}) => {
        const docker = (): Docker => this.docker;
        const run = async function* (): AsyncGenerator<OutputChunk> {
          const tty = await isTty(id);
          const opts = {
            follow: o.follow ?? false,
            stdout: o.stdout ?? true,
            stderr: o.stderr ?? true,
            timestamps: o.timestamps ?? false,
            ...(o.tail !== undefined ? { tail: o.tail } : {}),
            ...(o.since !== undefined ? { since: o.since } : {}),
            ...(o.until !== undefined ? { until: o.until } : {}),
          };
          if (!opts.follow) {
            const buf = (await call('container.logs', id, () => docker().getContainer(id).logs({ ...opts, follow: false }))) as unknown as Buffer;
            yield* demux([buf], tty);
            return;
          }
          const stream = await call('container.logs', id, () => docker().getContainer(id).logs({ ...opts, follow: true }));
          endOnAbort(stream, o.signal);
          yield* demux(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal), tty);
        };
        return run();
      },
      attach: async (id, o: AttachOptions = {}) => {
        const tty = await isTty(id);
        const stream = await call('container.attach', id, () =>
          this.docker.getContainer(id).attach({
            stream: true,
            logs: o.logs ?? false,
            stdout: o.stdout ?? true,
            stderr: o.stderr ?? true,
            stdin: Boolean(o.stdin),
            hijack: Boolean(o.stdin),
          }),
        );
        // As for exec: on a TTY, the end of our input would end the container's output on dockerd.
        if (o.stdin) o.stdin.pipe(stream as unknown as NodeJS.WritableStream, { end: !tty });
        endOnAbort(stream, o.signal);
        return demux(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal), tty);
      },
      pause: (id) => api<void>('container.pause', id, 'POST', `/containers/${enc(id)}/pause`).then(() => undefined),
      unpause: (id) => api<void>('container.unpause', id, 'POST', `/containers/${enc(id)}/unpause`).then(() => undefined),
      top: (id, psArgs) => api('container.top', id, 'GET', `/containers/${enc(id)}/top`, { query: { ps_args: psArgs } }),
      stats: (id) => api('container.stats', id, 'GET', `/containers/${enc(id)}/stats`, { query: { stream: false, 'one-shot': true } }),
      statsStream: (id, signal) =>
        (async function* () {
          const r = await streamed('container.stats', id, 'GET', `/containers/${enc(id)}/stats`, { query: { stream: true }, ...(signal ? { signal } : {}) });
          yield* jsonLines<ContainerStats>(quietly(r.body, signal));
        })(),
      rename: (id, newName) => api<void>('container.rename', id, 'POST', `/containers/${enc(id)}/rename`, { query: { name: newName } }).then(() => undefined),
      putArchive: (id, path, tar, o: PutArchiveOptions = {}) =>
        call('container.putArchive', id, () =>
          this.docker.getContainer(id).putArchive(Buffer.isBuffer(tar) ? Readable.from([tar]) : tar, {
            path,
            ...(o.copyUIDGID ? { copyUIDGID: '1' } : {}),
            ...(o.noOverwriteDirNonDir ? { noOverwriteDirNonDir: '1' } : {}),
          }),
        ).then(() => undefined),
      archiveStat: async (id, path) => pathStatOf((await streamed('container.archiveStat', `${id}:${path}`, 'HEAD', `/containers/${enc(id)}/archive`, { query: { path } })).headers),
      getArchive: async (id, path, signal) => {
        const r = await streamed('container.getArchive', `${id}:${path}`, 'GET', `/containers/${enc(id)}/archive`, { query: { path }, ...(signal ? { signal } : {}) });
        return { stat: pathStatOf(r.headers), tar: quietly(r.body, signal) };
      },
    };

    this.exec = {
      create: (containerId, body) => api<{ Id: string }>('exec.create', containerId, 'POST', `/containers/${enc(containerId)}/exec`, { body }).then((r) => ({ Id: r.Id })),
      start: async (execId, o: ExecStartOptions = {}) => {
        if (o.detach) {
          await api('exec.start', execId, 'POST', `/exec/${enc(execId)}/start`, { body: { Detach: true, Tty: o.tty ?? false } });
          return (async function* () {})();
        }
        const exec = this.docker.getExec(execId);
        const stream = await call('exec.start', execId, () => exec.start({ hijack: true, stdin: Boolean(o.stdin), Detach: false, Tty: o.tty ?? false }));
        // With a TTY, dockerd closes the session's output when its stdin ends (moby's attach copies
        // stop together), so the end of our input is not passed on: the output would be lost.
        if (o.stdin) o.stdin.pipe(stream as unknown as NodeJS.WritableStream, { end: !(o.tty ?? false) });
        endOnAbort(stream, o.signal);
        return demux(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal), o.tty ?? false);
      },
      inspect: (execId) => api('exec.inspect', execId, 'GET', `/exec/${enc(execId)}/json`),
    };

    this.networks = {
      list: (f) => api('network.list', undefined, 'GET', '/networks', { query: { filters: filters(f) } }),
      inspect: (id) => api('network.inspect', id, 'GET', `/networks/${enc(id)}`),
      create: (body) => api<{ Id: string }>('network.create', body.Name, 'POST', '/networks/create', { body }).then((r) => ({ Id: r.Id })),
      remove: (id) => api<void>('network.remove', id, 'DELETE', `/networks/${enc(id)}`).then(() => undefined),
      connect: (network, container, endpoint?: EndpointSettings) =>
        api<void>('network.connect', `${network} ← ${container}`, 'POST', `/networks/${enc(network)}/connect`, { body: { Container: container, ...(endpoint ? { EndpointConfig: endpoint } : {}) } }).then(() => undefined),
      disconnect: (network, container, force = false) =>
        api<void>('network.disconnect', `${network} ← ${container}`, 'POST', `/networks/${enc(network)}/disconnect`, { body: { Container: container, Force: force } }).then(() => undefined),
    };

    this.volumes = {
      list: async (f) => (await api<{ Volumes: Docker.VolumeInspectInfo[] | null }>('volume.list', undefined, 'GET', '/volumes', { query: { filters: filters(f) } })).Volumes ?? [],
      inspect: (name) => api('volume.inspect', name, 'GET', `/volumes/${enc(name)}`),
      create: (body) => api('volume.create', body.Name, 'POST', '/volumes/create', { body }),
      remove: (name, force = false) => api<void>('volume.remove', name, 'DELETE', `/volumes/${enc(name)}`, { query: { force } }).then(() => undefined),
    };

    this.images = {
      list: (f) => api('image.list', undefined, 'GET', '/images/json', { query: { filters: filters(f) } }),
      inspect: (name) => api('image.inspect', name, 'GET', `/images/${encImage(name)}/json`),
      remove: (name, o = {}) => api<void>('image.remove', name, 'DELETE', `/images/${encImage(name)}`, { query: { force: o.force ?? false, noprune: o.noprune ?? false } }).then(() => undefined),
      pull: async (ref, o = {}) => {
        const r = parseRegistryReference(ref);
        let digest: string | undefined;
        let updated = true;
        await transfer('image.pull', ref, 'POST', '/images/create', { fromImage: `${r.domain}/${r.path}`, tag: r.digest ?? r.tag, platform: o.platform }, o, (line) => {
          const status = typeof line.status === 'string' ? line.status : '';
          const d = /^Digest: (sha256:[0-9a-f]{64})/.exec(status);
          if (d) digest = d[1];
          if (/^Status: Image is up to date/.test(status)) updated = false;
        });
        return { ...(digest ? { digest } : {}), updated };
      },
      push: async (ref, o = {}) => {
        const r = parseRegistryReference(ref);
        let digest: string | undefined;
        await transfer('image.push', ref, 'POST', `/images/${encImage(`${r.domain}/${r.path}`)}/push`, { tag: r.tag }, o, (line) => {
          const aux = line.aux as { Digest?: unknown } | undefined;
          if (aux && typeof aux.Digest === 'string') digest = aux.Digest;
        });
        return digest ? { digest } : {};
      },
      registryDigest: async (ref, o = {}) => {
        const auth = await registryAuthHeader(ref, credentials);
        const r = await jsonRequest(endpoint, 'GET', `/distribution/${encImage(ref)}/json`, { ...(o.signal ? { signal: o.signal } : {}), ...(auth ? { headers: { 'X-Registry-Auth': auth } } : {}) }).catch((e: unknown) => {
          throw new EnginePortError('image.distribution', ref, 0, (e as Error).message, { cause: e });
        });
        const body = r.body as { Descriptor?: { digest?: string }; message?: string } | undefined;
        if (r.status !== 200 || typeof body?.Descriptor?.digest !== 'string') throw new EnginePortError('image.distribution', ref, r.status, body?.message ?? `HTTP ${r.status}`);
        return body.Descriptor.digest;
      },
      build: (req, onEvent) => buildImage(this.docker, req, onEvent),
    };
    this.pingApi = () => api('ping', this.description, 'GET', '/_ping').then(() => undefined);
    this.versionApi = () => api('version', this.description, 'GET', '/version');
  }

  private readonly pingApi: () => Promise<void>;
  private readonly versionApi: () => Promise<Docker.DockerVersion>;

  events(o: EventsOptions = {}): AsyncIterable<EngineEvent> {
    const self = this;
    return (async function* () {
      const docker = self.docker;
      const stream = await call('events', undefined, () =>
        docker.getEvents({
          ...(filterQuery(o.filters) ? { filters: filterQuery(o.filters) } : {}),
          ...(o.since !== undefined ? { since: o.since } : {}),
          ...(o.until !== undefined ? { until: o.until } : {}),
        }),
      );
      endOnAbort(stream, o.signal);
      yield* jsonLines(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal));
    })();
  }

  async ping(): Promise<void> {
    await this.pingApi();
  }

  async version(): Promise<EngineVersion> {
    const v = await this.versionApi();
    const platform = (v as { Platform?: { Name?: string } }).Platform?.Name ?? '';
    return {
      version: v.Version,
      apiVersion: v.ApiVersion,
      flavour: platform.startsWith('berth') ? 'berth' : 'docker',
      os: v.Os,
      arch: v.Arch,
    };
  }
}

// EnginePort over dockerode: any Docker Engine API endpoint — a Docker Engine, or berth's built-in
// engine on its unix socket. Errors are wrapped once here into EnginePortError with the status the
// engine answered; output streams are demultiplexed (moby's 8-byte frame headers) unless the
// container has a TTY.

import { Readable } from 'node:stream';
import Docker from 'dockerode';
import {
  EnginePortError,
  type AttachOptions,
  type ContainerCreateBody,
  type ContainerInspect,
  type ContainerPort,
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
  type StopOptions,
  type VolumePort,
} from './engine-port.js';

export interface DockerPortOptions {
  /** A unix socket path. */
  socketPath?: string;
  /** `tcp://host:port` or `http://host:port` (loopback only in tests). */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** For messages. */
  description?: string;
}

/** Parses a DOCKER_HOST value (`unix:///path`, `tcp://h:p`) into dockerode options. */
export function dockerHostOptions(dockerHost: string): DockerPortOptions {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('/')) return { socketPath: dockerHost };
  const m = /^(?:tcp|http|https):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(dockerHost);
  if (!m) throw new EnginePortError('engine.connect', dockerHost, 0, 'DOCKER_HOST must be unix:///path or tcp://host:port');
  return { host: m[1], port: m[2] ? Number(m[2]) : 2375, protocol: dockerHost.startsWith('https') ? 'https' : 'http' };
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

async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<EngineEvent> {
  let rest = '';
  for await (const piece of stream) {
    rest += typeof piece === 'string' ? piece : piece.toString('utf8');
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as EngineEvent;
    }
  }
  if (rest.trim()) yield JSON.parse(rest) as EngineEvent;
}

const filterQuery = (filters: Filters | undefined): string | undefined =>
  filters && Object.keys(filters).length ? JSON.stringify(filters) : undefined;

export class DockerPort implements EnginePort {
  readonly description: string;
  readonly docker: Docker;
  readonly containers: ContainerPort;
  readonly exec: ExecPort;
  readonly networks: NetworkPort;
  readonly volumes: VolumePort;
  readonly images: ImagePort;

  constructor(options: DockerPortOptions) {
    const { description, ...connection } = options;
    this.docker = new Docker(connection);
    this.description = description ?? (options.socketPath ? `engine at ${options.socketPath}` : `engine at ${options.host}:${options.port}`);
    const docker = this.docker;
    const isTty = async (id: string): Promise<boolean> => Boolean((await call('container.inspect', id, () => docker.getContainer(id).inspect())).Config?.Tty);

    this.containers = {
      list: (o = {}) => call('container.list', undefined, () => docker.listContainers({ all: o.all ?? false, ...(filterQuery(o.filters) ? { filters: filterQuery(o.filters) } : {}) })),
      inspect: (id) => call('container.inspect', id, () => docker.getContainer(id).inspect() as Promise<ContainerInspect>),
      create: (name, body: ContainerCreateBody) =>
        call('container.create', name || body.Image, async () => {
          const c = await docker.createContainer({ ...body, ...(name ? { name } : {}) });
          // dockerode keeps the create response's warnings only on its raw answer; none is lost by
          // answering empty here because compose prints none either.
          return { Id: c.id, Warnings: [] };
        }),
      start: (id) => callIdempotent('container.start', id, () => docker.getContainer(id).start()),
      stop: (id, o: StopOptions = {}) =>
        callIdempotent('container.stop', id, () =>
          docker.getContainer(id).stop({ ...(o.timeout !== undefined ? { t: o.timeout } : {}), ...(o.signal ? { signal: o.signal } : {}) }),
        ),
      kill: (id, signal) => call('container.kill', id, () => docker.getContainer(id).kill(signal ? { signal } : {})).then(() => undefined),
      restart: (id, o: StopOptions = {}) =>
        call('container.restart', id, () =>
          docker.getContainer(id).restart({ ...(o.timeout !== undefined ? { t: o.timeout } : {}), ...(o.signal ? { signal: o.signal } : {}) }),
        ).then(() => undefined),
      remove: (id, o = {}) => call('container.remove', id, () => docker.getContainer(id).remove({ force: o.force ?? false, v: o.volumes ?? false })).then(() => undefined),
      wait: (id, condition = 'not-running', signal) =>
        call('container.wait', id, () => docker.getContainer(id).wait({ condition, ...(signal ? { abortSignal: signal } : {}) }) as Promise<{ StatusCode: number }>),
      logs: (id, o: LogsOptions = {}) => {
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
            const buf = (await call('container.logs', id, () => docker.getContainer(id).logs({ ...opts, follow: false }))) as unknown as Buffer;
            yield* demux([buf], tty);
            return;
          }
          const stream = await call('container.logs', id, () => docker.getContainer(id).logs({ ...opts, follow: true }));
          endOnAbort(stream, o.signal);
          yield* demux(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal), tty);
        };
        return run();
      },
      attach: async (id, o: AttachOptions = {}) => {
        const tty = await isTty(id);
        const stream = await call('container.attach', id, () =>
          docker.getContainer(id).attach({
            stream: true,
            logs: o.logs ?? false,
            stdout: o.stdout ?? true,
            stderr: o.stderr ?? true,
            stdin: Boolean(o.stdin),
            hijack: Boolean(o.stdin),
          }),
        );
        if (o.stdin) o.stdin.pipe(stream as unknown as NodeJS.WritableStream);
        endOnAbort(stream, o.signal);
        return demux(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal), tty);
      },
      pause: (id) => call('container.pause', id, () => docker.getContainer(id).pause()).then(() => undefined),
      unpause: (id) => call('container.unpause', id, () => docker.getContainer(id).unpause()).then(() => undefined),
      top: (id, psArgs) => call('container.top', id, () => docker.getContainer(id).top(psArgs ? { ps_args: psArgs } : {}) as Promise<{ Titles: string[]; Processes: string[][] }>),
      rename: (id, newName) => call('container.rename', id, () => docker.getContainer(id).rename({ name: newName })).then(() => undefined),
      putArchive: (id, path, tar) =>
        call('container.putArchive', id, () => docker.getContainer(id).putArchive(Buffer.isBuffer(tar) ? Readable.from([tar]) : tar, { path })).then(() => undefined),
    };

    this.exec = {
      create: (containerId, body) => call('exec.create', containerId, async () => ({ Id: (await docker.getContainer(containerId).exec(body)).id })),
      start: async (execId, o: ExecStartOptions = {}) => {
        const exec = docker.getExec(execId);
        if (o.detach) {
          await call('exec.start', execId, () => exec.start({ Detach: true, Tty: o.tty ?? false }));
          return (async function* () {})();
        }
        const stream = await call('exec.start', execId, () => exec.start({ hijack: true, stdin: Boolean(o.stdin), Detach: false, Tty: o.tty ?? false }));
        if (o.stdin) o.stdin.pipe(stream as unknown as NodeJS.WritableStream);
        endOnAbort(stream, o.signal);
        return demux(quietly(stream as unknown as AsyncIterable<Buffer>, o.signal), o.tty ?? false);
      },
      inspect: (execId) => call('exec.inspect', execId, () => docker.getExec(execId).inspect()),
    };

    this.networks = {
      list: (filters) => call('network.list', undefined, () => docker.listNetworks(filterQuery(filters) ? { filters: filterQuery(filters) } : {})),
      inspect: (id) => call('network.inspect', id, () => docker.getNetwork(id).inspect()),
      create: (body) => call('network.create', body.Name, async () => ({ Id: (await docker.createNetwork(body)).id })),
      remove: (id) => call('network.remove', id, () => docker.getNetwork(id).remove()).then(() => undefined),
      connect: (network, container, endpoint?: EndpointSettings) =>
        call('network.connect', `${network} ← ${container}`, () => docker.getNetwork(network).connect({ Container: container, ...(endpoint ? { EndpointConfig: endpoint } : {}) })).then(() => undefined),
      disconnect: (network, container, force = false) =>
        call('network.disconnect', `${network} ← ${container}`, () => docker.getNetwork(network).disconnect({ Container: container, Force: force })).then(() => undefined),
    };

    this.volumes = {
      list: async (filters) => (await call('volume.list', undefined, () => docker.listVolumes(filterQuery(filters) ? { filters: filterQuery(filters) } : {}))).Volumes ?? [],
      inspect: (name) => call('volume.inspect', name, () => docker.getVolume(name).inspect()),
      create: (body) => call('volume.create', body.Name, () => docker.createVolume(body) as unknown as Promise<Docker.VolumeInspectInfo>),
      remove: (name, force = false) => call('volume.remove', name, () => docker.getVolume(name).remove({ force })).then(() => undefined),
    };

    this.images = {
      list: (filters) => call('image.list', undefined, () => docker.listImages(filterQuery(filters) ? { filters: filterQuery(filters) } : {})),
      inspect: (name) => call('image.inspect', name, () => docker.getImage(name).inspect()),
      remove: (name, o = {}) => call('image.remove', name, () => docker.getImage(name).remove({ force: o.force ?? false, noprune: o.noprune ?? false })).then(() => undefined),
    };
  }

  events(o: EventsOptions = {}): AsyncIterable<EngineEvent> {
    const docker = this.docker;
    return (async function* () {
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
    await call('ping', this.description, () => this.docker.ping());
  }

  async version(): Promise<EngineVersion> {
    const v = await call('version', this.description, () => this.docker.version());
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

// SwarmPort over a manager's Docker API, with plain node:http requests (http-json.ts says why not
// dockerode): JSON calls for the objects, one streaming request per service for logs. Failures
// are wrapped once here into EnginePortError with the operation, the object and the status.
import type { IncomingMessage } from 'node:http';
import { demux } from './docker-port.js';
import { EnginePortError, type Filters } from './engine-port.js';
import { endpointRequest, jsonRequest, queryString, type Endpoint, type Query } from './http-json.js';
import type { FileObjectInfo, NetworkInfo, SwarmInfo } from './swarm-api.js';
import type { FileObjectPort, ServiceLogLine, ServiceLogsOptions, SwarmPort } from './swarm-port.js';

const enc = encodeURIComponent;
const filterQuery = (f: Filters | undefined): string | undefined => (f && Object.keys(f).length ? JSON.stringify(f) : undefined);
/** Image references keep their slashes and colons in the path, as the Docker CLI sends them. */
const encImage = (name: string): string => name.split('/').map((p) => enc(p).replace(/%3A/gi, ':').replace(/%40/g, '@')).join('/');

export class SwarmDockerPort implements SwarmPort {
  readonly description: string;
  readonly services: SwarmPort['services'];
  readonly tasks: SwarmPort['tasks'];
  readonly nodes: SwarmPort['nodes'];
  readonly networks: SwarmPort['networks'];
  readonly configs: FileObjectPort;
  readonly secrets: FileObjectPort;

  constructor(
    private readonly endpoint: Endpoint,
    description?: string,
  ) {
    this.description = description ?? `Swarm manager at ${endpoint.socketPath ?? `${endpoint.host}:${endpoint.port}`}`;
    const api = this.api.bind(this);
    this.services = {
      list: (f) => api('service.list', undefined, 'GET', '/services', { query: { status: true, filters: filterQuery(f) } }),
      create: (spec) => api<{ ID: string; Warnings?: string[] | null }>('service.create', spec.Name, 'POST', '/services/create', { body: spec }).then((r) => ({ ID: r.ID, Warnings: r.Warnings ?? [] })),
      update: (id, version, spec) =>
        api<{ Warnings?: string[] | null }>('service.update', spec.Name, 'POST', `/services/${enc(id)}/update`, { query: { version }, body: spec }).then((r) => ({ Warnings: r?.Warnings ?? [] })),
      remove: (id) => api<void>('service.remove', id, 'DELETE', `/services/${enc(id)}`).then(() => undefined),
      logs: (id, o) => this.serviceLogs(id, o ?? {}),
    };
    this.tasks = { list: (f) => api('task.list', undefined, 'GET', '/tasks', { query: { filters: filterQuery(f) } }) };
    this.nodes = { list: (f) => api('node.list', undefined, 'GET', '/nodes', { query: { filters: filterQuery(f) } }) };
    this.networks = {
      list: (f) => api<NetworkInfo[]>('network.list', undefined, 'GET', '/networks', { query: { filters: filterQuery(f) } }),
      create: (spec) => api<{ Id: string }>('network.create', spec.Name, 'POST', '/networks/create', { body: spec }).then((r) => ({ Id: r.Id })),
      remove: (id) => api<void>('network.remove', id, 'DELETE', `/networks/${enc(id)}`).then(() => undefined),
    };
    const fileObjects = (kind: 'config' | 'secret'): FileObjectPort => ({
      list: (f) => api<FileObjectInfo[]>(`${kind}.list`, undefined, 'GET', `/${kind}s`, { query: { filters: filterQuery(f) } }),
      create: (spec) => api<{ ID: string }>(`${kind}.create`, spec.Name, 'POST', `/${kind}s/create`, { body: spec }).then((r) => ({ ID: r.ID })),
      remove: (id) => api<void>(`${kind}.remove`, id, 'DELETE', `/${kind}s/${enc(id)}`).then(() => undefined),
    });
    this.configs = fileObjects('config');
    this.secrets = fileObjects('secret');
  }

  /**
   * `GET /swarm` first: a manager answers it in a few ms, where `/info` gathers the whole engine's
   * state (40–100 ms here). Only a node that is no manager is asked `/info`, for what it is.
   */
  async swarmInfo(): Promise<SwarmInfo> {
    try {
      const swarm = await this.api<{ ID?: string }>('swarm.inspect', this.description, 'GET', '/swarm');
      return { NodeID: '', LocalNodeState: 'active', ControlAvailable: true, ...(swarm.ID ? { Cluster: { ID: swarm.ID } } : {}) };
    } catch (e) {
      if (!(e instanceof EnginePortError) || e.status === 0) throw e;
    }
    const info = await this.api<{ Swarm?: SwarmInfo }>('info', this.description, 'GET', '/info');
    return info.Swarm ?? { NodeID: '', LocalNodeState: 'inactive', ControlAvailable: false };
  }

  async imageDigest(reference: string): Promise<string> {
    const r = await this.api<{ Descriptor?: { digest?: string } }>('distribution.inspect', reference, 'GET', `/distribution/${encImage(reference)}/json`);
    const digest = r.Descriptor?.digest;
    if (!digest) throw new EnginePortError('distribution.inspect', reference, 0, 'the registry answered without a digest');
    return digest;
  }

  private async api<T>(operation: string, target: string | undefined, method: string, path: string, o: { query?: Query; body?: unknown } = {}): Promise<T> {
    let r;
    try {
      r = await jsonRequest(this.endpoint, method, path, o);
    } catch (e) {
      throw new EnginePortError(operation, target, 0, (e as Error).message, { cause: e });
    }
    if (r.status >= 200 && r.status < 300) return r.body as T;
    const b = r.body as { message?: unknown } | string | undefined;
    const message = typeof b === 'object' && b && typeof b.message === 'string' ? b.message : typeof b === 'string' && b.trim() ? b.trim() : `HTTP ${r.status}`;
    throw new EnginePortError(operation, target, r.status, message);
  }

  /**
   * `GET /services/{id}/logs` with timestamps and details, so each line says its time and the task
   * and node it came from. A TTY service's stream is raw (the caller says so: dockerd 20.10 labels
   * both kinds alike); others are multiplexed (8-byte frames).
   */
  private async *serviceLogs(id: string, o: ServiceLogsOptions): AsyncGenerator<ServiceLogLine> {
    const query: Query = { stdout: true, stderr: true, timestamps: true, details: true, follow: o.follow ?? false, tail: o.tail ?? 'all', since: o.since };
    const res = await this.stream('service.logs', id, `/services/${enc(id)}/logs${queryString(query)}`, o.signal);
    const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
    try {
      for await (const chunk of demux(res as AsyncIterable<Buffer>, o.tty === true)) {
        pending[chunk.stream] += chunk.data.toString('utf8');
        let nl: number;
        while ((nl = pending[chunk.stream].indexOf('\n')) >= 0) {
          const line = pending[chunk.stream].slice(0, nl);
          pending[chunk.stream] = pending[chunk.stream].slice(nl + 1);
          yield parseLogLine(chunk.stream, line);
        }
      }
    } catch (e) {
      if (o.signal?.aborted) return;
      const code = (e as { code?: string }).code;
      if (code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ECONNRESET') throw e;
    }
    for (const s of ['stdout', 'stderr'] as const) if (pending[s]) yield parseLogLine(s, pending[s]);
  }

  private stream(operation: string, target: string, path: string, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = endpointRequest(
        this.endpoint,
        {
          method: 'GET',
          path,
          headers: { Host: 'docker' },
          ...(signal ? { signal } : {}),
        },
        (res) => {
          if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) return resolve(res);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let message = text.trim() || `HTTP ${res.statusCode}`;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              // not JSON
            }
            reject(new EnginePortError(operation, target, res.statusCode ?? 0, message));
          });
        },
      );
      req.on('error', (e) => reject(signal?.aborted ? Object.assign(new Error('aborted'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }) : new EnginePortError(operation, target, 0, e.message, { cause: e })));
      req.end();
    });
  }
}

/** `<RFC 3339 time> <k=v,k=v details> <text>`: the details name the task and node. */
export function parseLogLine(stream: 'stdout' | 'stderr', line: string): ServiceLogLine {
  const m = /^(\S+) (\S*) ?(.*)$/s.exec(line);
  if (!m) return { stream, time: '', text: line };
  const details = Object.fromEntries(
    m[2].split(',').flatMap((kv) => {
      const eq = kv.indexOf('=');
      return eq > 0 ? [[kv.slice(0, eq), decodeURIComponent(kv.slice(eq + 1))] as [string, string]] : [];
    }),
  );
  const hasDetails = 'com.docker.swarm.task.id' in details || 'com.docker.swarm.node.id' in details;
  return {
    stream,
    time: m[1],
    ...(details['com.docker.swarm.task.id'] ? { taskId: details['com.docker.swarm.task.id'] } : {}),
    ...(details['com.docker.swarm.node.id'] ? { nodeId: details['com.docker.swarm.node.id'] } : {}),
    text: hasDetails ? m[3] : `${m[2]}${m[3] ? ` ${m[3]}` : ''}`,
  };
}

/** The SwarmPort for a DOCKER_HOST value (`unix:///…`, `tcp://host:port`). */
export function swarmPortFor(endpoint: Endpoint, description?: string): SwarmPort {
  return new SwarmDockerPort(endpoint, description);
}

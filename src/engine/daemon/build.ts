// `docker build` on the built-in engine (the legacy builder's API, which `DOCKER_BUILDKIT=0
// docker build` and dockerode's buildImage speak): the context tar is extracted (confined), the
// solver runs against the engine's store, runtime and build cache, and its events become
// Docker's JSON stream — `Step N/M : …`, ` ---> Using cache`, ` ---> <id>`, the steps' output,
// `aux` with the image id, `Successfully built/tagged`. The cache is opened on first use.
import path from 'node:path';
import { InvalidArgumentError, NotFoundError, type BuildBackend, type BuildCachePruneOptions, type BuildCacheRecord, type ImageBuildOptions, type ProgressMessage, type AuthConfig } from '../backend.js';
import { Channel } from '../../lib/channel.js';
import { readContextTar } from '../build/context/tar-index.js';
import { ContextError } from '../build/context/errors.js';
import { DockerfileError, DockerfileErrors } from '../build/dockerfile/errors.js';
import { BuildCache } from '../build/solve/cache.js';
import type { BuildEvent } from '../build/solve/events.js';
import { BuildStoreError } from '../build/solve/ports.js';
import { solve, type SolveRequest } from '../build/solve/solver.js';
import { EngineBuildExecutor } from './build-executor.js';
import { pullImage } from '../images/pull.js';
import { familiarName } from '../reference/reference.js';
import { pullReference, registryClientFor } from './image-transfer.js';
import { parseRegistryReference } from '../distribution/names.js';
import { EngineBuildStore } from './build-store.js';
import type { EngineCore } from './core.js';

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Build events → Docker's legacy JSON stream lines. */
export function streamLines(e: BuildEvent, quiet: boolean): ProgressMessage[] {
  if (quiet && e.type !== 'image') return [];
  switch (e.type) {
    case 'step':
      return [{ stream: `Step ${e.number}/${e.total} : ${e.text}\n` }];
    case 'cached':
      return [{ stream: ' ---> Using cache\n' }, { stream: ` ---> ${short(e.key)}\n` }];
    case 'done':
      return [{ stream: ` ---> ${short(e.key)}\n` }];
    case 'output':
      return [{ stream: e.data.toString('utf8') }];
    case 'warning':
      return [{ stream: `[WARNING]: ${e.message}\n` }];
    case 'image':
      if (quiet) return [{ aux: { ID: e.id } }, { stream: `${e.id}\n` }];
      return [{ aux: { ID: e.id } }, { stream: `Successfully built ${short(e.id)}\n` }, ...e.tags.map((t) => ({ stream: `Successfully tagged ${t.includes(':') ? t : `${t}:latest`}\n` }))];
  }
}

export class Builds implements BuildBackend {
  private cacheOpening?: Promise<BuildCache>;

  constructor(private readonly core: EngineCore) {}

  /** The build cache, opened once (its index read from the engine root). */
  cache(): Promise<BuildCache> {
    this.cacheOpening ??= BuildCache.open(this.core.root);
    return this.cacheOpening;
  }

  /**
   * A base image the build needs (missing, or `--pull`): pulled as POST /images/create pulls,
   * with the engine's registry settings (mirrors, insecure registries, its own credentials).
   */
  private async pullBase(ref: string, platform: string, auths: Readonly<Record<string, AuthConfig>>): Promise<void> {
    const reference = pullReference(ref, undefined);
    const { host, domain } = parseRegistryReference(reference);
    // The client's credentials for that registry (docker sends one per host it knows; Docker Hub's under its index URL).
    const auth = auths[host] ?? auths[domain] ?? (domain === 'docker.io' ? auths['https://index.docker.io/v1/'] : undefined);
    const result = await pullImage(this.core.store, registryClientFor(this.core, auth, host), reference, { platform, concurrency: this.core.options.maxConcurrentDownloads ?? 4 });
    this.core.logger.info('image pulled for a build', { reference, id: result.id });
    this.core.events.emit('image', 'pull', result.id, { name: familiarName(result.name ?? reference) });
  }

  /** Runs a solve with the engine's ports, reporting to `emit`. */
  async solve(req: SolveRequest, emit: (e: BuildEvent) => void, auths: Readonly<Record<string, AuthConfig>> = {}): Promise<{ imageId: string }> {
    const cache = await this.cache();
    const result = await solve(req, {
      store: new EngineBuildStore(this.core.store, (ref, platform) => this.pullBase(ref, platform, auths)),
      executor: new EngineBuildExecutor(this.core, path.join(cache.dir, 'tmp')),
      cache,
      emit,
      now: () => new Date(this.core.clock.now()),
    });
    for (const t of result.tags) this.core.events.emit('image', 'tag', result.imageId, { name: t });
    return result;
  }

  build(o: ImageBuildOptions): AsyncIterable<ProgressMessage> {
    const out = new Channel<ProgressMessage>(o.signal);
    const run = async (): Promise<void> => {
      const cache = await this.cache();
      const ctx = await readContextTar(o.context as AsyncIterable<Uint8Array>, { tmpRoot: path.join(cache.dir, 'tmp') });
      try {
        const text = (await ctx.file(o.dockerfile))?.toString('utf8');
        if (text === undefined) throw new NotFoundError(`Cannot locate specified Dockerfile: ${o.dockerfile}`);
        for (const w of ctx.warnings) out.push({ stream: `[WARNING]: ${w.message}\n` });
        if (o.cacheFrom.length > 0 && !o.quiet) out.push({ stream: `cache-from ${o.cacheFrom.join(', ')}: berth's build cache is keyed by content, so images are not needed as cache sources\n` });
        const dockerfilePath = path.posix.normalize(o.dockerfile.replace(/^\/+/, ''));
        await this.solve(
          {
            dockerfile: text,
            dockerfileName: path.posix.basename(o.dockerfile),
            context: { tar: ctx, dockerfilePath },
            tags: o.tags,
            ...(o.target ? { target: o.target } : {}),
            buildArgs: o.buildArgs,
            labels: o.labels,
            noCache: o.noCache,
            noCacheFilter: [],
            pull: o.pull,
            ...(o.platform ? { platform: o.platform } : {}),
            network: o.network,
            extraHosts: o.extraHosts,
            ...(o.shmSize ? { shmSize: o.shmSize } : {}),
            ...sourceDateEpoch(o.buildArgs.SOURCE_DATE_EPOCH ?? process.env.SOURCE_DATE_EPOCH),
            signal: o.signal,
          },
          (e) => {
            for (const m of streamLines(e, o.quiet)) out.push(m);
          },
          o.registryAuth ?? {},
        );
      } finally {
        // The client has its answer once the image exists; the extracted context goes afterwards.
        void ctx.cleanup().catch(() => undefined);
      }
    };
    const failure: { error?: unknown } = {};
    const done = run().catch((e: unknown) => {
      failure.error = e;
    }).finally(() => out.end());
    return (async function* (): AsyncGenerator<ProgressMessage> {
      for await (const m of out) yield m;
      await done;
      if (failure.error !== undefined) throw asApiError(failure.error);
    })();
  }

  async prune(o: BuildCachePruneOptions): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const cache = await this.cache();
    try {
      return await cache.prune({ all: o.all, ...(o.keepStorage ? { keepStorage: o.keepStorage } : {}), filters: o.filters }, new Date(this.core.clock.now()));
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  }

  async usage(): Promise<BuildCacheRecord[]> {
    return (await this.cache()).usage();
  }
}

/** SOURCE_DATE_EPOCH as BuildKit takes it (a build arg), else the engine's environment; seconds. */
function sourceDateEpoch(value: string | undefined): { sourceDateEpoch?: number } {
  if (value === undefined || value === '') return {};
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`SOURCE_DATE_EPOCH must be whole seconds since the epoch, not ${JSON.stringify(value)}`);
  return { sourceDateEpoch: Number(value) };
}

/** Errors of the build's input are the client's (400); the message keeps file:line and hints. */
function asApiError(e: unknown): Error {
  if (e instanceof DockerfileError || e instanceof DockerfileErrors || e instanceof ContextError) return new InvalidArgumentError(e.message);
  if (e instanceof BuildStoreError) return e.kind === 'not-found' ? new NotFoundError(e.message) : new InvalidArgumentError(e.message);
  return e instanceof Error ? e : new Error(String(e));
}

// Pull, push and `docker login` as the API serves them: the registry client made for the request
// (the engine's registry config; the client's X-Registry-Auth for the target registry only, as
// dockerd uses it — the engine reads no credentials of its own), and the image room's typed
// events turned into Docker's JSON progress stream (`Pulling fs layer`, `Downloading` with
// progressDetail, … `Status: Downloaded newer image for …`), so `docker pull` draws its bars.
//
// Errors before the first message (an unknown reference, an unreachable registry) are HTTP
// errors with a status; after it they go in-band, as dockerd's streamformatter does.
import {
  UnauthorizedError,
  type AuthConfig,
  type DistributionInspect,
  type ImagePullOptions,
  type ImagePushOptions,
  type ProgressMessage,
} from '../backend.js';
import { login, RegistryClient, RegistryError, resolveImage, type Credentials } from '../distribution/index.js';
import { parseRegistryReference } from '../distribution/names.js';
import { ImageError } from '../images/errors.js';
import { humanSize } from '../../lib/human-size.js';
import { pullImage, type PullEvent, type PullResult } from '../images/pull.js';
import { pushImage, type PushEvent } from '../images/push.js';
import { familiarName, normalizeTagged, parseReference, repositoryOf } from '../reference/reference.js';
import { Channel } from '../../lib/channel.js';
import type { EngineCore } from './core.js';

/** The credentials an API request carries, in the registry client's terms; undefined when none. */
export function credentialsOf(auth: AuthConfig | undefined): Credentials | undefined {
  if (!auth) return undefined;
  let { username, password } = auth;
  if (auth.auth && !username) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const out: Credentials = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(auth.identitytoken ? { identityToken: auth.identitytoken } : {}),
    ...(auth.registrytoken ? { registryToken: auth.registrytoken } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A client for one request: the shared anonymous one, or one holding the request's credentials for `host`. */
export function registryClientFor(core: EngineCore, auth: AuthConfig | undefined, host: string): RegistryClient {
  const creds = credentialsOf(auth);
  if (!creds) return core.registryClient;
  return new RegistryClient({ config: core.registryConfig, credentials: async (h) => (h === host ? creds : undefined) });
}

/** `fromImage` and `tag` as Docker combines them: a `tag` that is a digest pins the digest; no tag means `latest`. */
export function pullReference(fromImage: string, tag: string | undefined): string {
  const r = parseReference(fromImage);
  const base = `${r.domain}/${r.path}`;
  if (tag && tag.startsWith('sha256:')) return `${base}@${tag}`;
  if (r.digest) return `${base}${r.tag ? `:${r.tag}` : ''}@${r.digest}`;
  return `${base}:${tag || r.tag || 'latest'}`;
}

/** Docker's short layer id in progress lines. */
const shortDigest = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

/** The `progress` text docker's jsonmessage would draw from progressDetail (older clients print it as is). */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
  return `${bar} ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** Turns the room's events into progress messages, at most one `Downloading`/`Pushing` line per layer per 100 ms. */
function progressWriter(channel: Channel<ProgressMessage>): (id: string, status: string, current?: number, total?: number) => void {
  const last = new Map<string, number>();
  return (id, status, current, total) => {
    if (current !== undefined && total !== undefined) {
      const now = performance.now();
      if (current < total && now - (last.get(id) ?? 0) < 100) return;
      last.set(id, now);
      channel.push({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
    } else channel.push({ status, progressDetail: {}, id });
  };
}

const PULL_STATUS: Record<string, string> = {
  exists: 'Already exists',
  waiting: 'Waiting',
  pulling: 'Pulling fs layer',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  downloaded: 'Download complete',
  extracting: 'Extracting',
  complete: 'Pull complete',
};

/** Runs `work` with progress going to a channel, and yields the channel's messages, then `finish`'s. */
async function* streamed<T>(signal: AbortSignal, work: (channel: Channel<ProgressMessage>) => Promise<T>, finish: (result: T) => ProgressMessage[]): AsyncGenerator<ProgressMessage> {
  const channel = new Channel<ProgressMessage>(signal);
  let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  const running = work(channel).then(
    (value) => void (result = { ok: true, value }),
    (error: unknown) => void (result = { ok: false, error }),
  );
  void running.finally(() => channel.end());
  for await (const m of channel) yield m;
  await running;
  if (!result || !result.ok) throw result?.error ?? new Error('the client went away');
  yield* finish(result.value);
}

export function pullMessages(core: EngineCore, options: ImagePullOptions): AsyncIterable<ProgressMessage> {
  const reference = pullReference(options.fromImage, options.tag);
  const ref = parseRegistryReference(reference);
  const client = registryClientFor(core, options.auth, ref.host);
  return streamed(
    options.signal,
    async (channel) => {
      const write = progressWriter(channel);
      const onEvent = (e: PullEvent): void => {
        if (e.type === 'resolved') channel.push({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
        else write(shortDigest(e.digest), PULL_STATUS[e.status], e.current, e.total);
      };
      const result = await pullImage(core.store, client, reference, {
        ...(options.platform ? { platform: options.platform } : {}),
        concurrency: core.options.maxConcurrentDownloads ?? 4,
        signal: options.signal,
        onEvent,
      });
      core.logger.info('image pulled', { reference, id: result.id, ...result.timings });
      core.events.emit('image', 'pull', result.id, { name: familiarName(result.name ?? reference) });
      return result;
    },
    (r: PullResult): ProgressMessage[] => {
      const shown = familiarName(r.name ?? reference);
      return [
        { status: `Digest: ${r.repoDigest.slice(r.repoDigest.indexOf('@') + 1)}` },
        { status: r.upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` },
        // Timings of the pipeline, for benches and logs; docker prints no aux message of a pull.
        { aux: { 'berth.pull': { ...r.timings } } },
      ];
    },
  );
}

const PUSH_STATUS: Record<string, string> = {
  preparing: 'Preparing',
  waiting: 'Waiting',
  pushing: 'Pushing',
  pushed: 'Pushed',
  exists: 'Layer already exists',
};

/** `docker push name[:tag]`: the tag given, or every tag of the repository (as Docker does without one). */
export async function pushMessages(core: EngineCore, name: string, options: ImagePushOptions): Promise<AsyncIterable<ProgressMessage>> {
  const parsed = parseReference(name);
  if (parsed.digest) throw new ImageError('invalid', `cannot push a digest reference (${name}); push a tag`);
  const repository = `${parsed.domain}/${parsed.path}`;
  const tag = options.tag || parsed.tag;
  let names: string[];
  if (tag) {
    names = [normalizeTagged(`${repository}:${tag}`)];
    await core.store.resolve(names[0]).catch(() => {
      throw new ImageError('not-found', `An image does not exist locally with the tag: ${familiarName(repository)}`);
    });
  } else {
    names = (await core.store.list()).flatMap((i) => i.names).filter((n) => repositoryOf(n) === repository).sort();
    if (names.length === 0) throw new ImageError('not-found', `An image does not exist locally with the tag: ${familiarName(repository)}`);
  }
  const ref = parseRegistryReference(names[0]);
  const client = registryClientFor(core, options.auth, ref.host);
  const pushed: { tag: string; digest: string; size: number }[] = [];
  return streamed(
    options.signal,
    async (channel) => {
      channel.push({ status: `The push refers to repository [${repository}]` });
      const write = progressWriter(channel);
      for (const n of names) {
        const onEvent = (e: PushEvent): void => write(shortDigest(e.digest), e.status === 'mounted' ? `Mounted from ${e.from ?? ''}` : PUSH_STATUS[e.status], e.current, e.total);
        const r = await pushImage(core.store, client, n, { concurrency: core.options.maxConcurrentUploads ?? 4, signal: options.signal, onEvent });
        const t = n.slice(n.lastIndexOf(':') + 1);
        pushed.push({ tag: t, digest: r.digest, size: r.size });
        channel.push({ status: `${t}: digest: ${r.digest} size: ${r.size}` });
        channel.push({ progressDetail: {}, aux: { Tag: t, Digest: r.digest, Size: r.size } });
        core.events.emit('image', 'push', await core.store.resolve(n), { name: familiarName(n) });
      }
    },
    () => [],
  );
}

/** `GET /distribution/{name}/json`: the registry's descriptor for the reference and the platforms it offers. */
export async function distributionInspect(core: EngineCore, name: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<DistributionInspect> {
  const ref = parseRegistryReference(name);
  const client = registryClientFor(core, auth, ref.host);
  const image = await resolveImage(client, ref, { signal });
  const top = image.index
    ? { mediaType: image.indexMediaType ?? image.index.mediaType, digest: image.indexDigest!, size: image.indexSize ?? 0 }
    : { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifestBytes.length };
  const platforms = image.index
    ? image.index.manifests.filter((m) => m.platform).map((m) => ({ architecture: m.platform!.architecture, os: m.platform!.os, ...(m.platform!.variant ? { variant: m.platform!.variant } : {}) }))
    : [{ architecture: image.platform.architecture, os: image.platform.os, ...(image.platform.variant ? { variant: image.platform.variant } : {}) }];
  return { Descriptor: top, Platforms: platforms };
}

/** `POST /auth`: the credentials are checked against the registry; nothing is stored. */
export async function checkLogin(core: EngineCore, auth: AuthConfig): Promise<{ Status: string; IdentityToken?: string }> {
  const creds = credentialsOf(auth);
  if (!creds?.username || creds.password === undefined) throw new ImageError('invalid', 'a login needs a username and a password');
  try {
    return await login(core.registryClient, auth.serveraddress, creds.username, creds.password);
  } catch (e) {
    // A refused login is a 401 (docker login prints the registry's reason).
    if (e instanceof RegistryError && e.kind === 'unauthorized') throw new UnauthorizedError(e.message, { cause: e });
    throw e;
  }
}

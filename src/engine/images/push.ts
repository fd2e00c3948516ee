// Pushing from the store: every layer blob as stored (a pulled image's layers are the registry's
// compressed bytes, so nothing is recompressed — dockerd recompresses every layer it did not push
// itself), in parallel up to a bound, each checked with HEAD first and mounted from a repository
// of the same registry the image came from when possible; then the config, then the manifest's
// own bytes, so the image keeps its digest wherever it is pushed. The pushed name gets a repo
// digest.
import PQueue from 'p-queue';
import { parseRegistryReference, pushBlob, pushManifest, type BlobPushOutcome, type RegistryClient } from '../distribution/index.js';
import { MediaType } from '../distribution/manifest.js';
import { ImageError } from './errors.js';
import type { StoredImage, ImageStore } from './store.js';

export type PushLayerStatus = 'preparing' | 'waiting' | 'pushing' | 'pushed' | 'exists' | 'mounted';

export type PushEvent = { type: 'layer'; digest: string; status: PushLayerStatus; current?: number; total?: number; from?: string };

export interface PushOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?(e: PushEvent): void;
}

export interface PushResult {
  /** Full tagged name pushed. */
  name: string;
  digest: string;
  size: number;
  /** Per blob: what the registry needed. */
  outcomes: Record<string, BlobPushOutcome>;
}

/** Repositories on `domain` that the image is known to come from, for cross-repository mounts. */
function mountSources(image: StoredImage, domain: string, path: string): string[] {
  const out = new Set<string>();
  for (const name of [...image.digests, ...image.names]) {
    const repo = name.includes('@') ? name.slice(0, name.indexOf('@')) : name.slice(0, name.lastIndexOf(':'));
    const slash = repo.indexOf('/');
    if (repo.slice(0, slash) === domain && repo.slice(slash + 1) !== path) out.add(repo.slice(slash + 1));
  }
  return [...out];
}

/** Pushes the image `name` (a full tagged name the store has) to the registry that name points at. */
export async function pushImage(store: ImageStore, client: RegistryClient, name: string, opts: PushOptions = {}): Promise<PushResult> {
  const emit = opts.onEvent ?? (() => undefined);
  const image = await store.get(name);
  if (image.host) throw new ImageError('invalid', `${name} is the built-in host image: it is this machine's filesystem and cannot be pushed`);
  if (!image.manifest) throw new ImageError('invalid', `${name} has no manifest to push`);
  const ref = parseRegistryReference(name);
  const manifest = image.manifest;
  const release = store.pin([image.id, manifest.digest, ...image.layers.map((l) => l.blob.digest)]);
  try {
    const mountFrom = mountSources(image, ref.domain, ref.path);
    const outcomes: Record<string, BlobPushOutcome> = {};
    const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency ?? 4) });
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // Layers are reported top-most first, as docker push lists them.
    for (const l of [...image.layers].reverse()) emit({ type: 'layer', digest: l.blob.digest, status: 'preparing' });
    if (image.layers.length > queue.concurrency) for (const l of image.layers.slice(queue.concurrency)) emit({ type: 'layer', digest: l.blob.digest, status: 'waiting' });
    try {
      const tasks = image.layers.map((l) =>
        queue.add(async () => {
          const blob = l.blob;
          const pushed = await pushBlob(
            client,
            ref,
            { mediaType: blob.mediaType, digest: blob.digest, size: blob.size, open: () => store.layout.open(blob.digest), mountFrom },
            {
              signal: abort.signal,
              onProgress: (p) => emit({ type: 'layer', digest: blob.digest, status: 'pushing', current: p.current, total: p.total }),
            },
          );
          outcomes[blob.digest] = pushed.outcome;
          emit({ type: 'layer', digest: blob.digest, status: pushed.outcome === 'exists' ? 'exists' : pushed.outcome === 'mounted' ? 'mounted' : 'pushed', ...(pushed.outcome === 'mounted' ? { from: mountFrom[0] } : {}) });
        }),
      );
      for (const t of tasks) t.catch((e: unknown) => abort.abort(e));
      const settled = await Promise.allSettled(tasks);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
    const configBytes = await store.layout.read(image.id);
    const manifestBytes = await store.layout.read(manifest.digest);
    const configType = manifest.mediaType === MediaType.dockerManifest ? MediaType.dockerConfig : MediaType.ociConfig;
    const config = await pushBlob(client, ref, { mediaType: configType, digest: image.id, size: configBytes.length, open: () => [configBytes], mountFrom }, { ...(opts.signal ? { signal: opts.signal } : {}) });
    outcomes[image.id] = config.outcome;
    const digest = await pushManifest(client, ref, manifestBytes, manifest.mediaType, { ...(opts.signal ? { signal: opts.signal } : {}) });
    await store.addRepoDigests(image.id, [`${ref.domain}/${ref.path}@${digest}`]);
    return { name, digest, size: manifestBytes.length, outcomes };
  } finally {
    release();
  }
}

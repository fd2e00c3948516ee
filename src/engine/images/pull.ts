// Pulling into the store, as a pipeline per layer: download → verify → unpack, with the unpack
// reading the bytes as they arrive (through decompression and the diff id check) while the blob
// file is written beside it, so a layer is unpacked by the time its last byte is in. Layers run
// in parallel up to a bound, each into its own snapshot dir (independent on overlayfs), unlike
// dockerd, which unpacks them one after another. What the store has is skipped: a layer whose
// snapshot and blob are there is not fetched, one whose blob is there is unpacked from it.
//
// The image is committed only when every layer is in: config, the registry's manifest bytes (so
// a push or save gives the same digest back), the tag and the repo digest. Until then every
// digest is pinned, so a concurrent removal or prune cannot collect it; a failure of one layer
// stops the others and leaves nothing half-made (see layers.ts and snapshots.ts).
//
// Two pulls in one engine that need the same layer share one download (the second waits).
import PQueue from 'p-queue';
import { fetchBlob, resolveImage, type RegistryClient, type ResolvedImage, type ResolvedLayer } from '../distribution/index.js';
import { storeLayer } from './layers.js';
import type { LayerRecord } from './records.js';
import type { ImageStore } from './store.js';

export type LayerStatus = 'exists' | 'waiting' | 'pulling' | 'downloading' | 'verifying' | 'downloaded' | 'extracting' | 'complete';

export type PullEvent =
  | { type: 'resolved'; image: ResolvedImage }
  | { type: 'layer'; digest: string; status: LayerStatus; current?: number; total?: number };

export interface PullOptions {
  platform?: string;
  /** Layers fetched and unpacked at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?(e: PullEvent): void;
}

/** How the pipeline's time went: wall time with downloads running, with unpacking running, and with both. */
export interface PullTimings {
  wallMs: number;
  downloadMs: number;
  unpackMs: number;
  overlapMs: number;
  /** From the last byte in to the last layer unpacked: what unpacking adds after the download. */
  afterDownloadMs: number;
  bytes: number;
  layersFetched: number;
  layersPresent: number;
}

export interface PullResult {
  id: string;
  image: ResolvedImage;
  /** The full tagged name the image now has, when the reference had a tag. */
  name?: string;
  /** `repository@digest` (the index's digest when the reference named an index). */
  repoDigest: string;
  /** The name already pointed at this image and nothing had to be fetched. */
  upToDate: boolean;
  timings: PullTimings;
}

/** Layer work in flight per store root and diff id, shared by concurrent pulls. */
const inflight = new Map<string, Promise<LayerRecord>>();

type Interval = [number, number];

/** Total length of the union of intervals, and of the intersection of two such unions. */
function covered(intervals: Interval[]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: Interval | undefined;
  for (const [s, e] of sorted) {
    if (!cur || s > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    } else cur[1] = Math.max(cur[1], e);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

function overlap(a: Interval[], b: Interval[]): number {
  const both: Interval[] = [];
  for (const x of a) for (const y of b) if (Math.min(x[1], y[1]) > Math.max(x[0], y[0])) both.push([Math.max(x[0], y[0]), Math.min(x[1], y[1])]);
  return covered(both);
}

export async function pullImage(store: ImageStore, client: RegistryClient, reference: string, opts: PullOptions = {}): Promise<PullResult> {
  const started = performance.now();
  const emit = opts.onEvent ?? (() => undefined);
  const image = await resolveImage(client, reference, { ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  emit({ type: 'resolved', image });
  const ref = image.reference;
  const name = ref.digest === undefined && ref.tag !== undefined ? `${ref.domain}/${ref.path}:${ref.tag}` : undefined;
  const repoDigest = `${ref.domain}/${ref.path}@${image.indexDigest ?? image.manifestDigest}`;
  const release = store.pin([image.configDigest, image.manifestDigest, ...image.layers.flatMap((l) => [l.digest, l.diffId])]);
  const downloads: Interval[] = [];
  const unpacks: Interval[] = [];
  let bytes = 0;
  let fetched = 0;
  let present = 0;
  const layerReleases: (() => void)[] = [];
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const before = name ? await store.resolve(name).catch(() => undefined) : undefined;
    const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency ?? 4) });

    const pullLayer = async (layer: ResolvedLayer): Promise<LayerRecord> => {
      const snap = await store.snapshots.get(layer.diffId);
      const haveBlob = await store.layout.has(layer.digest);
      if (snap && haveBlob) {
        present++;
        emit({ type: 'layer', digest: layer.digest, status: 'exists' });
        return { diffId: layer.diffId, size: snap.size, blob: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size } };
      }
      const key = `${store.root}\0${layer.diffId}\0${layer.digest}`;
      const shared = inflight.get(key);
      if (shared) {
        emit({ type: 'layer', digest: layer.digest, status: 'waiting' });
        const record = await shared;
        emit({ type: 'layer', digest: layer.digest, status: 'complete' });
        return record;
      }
      const work = (async (): Promise<LayerRecord> => {
        let dlStart = 0;
        let unpackStart = 0;
        const source = haveBlob
          ? store.layout.open(layer.digest)
          : fetchBlob(client, layer, {
              endpoints: image.endpoints,
              repository: ref.path,
              reference: ref.canonical,
              signal: abort.signal,
              onProgress: (p) => emit({ type: 'layer', digest: layer.digest, status: 'downloading', current: p.current, total: p.total }),
            });
        if (!haveBlob) {
          fetched++;
          emit({ type: 'layer', digest: layer.digest, status: 'pulling' });
        }
        dlStart = performance.now();
        const stored = await storeLayer(store.layerContext(), source, {
          diffId: layer.diffId,
          digest: layer.digest,
          mediaType: layer.mediaType,
          what: `layer ${layer.digest} of ${ref.canonical}`,
          onDownloaded: () => {
            if (haveBlob) return;
            downloads.push([dlStart, performance.now()]);
            bytes += layer.size;
            emit({ type: 'layer', digest: layer.digest, status: 'verifying' });
            emit({ type: 'layer', digest: layer.digest, status: 'downloaded' });
            if (unpackStart > 0) emit({ type: 'layer', digest: layer.digest, status: 'extracting', current: layer.size, total: layer.size });
          },
          onUnpack: (phase) => {
            if (phase === 'start') unpackStart = performance.now();
            else unpacks.push([unpackStart, performance.now()]);
          },
        });
        layerReleases.push(stored.release);
        emit({ type: 'layer', digest: layer.digest, status: 'complete' });
        return stored.layer;
      })();
      inflight.set(key, work);
      try {
        return await work;
      } finally {
        inflight.delete(key);
      }
    };

    const results = image.layers.map((layer) =>
      queue.add(async () => {
        if (abort.signal.aborted) throw abort.signal.reason;
        return pullLayer(layer);
      }),
    );
    // One failure stops the rest; every task is awaited, so nothing is left writing afterwards.
    // The first failure is the one reported: the layers it aborted fail too (a fetch cut short
    // reads as "unreachable"), and one of them may come earlier in the layer order.
    let firstFailure: { reason: unknown } | undefined;
    for (const r of results) {
      r.catch((e: unknown) => {
        firstFailure ??= { reason: e };
        abort.abort(e);
      });
    }
    const settled = await Promise.allSettled(results);
    if (settled.some((s) => s.status === 'rejected')) throw firstFailure!.reason;
    const layers = settled.map((s) => (s as PromiseFulfilledResult<LayerRecord | undefined>).value!);

    const committed = await store.commitImage(image.configBytes, layers, name ? [name] : [], {
      manifest: { bytes: image.manifestBytes, mediaType: image.manifestMediaType },
      repoDigests: [repoDigest],
    });
    const timings: PullTimings = {
      wallMs: performance.now() - started,
      downloadMs: covered(downloads),
      unpackMs: covered(unpacks),
      overlapMs: overlap(downloads, unpacks),
      afterDownloadMs: downloads.length > 0 && unpacks.length > 0 ? Math.max(0, Math.max(...unpacks.map((u) => u[1])) - Math.max(...downloads.map((d) => d[1]))) : 0,
      bytes,
      layersFetched: fetched,
      layersPresent: present,
    };
    return { id: committed.id, image, ...(name ? { name } : {}), repoDigest, upToDate: before === committed.id && fetched === 0, timings };
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    for (const r of layerReleases) r();
    release();
  }
}

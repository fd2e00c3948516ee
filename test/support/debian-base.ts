// Registry images made by outside tools (mmdebstrap, GNU tar), built once per day and cached:
// bench/lib/images.mjs makes them (the pull bench shares the cache); this pushes them.
import { createReadStream } from 'node:fs';
import { MediaType, pushImage, type PushBlobSource, type RegistryClient } from '../../src/engine/distribution/index.js';
import type { CachedImage } from '../../bench/lib/images.mjs';

export { debianImage, smallFilesImage, type CachedImage } from '../../bench/lib/images.mjs';

/** Pushes a cached image to `ref` (docker schema 2 media types, as dockerd pushes). */
export async function pushCachedImage(client: RegistryClient, ref: string, image: CachedImage): Promise<{ digest: string }> {
  const layers: PushBlobSource[] = image.layers.map((l) => ({ mediaType: MediaType.dockerLayerGzip, digest: l.digest, size: l.size, open: () => createReadStream(l.file) }));
  const pushed = await pushImage(client, ref, { config: { data: image.config }, layers, format: 'docker' });
  return { digest: pushed.digest };
}

// `docker save`: a tar with Docker 25's layout — the OCI image layout (`blobs/sha256/…`,
// `index.json`, `oci-layout`) plus `manifest.json` with `RepoTags` — so `docker load` (old and
// new), skopeo (`docker-archive:` and `oci-archive:`) and umoci all read it. Blobs go out as
// stored: a pulled image's layers are the registry's compressed bytes, its manifest the
// registry's manifest, so digests survive a save/load round trip.
import type { Readable } from 'node:stream';
import { MediaType } from '../distribution/manifest.js';
import { tarStream, type TarWriteEntry } from '../../lib/tar.js';
import { hexOf } from './image-config.js';
import { indexManifests, OCI_LAYOUT, type OciLayout } from './layout.js';
import type { ImageRecord } from './records.js';
import { familiarName } from '../reference/reference.js';

export interface SavedImage {
  record: ImageRecord;
  /** Full tagged names to save it under (those the caller named). */
  names: string[];
}

export async function saveArchive(layout: OciLayout, images: readonly SavedImage[]): Promise<Readable> {
  const manifestJson: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const blobs = new Map<string, number>();
  for (const { record, names } of images) {
    blobs.set(record.id, -1).set(record.manifest.digest, record.manifest.size);
    for (const l of record.layers) blobs.set(l.blob.digest, l.blob.size);
    manifestJson.push({
      Config: `blobs/sha256/${hexOf(record.id)}`,
      RepoTags: names.map(familiarName),
      Layers: record.layers.map((l) => `blobs/sha256/${hexOf(l.blob.digest)}`),
    });
  }
  // Sizes from the files themselves: what goes into the tar header must be what is read.
  for (const digest of blobs.keys()) blobs.set(digest, await layout.size(digest));
  const entries: TarWriteEntry[] = [
    { path: 'blobs/', type: 'directory' },
    { path: 'blobs/sha256/', type: 'directory' },
    ...[...blobs.keys()].sort().map(
      (digest): TarWriteEntry => ({
        path: `blobs/sha256/${hexOf(digest)}`,
        size: blobs.get(digest),
        body: () => layout.open(digest),
      }),
    ),
    { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexManifests(images.map((i) => ({ manifest: i.record.manifest, names: i.names }))) }) },
    { path: 'manifest.json', body: JSON.stringify(manifestJson) },
    { path: 'oci-layout', body: OCI_LAYOUT },
  ];
  return tarStream(entries);
}

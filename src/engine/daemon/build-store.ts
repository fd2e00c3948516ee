// The build room's image port (build/solve/ports.ts BuildImageStore) over today's ImageStore.
// Kept to this one small file so it is easy to re-point when the image room's rework lands: pulls
// go in `resolve` (today a missing image is an error that says how to get one), layer adoption
// and image creation are the store's two builder entry points.
import { BuildStoreError, type BuildImageStore, type BuiltLayer, type OciImageConfig, type ResolvedImage } from '../build/solve/ports.js';
import { ImageError } from '../images/errors.js';
import { familiarName, normalizeTagged } from '../images/reference.js';
import type { ImageStore } from '../images/store.js';

export class EngineBuildStore implements BuildImageStore {
  constructor(private readonly store: ImageStore) {}

  async resolve(ref: string, platform: string): Promise<ResolvedImage> {
    try {
      const { id, config } = await this.store.config(ref);
      const [os, architecture] = platform.split('/');
      if (config.os !== os || config.architecture !== architecture) {
        throw new BuildStoreError('invalid', `image ${familiarName(ref)} is for ${config.os}/${config.architecture}, not ${platform}`);
      }
      return { id, config: config as OciImageConfig, lowerDirs: await this.store.lowerDirs(id) };
    } catch (e) {
      if (e instanceof ImageError && e.kind === 'not-found') {
        throw new BuildStoreError(
          'not-found',
          `image ${familiarName(ref)} is not on the engine, and the berth engine cannot pull it yet: load it first (docker load, docker import), build it, or build FROM berth/host`,
        );
      }
      throw e;
    }
  }

  async createImage(config: OciImageConfig, layers: readonly BuiltLayer[], tags: readonly string[]): Promise<string> {
    for (const l of layers) await this.store.adoptLayer(l.diffId, l.tarPath, l.dir);
    const image = await this.store.createImage(Buffer.from(JSON.stringify(config)), tags);
    return image.id;
  }

  normalizeTag(tag: string): string {
    try {
      return normalizeTagged(tag);
    } catch (e) {
      throw new BuildStoreError('invalid', `invalid tag ${JSON.stringify(tag)}: ${(e as Error).message}`);
    }
  }
}

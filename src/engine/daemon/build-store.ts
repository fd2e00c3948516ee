// The build room's image port (build/solve/ports.ts BuildImageStore) over the image store: a base
// image is resolved from the store, or pulled from its registry when it is missing or the build
// asks for `--pull`; the layers a build made are adopted by the store as they are.
import { BuildStoreError, type BuildImageStore, type BuiltLayer, type OciImageConfig, type ResolvedImage } from '../build/solve/ports.js';
import { ImageError } from '../images/errors.js';
import type { ImageStore } from '../images/store.js';
import { familiarName, InvalidReferenceError, normalizeTagged } from '../reference/reference.js';

/** Pulls an image into the store (the engine's pull, with its registry settings and credentials). */
export type PullForBuild = (ref: string, platform: string) => Promise<void>;

export class EngineBuildStore implements BuildImageStore {
  constructor(
    private readonly store: ImageStore,
    private readonly pull?: PullForBuild,
  ) {}

  async resolve(ref: string, platform: string, options: { pull?: boolean } = {}): Promise<ResolvedImage> {
    const isHost = await this.store.get(ref).then((i) => i.host, () => false);
    if (this.pull && !isHost) {
      const present = await this.store.resolve(ref).then(() => true, (e: unknown) => {
        if (e instanceof ImageError && e.kind === 'not-found') return false;
        throw e;
      });
      if (!present || options.pull) {
        try {
          await this.pull(ref, platform);
        } catch (e) {
          throw new BuildStoreError('not-found', `image ${familiarName(ref)} is not on the engine, and pulling it failed: ${(e as Error).message}`);
        }
      }
    }
    try {
      const { id, config } = await this.store.config(ref);
      const [os, architecture] = platform.split('/');
      if (config.os !== os || config.architecture !== architecture) {
        throw new BuildStoreError('invalid', `image ${familiarName(ref)} is for ${config.os}/${config.architecture}, not ${platform}`);
      }
      return { id, config: config as OciImageConfig, lowerDirs: await this.store.lowerDirs(id) };
    } catch (e) {
      if (e instanceof ImageError && e.kind === 'not-found') {
        throw new BuildStoreError('not-found', `image ${familiarName(ref)} is not on the engine: pull or load it first (docker pull, docker load), build it, or build FROM berth/host`);
      }
      throw e;
    }
  }

  async createImage(config: OciImageConfig, layers: readonly BuiltLayer[], tags: readonly string[]): Promise<string> {
    const image = await this.store.createBuiltImage(Buffer.from(JSON.stringify(config)), layers, tags);
    return image.id;
  }

  normalizeTag(tag: string): string {
    try {
      return normalizeTagged(tag);
    } catch (e) {
      if (!(e instanceof InvalidReferenceError || e instanceof ImageError)) throw e;
      throw new BuildStoreError('invalid', `invalid tag ${JSON.stringify(tag)}: ${e.message}`);
    }
  }
}

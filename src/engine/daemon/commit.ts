// `docker diff`, `docker export` and `docker commit`: a container's own layer (its overlay upper
// dir) read as changes, its merged root as a tar, and that layer made an image on top of the
// container's. The image side is one call into the image store (ImageStore.commit).

import { Readable } from 'node:stream';
import { ConflictError, toEngineError, type ContainerCommitOptions, type FilesystemChange } from '../backend.js';
import type { LiveContainer } from '../container/table.js';
import { rootfsTar, upperChanges, upperLayerTar } from '../archive/changes.js';
import { applyChanges } from '../images/changes.js';
import type { ContainerConfig as ImageContainerConfig } from '../backend.js';
import { mountRootfs, unmountRootfs } from '../runtime/rootfs.js';
import { commandOf, mergeImageConfig } from '../runtime/translate.js';
import type { EngineCore } from './core.js';
import { discardPrepared } from './run.js';

/** `docker diff`: the upper dir against the container's lower layers (init layer and image). */
export async function containerChanges(core: EngineCore, ref: string): Promise<FilesystemChange[]> {
  const live = core.find(ref);
  const lower = await core.runner.layers(live.rec.id, await core.store.lowerDirs(live.rec.image)).catch((e: unknown) => {
    throw toEngineError(e);
  });
  return upperChanges(core.paths(live.rec.id).upper, lower);
}

/**
 * Runs `use` with the container's merged root (no volumes, as dockerd's export and commit see
 * it): a running container's overlay is mounted already; a stopped one's is mounted for the call.
 * On the container's queue, until `use`'s `finished` settles, so no start or removal overlaps.
 */
function withMergedRoot<T>(core: EngineCore, live: LiveContainer, use: (root: string) => Promise<{ value: T; finished?: Promise<void> }>): Promise<T> {
  const rec = live.rec;
  return new Promise<T>((resolve, reject) => {
    void core.serial(live, async () => {
      const p = core.paths(rec.id);
      let unmount: (() => Promise<void>) | undefined;
      try {
        if (!rec.state.Running) {
          // A prepared run holds the root mounted under its monitor: the start prepares again.
          await discardPrepared(core, live);
          const lowerDirs = await core.runner.layers(rec.id, await core.store.lowerDirs(rec.image));
          await mountRootfs({ lowerDirs, upperDir: p.upper, workDir: p.work, target: p.rootfs });
          unmount = () => unmountRootfs(p.rootfs);
        }
        const { value, finished } = await use(p.rootfs);
        resolve(value);
        await finished;
      } catch (e) {
        reject(toEngineError(e));
      } finally {
        await unmount?.().catch((e: unknown) => core.logger.error('unmounting after export failed', { id: rec.id, error: String(e) }));
      }
    });
  });
}

/** A stream's end (read to the end, or dropped). */
function ended(stream: Readable): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    stream.once('end', () => resolve());
    stream.once('error', () => resolve());
  });
}

/** `docker export`: the merged root filesystem as a tar. */
export function exportContainer(core: EngineCore, ref: string, signal: AbortSignal): Promise<Readable> {
  const live = core.find(ref);
  return withMergedRoot(core, live, async (root) => {
    const tar = rootfsTar(root, signal);
    signal.addEventListener('abort', () => tar.destroy(), { once: true });
    core.emit(live, 'export');
    return { value: tar, finished: ended(tar) };
  });
}

/**
 * The image config a commit records, as moby's daemon/commit.go makes it: the request body's config
 * (without one, as the docker CLI sends it, the container's whole config), `--change` applied to
 * it, then merged with the container's config the way a create merges an image's.
 */
function committedConfig(live: LiveContainer, options: ContainerCommitOptions): ImageContainerConfig {
  const own = live.rec.config;
  const given = options.config ?? own;
  return mergeImageConfig(options.changes.length > 0 ? applyChanges(given, options.changes) : given, own);
}

/** `docker commit`: the container's layer (read while it is frozen, unless `pause` is off) becomes an image. */
export async function commitContainer(core: EngineCore, ref: string, options: ContainerCommitOptions): Promise<{ Id: string }> {
  const live = core.find(ref);
  const rec = live.rec;
  let config: ImageContainerConfig;
  try {
    config = committedConfig(live, options);
  } catch (e) {
    throw toEngineError(e);
  }
  const repoTag = options.repo ? `${options.repo}${options.tag ? `:${options.tag}` : ''}` : undefined;
  return core.serial(live, async () => {
    if (live.removing) throw new ConflictError(`container ${rec.id} is marked for removal and cannot be committed`);
    const freeze = options.pause && rec.state.Running && !rec.state.Paused;
    if (freeze) await core.runner.runc.pause(rec.id).catch((e: unknown) => {
      throw toEngineError(e);
    });
    try {
      const ac = new AbortController();
      const layer = await upperLayerTar(core.paths(rec.id).upper, ac.signal);
      const image = await core.store.commit(rec.image, layer as AsyncIterable<Uint8Array>, {
        config,
        ...(repoTag ? { repoTag } : {}),
        ...(options.comment ? { comment: options.comment } : {}),
        ...(options.author ? { author: options.author } : {}),
        createdBy: commandOf(rec.config).join(' '),
        container: { id: rec.id, config: rec.config },
      });
      core.emit(live, 'commit', { comment: options.comment ?? '' });
      return { Id: image.id };
    } catch (e) {
      throw toEngineError(e);
    } finally {
      if (freeze) await core.runner.runc.resume(rec.id).catch((e: unknown) => core.logger.error('resuming after commit failed', { id: rec.id, error: String(e) }));
    }
  });
}

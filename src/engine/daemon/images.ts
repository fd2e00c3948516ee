// The image part of the backend: the image store's verbs, with the engine's events, and removal
// that knows which images containers use.

import type { Readable } from 'node:stream';
import {
  toEngineError,
  type ImageBackend,
  type ImageDeleteResponseItem,
  type ImageImportOptions,
  type ImageInspect,
  type ImageRemoveOptions,
  type ImageSummary,
  type ProgressMessage,
} from '../backend.js';
import { applyChanges } from '../images/changes.js';
import type { EngineCore } from './core.js';
import { imageInspect, imageSummary } from './image-views.js';

async function apiErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toEngineError(e);
  }
}

export class Images implements ImageBackend {
  constructor(private readonly core: EngineCore) {}

  list(): Promise<ImageSummary[]> {
    return apiErrors(async () => (await this.core.store.list()).map((i) => imageSummary(i)));
  }

  inspect(name: string): Promise<ImageInspect> {
    return apiErrors(async () => imageInspect(await this.core.store.get(name)));
  }

  import(options: ImageImportOptions): AsyncIterable<ProgressMessage> {
    const core = this.core;
    return (async function* (): AsyncGenerator<ProgressMessage> {
      const repoTag = options.repo ? (options.tag ? `${options.repo}:${options.tag}` : options.repo) : undefined;
      const loaded = await apiErrors(async () => {
        const changes = applyChanges({}, options.changes);
        return core.store.importRootfs(options.source as AsyncIterable<Uint8Array>, {
          ...(repoTag ? { repoTag } : {}),
          changes,
          ...(options.message ? { message: options.message } : {}),
        });
      });
      core.events.emit('image', 'import', loaded.id, { name: repoTag ?? loaded.id });
      if (repoTag) core.events.emit('image', 'tag', loaded.id, { name: repoTag });
      yield { status: loaded.id };
    })();
  }

  load(tar: Readable): AsyncIterable<ProgressMessage> {
    const core = this.core;
    return (async function* (): AsyncGenerator<ProgressMessage> {
      const loaded = await apiErrors(() => core.store.load(tar as AsyncIterable<Uint8Array>));
      for (const image of loaded) {
        core.events.emit('image', 'load', image.id, { name: image.repoTags[0] ?? image.id });
        if (image.repoTags.length === 0) yield { stream: `Loaded image ID: ${image.id}\n` };
        for (const t of image.repoTags) yield { stream: `Loaded image: ${t}\n` };
      }
    })();
  }

  tag(name: string, repo: string, tag: string | undefined): Promise<void> {
    return apiErrors(async () => {
      const target = tag ? `${repo}:${tag}` : repo;
      await this.core.store.tag(name, target);
      this.core.events.emit('image', 'tag', await this.core.store.resolve(target), { name: target });
    });
  }

  remove(name: string, options: ImageRemoveOptions): Promise<ImageDeleteResponseItem[]> {
    return apiErrors(async () => {
      const items = await this.core.store.remove(name, { force: options.force, inUse: (id) => this.inUse(id) });
      for (const item of items) {
        if ('Untagged' in item) this.core.events.emit('image', 'untag', item.Untagged, { name: item.Untagged });
        else this.core.events.emit('image', 'delete', item.Deleted, { name: item.Deleted });
      }
      return items;
    });
  }

  save(names: string[]): Promise<Readable> {
    return apiErrors(() => this.core.store.save(names) as Promise<Readable>);
  }

  /** Whether containers use the image: 'running' when one of them runs (force cannot remove it then). */
  private inUse(imageId: string): boolean | 'running' {
    let used: boolean | 'running' = false;
    for (const l of this.core.containers.values()) {
      if (l.rec.image !== imageId) continue;
      if (l.rec.state.Running) return 'running';
      used = true;
    }
    return used;
  }
}

// The image part of the backend: the image store's verbs, with the engine's events, removal and
// prune that know which images containers use, and pull/push through the registry client
// (image-transfer.ts).

import type { Readable } from 'node:stream';
import {
  InvalidArgumentError,
  toEngineError,
  type AuthConfig,
  type DistributionInspect,
  type Filters,
  type ImageBackend,
  type ImageDeleteResponseItem,
  type ImageHistoryItem,
  type ImageImportOptions,
  type ImageInspect,
  type ImageListOptions,
  type ImagePruneResponse,
  type ImagePullOptions,
  type ImagePushOptions,
  type ImageRemoveOptions,
  type ImageSummary,
  type ProgressMessage,
} from '../backend.js';
import { applyChanges } from '../images/changes.js';
import { familiarName } from '../reference/reference.js';
import type { EngineCore } from './core.js';
import { distributionInspect, pullMessages, pushMessages } from './image-transfer.js';
import { imageInspect, imageSummary } from './image-views.js';

async function apiErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toEngineError(e);
  }
}

/** A progress stream whose failures are the API's errors (with their status, until the first message). */
async function* apiStream(messages: () => AsyncIterable<ProgressMessage> | Promise<AsyncIterable<ProgressMessage>>): AsyncGenerator<ProgressMessage> {
  try {
    yield* await messages();
  } catch (e) {
    throw toEngineError(e);
  }
}

const PRUNE_FILTERS = new Set(['dangling', 'until', 'label', 'label!']);
const LIST_FILTERS = new Set(['reference', 'dangling', 'label', 'before', 'since']);

/** Docker's `reference` filter: a glob (`*` and `?` stop at `/`) over the familiar name, with or without its tag. */
export function referenceMatches(pattern: string, fullName: string): boolean {
  const familiar = familiarName(fullName);
  const colon = familiar.lastIndexOf(':');
  const repo = colon > familiar.lastIndexOf('/') ? familiar.slice(0, colon) : familiar;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  return re.test(familiar) || re.test(repo);
}

function labelMatches(labels: Record<string, string>, want: string): boolean {
  const eq = want.indexOf('=');
  return eq < 0 ? want in labels : labels[want.slice(0, eq)] === want.slice(eq + 1);
}

/** Docker's `until`: a Unix time (seconds, fractions allowed), an RFC 3339 time, or a duration before now (`24h`, `10m`). */
export function parseUntil(value: string, now: number): Date {
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  const duration = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(value);
  if (duration) {
    const ms = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 'ns'] * Number(duration[1]);
    return new Date(now - ms);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid filter 'until=${value}': not a timestamp or a duration`);
  return new Date(t);
}

export class Images implements ImageBackend {
  constructor(private readonly core: EngineCore) {}

  /** `GET /images/json` with Docker's filters: reference (globs), dangling, label, before, since. */
  list(options: ImageListOptions): Promise<ImageSummary[]> {
    return apiErrors(async () => {
      const f = options.filters;
      for (const key of Object.keys(f)) if (!LIST_FILTERS.has(key)) throw new InvalidArgumentError(`Invalid filter '${key}'`);
      const counts = new Map<string, number>();
      for (const l of this.core.containers.values()) counts.set(l.rec.image, (counts.get(l.rec.image) ?? 0) + 1);
      let images = await this.core.store.list();
      const createdOf = async (ref: string): Promise<number> => Date.parse((await this.core.store.get(ref)).config.created ?? '') || 0;
      if (f.reference?.length) images = images.filter((i) => f.reference.some((p) => i.names.some((n) => referenceMatches(p, n))));
      if (f.dangling?.length) {
        // moby's GetBoolOrDefault: true/1 or false/0, any case; anything else is refused.
        if (!f.dangling.every((v) => ['true', '1', 'false', '0'].includes(v.toLowerCase()))) throw new InvalidArgumentError(`Invalid filter 'dangling=[${f.dangling.join(' ')}]'`);
        const dangling = !['false', '0'].includes(f.dangling[f.dangling.length - 1].toLowerCase());
        images = images.filter((i) => (i.names.length === 0) === dangling);
      }
      for (const want of f.label ?? []) images = images.filter((i) => labelMatches(i.config.config?.Labels ?? {}, want));
      if (f.before?.length) {
        const t = await createdOf(f.before[0]);
        images = images.filter((i) => (Date.parse(i.config.created ?? '') || 0) < t);
      }
      if (f.since?.length) {
        const t = await createdOf(f.since[0]);
        images = images.filter((i) => (Date.parse(i.config.created ?? '') || 0) > t);
      }
      // As dockerd: with a reference filter, an image shows only the names that matched.
      const shown = f.reference?.length
        ? images.map((i) => ({ ...i, names: i.names.filter((n) => f.reference.some((p) => referenceMatches(p, n))), digests: i.digests.filter((d) => f.reference.some((p) => referenceMatches(p, d.replace(/@.*$/, '')))) }))
        : images;
      return shown.map((i) => imageSummary(i, counts.get(i.id) ?? 0));
    });
  }

  inspect(name: string): Promise<ImageInspect> {
    return apiErrors(async () => imageInspect(await this.core.store.get(name)));
  }

  /** Newest first: each history entry, with the size of the layer it made (empty layers are 0). */
  history(name: string): Promise<ImageHistoryItem[]> {
    return apiErrors(async () => {
      const image = await this.core.store.get(name);
      const entries = image.config.history ?? [];
      const layers = [...image.layers];
      const rows = entries.map((h, i): ImageHistoryItem => ({
        Id: i === entries.length - 1 ? image.id : '<missing>',
        Created: Math.floor((Date.parse(h.created ?? '') || 0) / 1000),
        CreatedBy: h.created_by ?? '',
        Tags: i === entries.length - 1 ? image.names.map(familiarName) : null,
        Size: h.empty_layer ? 0 : (layers.shift()?.size ?? 0),
        Comment: h.comment ?? '',
      }));
      return rows.reverse();
    });
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

  pull(options: ImagePullOptions): AsyncIterable<ProgressMessage> {
    return apiStream(() => pullMessages(this.core, options));
  }

  push(name: string, options: ImagePushOptions): AsyncIterable<ProgressMessage> {
    return apiStream(() => pushMessages(this.core, name, options));
  }

  distribution(name: string, auth: AuthConfig | undefined, signal: AbortSignal): Promise<DistributionInspect> {
    return apiErrors(() => distributionInspect(this.core, name, auth, signal));
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
      const items = await this.core.store.remove(name, { force: options.force, inUse: (id) => this.core.imageUser(id) });
      this.emitDeletions(items);
      return items;
    });
  }

  prune(filters: Filters): Promise<ImagePruneResponse> {
    return apiErrors(async () => {
      for (const key of Object.keys(filters)) if (!PRUNE_FILTERS.has(key)) throw new InvalidArgumentError(`Invalid filter '${key}'`);
      const dangling = filters.dangling?.length ? !['false', '0'].includes(filters.dangling[filters.dangling.length - 1]) : true;
      const until = filters.until?.length ? parseUntil(filters.until[filters.until.length - 1], this.core.clock.now()) : undefined;
      const result = await this.core.store.prune({ dangling, ...(until ? { until } : {}), labels: [...(filters.label ?? [])], notLabels: [...(filters['label!'] ?? [])] });
      this.emitDeletions(result.deleted);
      this.core.events.emit('image', 'prune', '', { reclaimed: String(result.reclaimed) });
      return { ImagesDeleted: result.deleted.length > 0 ? result.deleted : null, SpaceReclaimed: result.reclaimed };
    });
  }

  save(names: string[]): Promise<Readable> {
    return apiErrors(() => this.core.store.save(names) as Promise<Readable>);
  }

  private emitDeletions(items: ImageDeleteResponseItem[]): void {
    for (const item of items) {
      if (item.Untagged) this.core.events.emit('image', 'untag', item.Untagged, { name: item.Untagged });
      else if (item.Deleted) this.core.events.emit('image', 'delete', item.Deleted, { name: item.Deleted });
    }
  }
}

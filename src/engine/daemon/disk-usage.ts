// `docker system df`: images (with how many containers use each and the bytes they share with
// other images), containers (the size of their writable layer), volumes (size and how many
// containers reference each) and an empty build cache, since the engine builds nothing yet. Sizes
// are bytes of file content, as Docker counts them.
import type { SystemDataUsage } from '../backend.js';
import { listContainers } from '../container/views.js';
import { directorySize } from '../../lib/du.js';
import type { EngineCore } from './core.js';
import { imageSummary } from './image-views.js';

const TYPES = ['container', 'image', 'volume', 'build-cache'];

export async function dataUsage(core: EngineCore, types: readonly string[]): Promise<SystemDataUsage> {
  const want = (t: string): boolean => types.length === 0 || types.includes(t);
  for (const t of types) if (!TYPES.includes(t)) throw new Error(`unknown type ${t} (one of ${TYPES.join(', ')})`);
  const out: SystemDataUsage = { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] };
  const images = await core.store.list();
  const sizeOf = new Map(images.map((i) => [i.id, i.size]));
  if (want('image')) {
    const users = new Map<string, number>();
    for (const l of core.containers.values()) users.set(l.rec.image, (users.get(l.rec.image) ?? 0) + 1);
    const sharing = new Map<string, number>();
    const layerSize = new Map<string, number>();
    for (const i of images) {
      for (const l of i.layers) {
        sharing.set(l.diffId, (sharing.get(l.diffId) ?? 0) + 1);
        layerSize.set(l.diffId, l.size);
      }
    }
    out.LayersSize = [...layerSize.values()].reduce((a, b) => a + b, 0);
    out.Images = images.map((i) => ({
      ...imageSummary(i, users.get(i.id) ?? 0),
      SharedSize: i.layers.filter((l) => (sharing.get(l.diffId) ?? 0) > 1).reduce((n, l) => n + l.size, 0),
    }));
  }
  if (want('container')) {
    const rows = listContainers(core.viewContext, core.containers.values(), { all: true, size: false, filters: {} }, new Set());
    out.Containers = await Promise.all(
      rows.map(async (c) => {
        const rw = await directorySize(core.paths(c.Id).upper);
        return { ...c, SizeRw: rw, SizeRootFs: rw + (sizeOf.get(c.ImageID) ?? 0) };
      }),
    );
  }
  if (want('volume')) out.Volumes = await core.vols.diskUsage();
  return out;
}

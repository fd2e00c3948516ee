// `docker ps -s` / `docker inspect -s`: SizeRw is what the container wrote (its upper dir), SizeRootFs
// that plus its image. Counted as moby's pkg/directory counts (src/lib/du.ts).

import { directorySize } from '../../lib/du.js';
import type { ContainerRecord } from '../container/record.js';
import type { EngineCore } from './core.js';

export async function containerSizes(core: EngineCore, rec: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
  const rw = await directorySize(core.paths(rec.id).upper);
  const image = await core.store.get(rec.image).then((i) => i.size, () => 0);
  return { SizeRw: rw, SizeRootFs: rw + image };
}

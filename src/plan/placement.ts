// Placement: which x-placement group each service is in and in which mode, after the
// `--placement` override. `split` groups change nothing but labels; `pod` groups get a sandbox
// container whose namespaces the members join; `single` groups run in one container.

import { isPlainObject } from '../lib/object.js';
import type { PlacementMode, Project } from '../model/project.js';

export interface ResolvedGroup {
  name: string;
  mode: PlacementMode;
  /** In declaration order: for single, the first is the main process. */
  services: string[];
  sharePid: boolean;
}

export interface Placement {
  groups: ResolvedGroup[];
  groupOf(service: string): ResolvedGroup | undefined;
}

/** Reads `extensions['x-placement']` (already validated) and applies the override to every group. */
export function resolvePlacement(project: Project, override?: PlacementMode): Placement {
  const raw = project.extensions['x-placement'];
  const groups: ResolvedGroup[] = [];
  if (isPlainObject(raw) && isPlainObject(raw.groups)) {
    for (const name of Object.keys(raw.groups).sort()) {
      const g = raw.groups[name];
      if (!isPlainObject(g) || !Array.isArray(g.services)) continue;
      const services = (g.services as unknown[]).filter((s): s is string => typeof s === 'string' && s in project.services);
      if (services.length === 0) continue;
      groups.push({ name, mode: override ?? ((g.mode as PlacementMode) ?? 'split'), services, sharePid: g.share_pid === true });
    }
  }
  const index = new Map<string, ResolvedGroup>();
  for (const g of groups) for (const s of g.services) index.set(s, g);
  return { groups, groupOf: (s) => index.get(s) };
}

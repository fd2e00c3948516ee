// Replicas a placement group cannot hold: refused before anything runs, with why and what to do
// (compare's table reads the refusals).

import { ComposeError } from '../errors.js';
import type { Project, ServiceConfig } from '../model/project.js';
import type { resolvePlacement } from './placement.js';

/** Replicas of a service that its placement group cannot hold, and why. */
export interface ScaleRefusal {
  service: string;
  replicas: number;
  group: string;
  mode: 'single' | 'pod';
  /** Why, in a few words ("the group is one container"). */
  why: string;
  /** Why, as the error message says it. */
  detail: string;
  remedy: string;
}

/** The planner refuses replicas a placement cannot hold; `refusals` says which and why (compare's table reads them). */
export class PlacementScaleError extends ComposeError {
  constructor(readonly refusals: readonly ScaleRefusal[]) {
    super(
      refusals
        .map((r) => `services.${r.service}: ${r.replicas} replicas cannot run in placement group "${r.group}" (mode ${r.mode}): ${r.detail}. ${r.remedy}`)
        .join('\n'),
    );
  }
}

export function desiredScale(svc: ServiceConfig, override: number | undefined): number {
  if (override !== undefined) return override;
  if (typeof svc.scale === 'number') return svc.scale;
  if (typeof svc.deploy?.replicas === 'number') return svc.deploy.replicas;
  return 1;
}

/**
 * Replicas a placement cannot hold are refused up front, not left to crash-loop: a `single`
 * group is one container; in a `pod` the members share one network namespace, so replicas of a
 * service that listens on ports (`ports`/`expose`) would all bind the same ones.
 */
export function checkScaleFitsPlacement(project: Project, placement: ReturnType<typeof resolvePlacement>, scale: Readonly<Record<string, number>> | undefined, selected: readonly string[]): void {
  const refusals: ScaleRefusal[] = [];
  for (const service of selected) {
    const group = placement.groupOf(service);
    if (!group || group.mode === 'split') continue;
    const svc = project.services[service];
    const count = desiredScale(svc, scale?.[service]);
    if (count <= 1) continue;
    if (group.mode === 'single') {
      refusals.push({ service, replicas: count, group: group.name, mode: 'single', why: 'the group is one container', detail: 'the group is one container', remedy: 'Use --placement split or pod, or scale it to 1.' });
      continue;
    }
    const ports = [...(svc.ports ?? []).map((p) => `${p.target}/${p.protocol}`), ...(svc.expose ?? [])];
    if (ports.length > 0) {
      const bound = [...new Set(ports)].join(', ');
      refusals.push({ service, replicas: count, group: group.name, mode: 'pod', why: `every replica would bind ${bound} in the shared namespace`, detail: `its members share one network namespace and every replica would bind ${bound}`, remedy: 'Use --placement split, or scale it to 1.' });
    }
  }
  if (refusals.length > 0) throw new PlacementScaleError(refusals);
}

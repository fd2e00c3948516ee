// Which services need their image built before the stack converges, and why (pure, part of the
// plan): all with `build:` for `up --build` / `berth build`, those with `pull_policy: build`, and
// those whose image the engine does not have; none with --no-build.
import type { Project } from '../model/project.js';
import { imageOf } from './container-spec.js';
import type { PullPolicy } from './pulls.js';

/** `missing`: build what has no image (up's default); `always`: up --build, berth build; `never`: --no-build. */
export type BuildMode = 'missing' | 'always' | 'never';

export interface BuildStep {
  service: string;
  image: string;
  cause: string;
}

/** The services among `services` that need a build now, each with why. */
export function planBuilds(project: Project, services: readonly string[], images: Readonly<Record<string, string | undefined>>, mode: BuildMode, pull?: PullPolicy): BuildStep[] {
  if (mode === 'never') return [];
  const out: BuildStep[] = [];
  for (const s of [...services].sort()) {
    const svc = project.services[s];
    if (!svc?.build) continue;
    const image = imageOf(project, s);
    const policy = pull ?? (svc.pull_policy as PullPolicy | undefined);
    if (mode === 'always') out.push({ service: s, image, cause: 'build requested' });
    else if (policy === 'build') out.push({ service: s, image, cause: 'pull_policy: build' });
    else if (images[image] === undefined) out.push({ service: s, image, cause: 'image not found' });
  }
  return out;
}


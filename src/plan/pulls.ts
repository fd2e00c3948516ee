// Which images an `up` must pull before it creates anything, from each service's `pull_policy`
// (or `--pull`, which overrides them) and what the engine has. Pure, like the rest of the plan.
//
//   always                 pull every time
//   missing, if_not_present pull when the engine does not have the image (the default)
//   never                  never pull; a missing image is an error
//   build                  berth does not build images: a missing image is an error
//   daily, weekly, every_<duration> (e.g. every_12h, every_1w2d)
//                          pull when missing, or when the image was last pulled longer ago than
//                          that: the time of the last pull is the engine's own record of the
//                          image, its `Metadata.LastTagTime` (set on every pull, by dockerd and by
//                          berth's engine), so nothing is kept on the client
//   refresh                the same, after `pull_refresh_after` (a duration)
//
// Services sharing an image share one pull.
import { ComposeError } from '../errors.js';
import type { Project } from '../model/project.js';
import type { ObservedState } from '../observe/state.js';
import { imageOf } from './container-spec.js';
import { byString } from './util.js';

/** `--pull` values (docker compose's). */
export type PullPolicy = 'always' | 'missing' | 'never' | 'build';

export interface PullStep {
  image: string;
  services: string[];
  cause: string;
}

type Policy = { kind: 'always' | 'missing' | 'never' | 'build' } | { kind: 'refresh'; label: string; maxAgeMs: number };

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `1w2d`, `12h`, `30m`: compose's duration form for pull policies. */
export function parsePolicyDuration(text: string): number | undefined {
  if (!/^(\d+[wdhms])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([wdhms])/g)) ms += Number(n) * UNIT_MS[unit];
  return ms > 0 ? ms : undefined;
}

export function parsePullPolicy(value: string, refreshAfter: string | undefined, where: string): Policy {
  switch (value) {
    case 'always':
    case 'missing':
    case 'never':
    case 'build':
      return { kind: value };
    case 'if_not_present':
      return { kind: 'missing' };
    case 'daily':
      return { kind: 'refresh', label: 'daily', maxAgeMs: UNIT_MS.d };
    case 'weekly':
      return { kind: 'refresh', label: 'weekly', maxAgeMs: UNIT_MS.w };
    case 'refresh': {
      const ms = refreshAfter ? parsePolicyDuration(refreshAfter) : undefined;
      if (!ms) throw new ComposeError(`${where}: pull_policy refresh needs pull_refresh_after, a duration like 12h or 1w2d`);
      return { kind: 'refresh', label: `refresh after ${refreshAfter}`, maxAgeMs: ms };
    }
  }
  const every = /^every_(.+)$/.exec(value);
  const ms = every ? parsePolicyDuration(every[1]) : undefined;
  if (!ms) throw new ComposeError(`${where}: pull_policy ${JSON.stringify(value)} is not always, missing, never, build, daily, weekly, refresh or every_<duration> (e.g. every_12h)`);
  return { kind: 'refresh', label: value, maxAgeMs: ms };
}

function ago(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${Math.floor(h / 24)} days` : h >= 1 ? `${Math.floor(h)} h` : `${Math.max(1, Math.floor(ms / 60_000))} min`;
}

/**
 * The pulls the services need, and the errors (a missing image that may not be pulled) and
 * warnings. `services` are the selected ones whose containers run their own image.
 */
/**
 * `building`: services whose images are built first (builds.ts); nothing is pulled for them. A
 * service with `build:` that is not built (`--no-build`) and whose image is missing is an error.
 */
export function planPulls(project: Project, state: ObservedState, services: readonly string[], opts: { pull?: PullPolicy; now: number; building?: ReadonlySet<string> }): { pulls: PullStep[]; errors: ComposeError[] } {
  const errors: ComposeError[] = [];
  const byImage = new Map<string, PullStep>();
  for (const s of [...services].sort(byString)) {
    const svc = project.services[s];
    const at = { location: { path: ['services', s, 'pull_policy'] } };
    let ref: string;
    let policy: Policy;
    try {
      ref = imageOf(project, s);
      policy = opts.pull ? { kind: opts.pull } : svc.pull_policy ? parsePullPolicy(svc.pull_policy, svc.pull_refresh_after, `services.${s}`) : { kind: svc.build && !svc.image ? 'build' : 'missing' };
    } catch (e) {
      errors.push(e instanceof ComposeError ? e : new ComposeError(String(e), at));
      continue;
    }
    if (opts.building?.has(s)) continue;
    const present = state.images[ref] !== undefined;
    let cause: string | undefined;
    if (policy.kind === 'always') cause = 'pull_policy always';
    else if (policy.kind === 'missing') cause = present ? undefined : 'not on the engine';
    else if (policy.kind === 'refresh') {
      const last = Date.parse(state.imagePulledAt?.[ref] ?? '');
      if (!present) cause = 'not on the engine';
      else if (!(last > 0)) cause = `pull_policy ${policy.label}, and the engine has no time it was last pulled`;
      else if (opts.now - last > policy.maxAgeMs) cause = `pull_policy ${policy.label}, last pulled ${ago(opts.now - last)} ago`;
    } else if (!present) {
      errors.push(
        policy.kind === 'never'
          ? new ComposeError(`image ${ref} for service "${s}" is not on the engine, and its pull policy is never`, { ...at, hint: `pull it (berth pull ${s}), load it, or change the pull policy` })
          : svc.build
            ? new ComposeError(`image ${ref} for service "${s}" is not on the engine, and building was turned off (--no-build)`, { location: { path: ['services', s, 'image'] }, hint: 'run berth build first, or drop --no-build' })
            : new ComposeError(`service "${s}" has pull_policy build but no build section, and image ${ref} is not on the engine`, { location: { path: ['services', s, 'pull_policy'] }, hint: 'add a build section, or pull the image (pull_policy missing)' }),
      );
    }
    if (!cause) continue;
    const step = byImage.get(ref);
    if (step) step.services.push(s);
    else byImage.set(ref, { image: ref, services: [s], cause });
  }
  return { pulls: [...byImage.values()].sort((a, b) => byString(a.image, b.image)), errors };
}

// `berth pull` and `berth push`: the services' images, each once however many services share it.
// `pull` takes every selected service with an image it may pull (pull_policy never and services
// berth would have to build are skipped, and said so); `push` every selected service that names an
// image. The transfers themselves are apply/pull.ts's.
import { executePulls, executePushes, type TransferFailure } from '../apply/pull.js';
import type { ProgressTracker } from '../apply/progress.js';
import type { EnginePort } from '../client/engine-port.js';
import { ComposeError } from '../errors.js';
import type { Project } from '../model/project.js';
import { imageOf } from '../plan/container-spec.js';
import type { PullStep } from '../plan/pulls.js';

export interface TransferRequest {
  port: EnginePort;
  project: Project;
  progress: ProgressTracker;
  now?: () => number;
  parallel?: number;
  signal?: AbortSignal;
  ignoreFailures?: boolean;
}

function selected(project: Project, services: readonly string[]): string[] {
  const unknown = services.filter((s) => !(s in project.services));
  if (unknown.length > 0) throw new ComposeError(`no such service: ${unknown.join(', ')}`);
  return services.length > 0 ? [...new Set(services)] : Object.keys(project.services).sort();
}

function group(entries: { image: string; service: string; cause: string }[]): PullStep[] {
  const byImage = new Map<string, PullStep>();
  for (const e of entries) {
    const step = byImage.get(e.image);
    if (step) step.services.push(e.service);
    else byImage.set(e.image, { image: e.image, services: [e.service], cause: e.cause });
  }
  return [...byImage.values()].sort((a, b) => (a.image < b.image ? -1 : 1));
}

/** The images `berth pull` takes, and the services it skips with the reason. */
export function pullSteps(project: Project, services: readonly string[]): { steps: PullStep[]; skipped: { service: string; why: string }[] } {
  const skipped: { service: string; why: string }[] = [];
  const entries: { image: string; service: string; cause: string }[] = [];
  for (const s of selected(project, services)) {
    const svc = project.services[s];
    if (!svc.image) skipped.push({ service: s, why: 'it is built, not pulled (no image: key)' });
    else if (svc.pull_policy === 'never' || svc.pull_policy === 'build') skipped.push({ service: s, why: `its pull_policy is ${svc.pull_policy}` });
    else entries.push({ image: imageOf(project, s), service: s, cause: 'berth pull' });
  }
  return { steps: group(entries), skipped };
}

export function pushSteps(project: Project, services: readonly string[]): PullStep[] {
  return group(selected(project, services).flatMap((s) => (project.services[s].image ? [{ image: imageOf(project, s), service: s, cause: 'berth push' }] : [])));
}

export async function pullServices(r: TransferRequest, services: readonly string[]): Promise<TransferFailure[]> {
  const { steps, skipped } = pullSteps(r.project, services);
  for (const s of skipped) r.progress.emit('Image', s.service, 'Skipped', { detail: s.why });
  return executePulls(steps, { port: r.port, progress: r.progress, now: r.now ?? Date.now, ...(r.parallel !== undefined ? { parallel: r.parallel } : {}), ...(r.signal ? { signal: r.signal } : {}), ...(r.ignoreFailures ? { ignoreFailures: true } : {}) });
}

export async function pushServices(r: TransferRequest, services: readonly string[]): Promise<TransferFailure[]> {
  return executePushes(pushSteps(r.project, services), { port: r.port, progress: r.progress, now: r.now ?? Date.now, ...(r.parallel !== undefined ? { parallel: r.parallel } : {}), ...(r.signal ? { signal: r.signal } : {}), ...(r.ignoreFailures ? { ignoreFailures: true } : {}) });
}

/**
 * `config --resolve-image-digests`: each service's image pinned to the digest its registry has
 * now (`name:tag@sha256:…`), asked through the engine (its registry settings, the user's
 * credentials); an image already pinned stays as it is. Service → pinned reference.
 */
export async function resolveImageDigests(port: EnginePort, project: Project, signal?: AbortSignal): Promise<Record<string, string>> {
  const byImage = new Map<string, Promise<string>>();
  const out: Record<string, string> = {};
  for (const [name, svc] of Object.entries(project.services).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!svc.image) continue;
    const image = svc.image;
    if (image.includes('@')) {
      out[name] = image;
      continue;
    }
    if (!byImage.has(image)) byImage.set(image, port.images.registryDigest(image, signal ? { signal } : {}).then((d) => `${image}@${d}`));
    out[name] = await byImage.get(image)!.catch((e: unknown) => {
      throw new ComposeError(`services.${name}.image: cannot resolve ${image} to a digest: ${e instanceof Error ? e.message : String(e)}`, { location: { path: ['services', name, 'image'] } });
    });
  }
  return out;
}

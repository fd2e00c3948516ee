// Building services' images: which services need a build (planBuilds, pure), and the builds
// themselves through the engine's classic builder API (POST /build — Docker Engine's and berth's
// engine's alike), one progress row per Dockerfile step: cache hit, or the time it took; a
// failing step's output and exit code in the error.
export { type BuildMode, type BuildStep } from '../plan/builds.js';
import { ImageBuildError, type EnginePort, type ImageBuildRequest } from '../client/engine-port.js';
import { ComposeError } from '../errors.js';
import { isRemoteContext } from '../loader/paths.js';
import type { Project } from '../model/project.js';
import { imageOf } from '../plan/container-spec.js';
import { planBuilds, type BuildStep } from '../plan/builds.js';
import type { ProgressTracker } from '../apply/progress.js';
import { contextArchive } from '../client/build-context.js';

export interface BuildOptions {
  noCache?: boolean;
  pull?: boolean;
  /** --build-arg: over the service's `build.args`. */
  buildArgs?: Record<string, string>;
  /** Builds at once (default 2). */
  parallel?: number;
  signal?: AbortSignal;
}

/** The engine request for one service: compose's `build:` keys, applied or refused. */
export async function buildRequestFor(project: Project, service: string, o: BuildOptions, engineArch: string): Promise<{ request: ImageBuildRequest; warnings: string[] }> {
  const svc = project.services[service];
  const b = svc.build!;
  const at = (key: string): { location: { path: string[] } } => ({ location: { path: ['services', service, 'build', key] } });
  if (isRemoteContext(b.context)) {
    throw new ComposeError(`${b.context} is a remote (git or URL) context: berth builds from local directories only, it fetches nothing`, { ...at('context'), hint: 'clone it and point build.context at the directory' });
  }
  const extra = b as Record<string, unknown>;
  if (extra.additional_contexts && Object.keys(extra.additional_contexts as object).length > 0) {
    throw new ComposeError('additional_contexts (named build contexts) are not supported by berth yet', { ...at('additional_contexts'), hint: 'COPY from a stage or an image instead, or move the files into the context' });
  }
  if (Array.isArray(extra.secrets) && extra.secrets.length > 0) {
    throw new ComposeError('build secrets need BuildKit\'s session API, which neither the classic builder nor berth serves yet', { ...at('secrets'), hint: 'pass the value as a build arg for a throwaway stage, or copy it from the context' });
  }
  const platforms = Array.isArray(extra.platforms) ? (extra.platforms as string[]) : [];
  let platform: string | undefined = typeof svc.platform === 'string' ? svc.platform : undefined;
  if (platforms.length > 0) {
    platform = platforms.find((p) => p.split('/')[1] === engineArch);
    if (!platform) throw new ComposeError(`none of ${platforms.join(', ')} runs on this engine (linux/${engineArch}), and berth does not emulate other architectures`, at('platforms'));
  }
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) if (v !== null) args[k] = v;
  Object.assign(args, o.buildArgs ?? {});
  const archive = await contextArchive(b.context, typeof b.dockerfile_inline === 'string' ? { inline: b.dockerfile_inline } : { file: b.dockerfile ?? 'Dockerfile' });
  const tags = [imageOf(project, service), ...(Array.isArray(extra.tags) ? (extra.tags as string[]) : [])];
  const extraHosts = extra.extra_hosts && typeof extra.extra_hosts === 'object' && !Array.isArray(extra.extra_hosts)
    ? Object.entries(extra.extra_hosts as Record<string, string | string[]>).flatMap(([h, ips]) => (Array.isArray(ips) ? ips : [ips]).map((ip) => `${h}:${ip}`))
    : Array.isArray(extra.extra_hosts) ? (extra.extra_hosts as string[]) : [];
  const request: ImageBuildRequest = {
    context: archive.open,
    dockerfile: archive.dockerfile,
    tags,
    buildArgs: args,
    ...(b.target ? { target: b.target } : {}),
    ...(extra.labels && typeof extra.labels === 'object' ? { labels: extra.labels as Record<string, string> } : {}),
    noCache: o.noCache === true || extra.no_cache === true,
    pull: o.pull === true || extra.pull === true,
    ...(typeof extra.network === 'string' ? { network: extra.network } : {}),
    ...(typeof extra.shm_size === 'number' ? { shmSize: extra.shm_size } : {}),
    ...(extraHosts.length > 0 ? { extraHosts } : {}),
    ...(platform ? { platform } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  return { request, warnings: archive.warnings };
}

const shortText = (t: string): string => (t.length > 60 ? `${t.slice(0, 57)}...` : t);

/** Builds each step's service; progress rows per Dockerfile step; the first failure stops the rest. */
export async function executeBuilds(port: Pick<EnginePort, 'images' | 'version'>, project: Project, steps: readonly BuildStep[], o: BuildOptions, progress: ProgressTracker, warn: (w: string) => void = () => undefined): Promise<Map<string, string>> {
  const built = new Map<string, string>();
  if (steps.length === 0) return built;
  const arch = (await port.version()).arch;
  const queue = [...steps];
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && failure === undefined) {
      const step = queue.shift()!;
      try {
        built.set(step.service, await buildOne(port, project, step, o, progress, arch, warn));
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel ?? 2, steps.length) }, worker));
  if (failure !== undefined) throw failure;
  return built;
}

async function buildOne(port: Pick<EnginePort, 'images' | 'version'>, project: Project, step: BuildStep, o: BuildOptions, progress: ProgressTracker, arch: string, warn: (w: string) => void): Promise<string> {
  const { request, warnings } = await buildRequestFor(project, step.service, o, arch);
  for (const w of warnings) warn(`${step.service}: ${w}`);
  let row: string | undefined;
  /** The legacy stream follows "Using cache" with the step's id: that is not a second verdict. */
  let cached: string | undefined;
  const output: string[] = [];
  try {
    const { id } = await port.images.build(request, (e) => {
      if (e.kind === 'step') {
        output.length = 0;
        row = `${step.service} ${e.number}/${e.total} ${shortText(e.text)}`;
        progress.emit('Build', row, 'Building');
      } else if (e.kind === 'cached' && row) {
        progress.emit('Build', row, 'Cached');
        cached = row;
      } else if (e.kind === 'done' && row && cached !== row) progress.emit('Build', row, 'Built');
      else if (e.kind === 'output') output.push(e.text);
      else if (e.kind === 'warning') warn(`${step.service}: ${e.text}`);
    });
    progress.emit('Image', step.image, 'Built');
    return id;
  } catch (e) {
    const message = e instanceof ImageBuildError ? e.engineMessage : (e as Error).message;
    if (row) progress.emit('Build', row, 'Error', { detail: message.split('\n')[0] });
    const tail = e instanceof ImageBuildError ? e.output : output.slice(-20);
    const shown = tail.filter((l) => !message.includes(l)).slice(-20);
    throw new ComposeError(`service "${step.service}" failed to build: ${message}${shown.length > 0 ? `\n${shown.map((l) => `  | ${l}`).join('\n')}` : ''}`, { location: { path: ['services', step.service, 'build'] } });
  }
}

/** `berth build [SVC…]`: every named service (all with `build:` when none is named), built now. */
export async function buildServices(port: EnginePort, project: Project, services: readonly string[], o: BuildOptions, progress: ProgressTracker, warn: (w: string) => void): Promise<Map<string, string>> {
  for (const s of services) {
    if (!project.services[s]) throw new ComposeError(`no such service: ${s}`);
    if (!project.services[s].build) throw new ComposeError(`service "${s}" has no build section`, { location: { path: ['services', s] } });
  }
  const selected = services.length > 0 ? [...services] : Object.keys(project.services).filter((s) => project.services[s].build);
  return executeBuilds(port, project, planBuilds(project, selected, {}, 'always'), o, progress, warn);
}

// ParsedDockerfile + build options → BuildPlan, with no I/O and no engine call. The solver may
// call it twice: first without image configs to learn `plan.images`, then with the configs it
// resolved, which gives base images' ENV, WORKDIR and ONBUILD triggers their effect.
import { createHash } from 'node:crypto';
import { DockerfileError, throwIfErrors, warningAt, type BuildWarning } from '../dockerfile/errors.js';
import type { ParsedDockerfile } from '../dockerfile/model.js';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform, type Platform } from '../dockerfile/platform.js';
import { ValueError } from '../dockerfile/values.js';
import { evaluateMetaArgs, isFrontendArg, PROXY_ARGS, proxyEnv } from './args.js';
import { canonicalJson } from './canonical-json.js';
import { dispatchStage, type StageResult } from './dispatch.js';
import { buildStageGraph, resolveFrom } from './stages.js';
import type { BuildPlan, ImageConfigInput, PlannedStage, PlannedStep } from './types.js';

export interface PlanOptions {
  /** The stage to build; the last one when absent. */
  target?: string;
  /** `--build-arg`s: they override defaults of the ARGs that declare them, nothing else. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The machine that builds (`linux/amd64` by default). */
  buildPlatform?: string;
  /** The platform the image is for (the build platform by default). */
  targetPlatform?: string;
  /** Configs of base images the solver resolved, by normalized reference (`plan.images`). */
  images?: Readonly<Record<string, ImageConfigInput>>;
  /** The security.insecure entitlement: allows RUN --security=insecure. */
  allowInsecure?: boolean;
}

function platformOption(value: string | undefined, fallback: Platform, what: string, file: string, errors: DockerfileError[]): Platform {
  if (value === undefined) return fallback;
  try {
    return parsePlatform(value);
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    errors.push(new DockerfileError(`${what}: ${e.message}`, { file, hint: e.hint }));
    return fallback;
  }
}

export function planBuild(parsed: ParsedDockerfile, options: PlanOptions = {}): BuildPlan {
  const { file } = parsed;
  const errors: DockerfileError[] = [];
  const buildArgs = options.buildArgs ?? {};
  const images = options.images ?? {};
  const buildPlatform = platformOption(options.buildPlatform, DEFAULT_PLATFORM, 'build platform', file, errors);
  const targetPlatform = platformOption(options.targetPlatform, buildPlatform, 'target platform', file, errors);

  const meta = evaluateMetaArgs(parsed.metaArgs, buildArgs, buildPlatform, targetPlatform, parsed.escape, file, errors);
  const warnings: BuildWarning[] = [...parsed.warnings];
  const graph = buildStageGraph(parsed, meta, { target: options.target, targetPlatform, images }, errors, warnings);
  if (!graph) {
    throwIfErrors(errors);
    throw new Error('unreachable: the stage graph failed without an error');
  }

  const consumed = new Set<string>(meta.keys());
  const contextPaths = new Set<string>();
  const imageRefs = new Set<string>();
  const results = new Map<number, StageResult>();
  for (const i of graph.order) {
    const node = graph.nodes[i];
    for (const ref of node.images) imageRefs.add(ref);
    results.set(
      i,
      dispatchStage(node, results, {
        parsed,
        graph,
        meta,
        buildArgs,
        images,
        allowInsecure: options.allowInsecure ?? false,
        proxyEnv: proxyEnv(buildArgs),
        consumed,
        contextPaths,
        imageRefs,
        resolveFrom: (value, position, what) => resolveFrom(value, parsed, graph.nodes.length, position, what, errors),
        errors,
      }),
    );
  }
  throwIfErrors(errors);

  const stages: PlannedStage[] = [...graph.order].sort((a, b) => a - b).map((i) => {
    const node = graph.nodes[i];
    const r = results.get(i)!;
    return {
      index: i,
      name: node.stage.name,
      label: node.label,
      position: node.stage.from.position,
      platform: formatPlatform(node.platform),
      base: node.base,
      dependsOn: [...node.deps.keys()].sort((a, b) => a - b),
      level: graph.levelOf.get(i)!,
      steps: r.steps,
      config: r.state.config,
    };
  });

  const unusedBuildArgs = Object.keys(buildArgs)
    .filter((k) => !consumed.has(k) && !PROXY_ARGS.includes(k) && !isFrontendArg(k))
    .sort();
  if (unusedBuildArgs.length > 0) {
    warnings.push(warningAt(`one or more build args were not consumed: ${unusedBuildArgs.join(', ')}`, file));
  }
  for (const s of stages) {
    if (s.base.kind === 'image' && !s.base.resolved && Object.keys(images).length > 0) {
      warnings.push(warningAt(`no config was given for ${s.base.ref}: planned with an empty one`, file, s.position));
    }
  }

  // In file order, those without a place last.
  const at = (w: BuildWarning): number => (w.location?.line ?? Number.MAX_SAFE_INTEGER) * 10_000 + (w.location?.column ?? 0);
  warnings.sort((a, b) => at(a) - at(b));
  const target = graph.nodes[graph.target];
  return {
    file,
    target: { stage: graph.target, label: target.label, defaulted: graph.targetDefaulted },
    buildPlatform: formatPlatform(buildPlatform),
    targetPlatform: formatPlatform(targetPlatform),
    stages,
    levels: graph.levels,
    images: [...imageRefs].sort(),
    contextPaths: [...contextPaths].sort(),
    unusedBuildArgs,
    warnings,
  };
}

/**
 * A step's cache key: its own part (`keyInput`), the key of what it builds on (the previous
 * step, or the base image digest / base stage key for a FROM) and the digests of what it reads
 * (context selections, source stage selections, URL checksums), in the order of its sources.
 */
export function stepCacheKey(step: PlannedStep, parentKey: string, contentDigests: readonly string[] = []): string {
  const h = createHash('sha256');
  h.update(canonicalJson({ parent: parentKey, step: step.keyInput, content: contentDigests }));
  return `sha256:${h.digest('hex')}`;
}

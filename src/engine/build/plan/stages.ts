// Stages as a graph. Each FROM is expanded with the global args and resolves to scratch, an
// earlier stage (by name) or an image; COPY --from and RUN --mount from=… add edges to stages
// by name or index, in either direction, and to images. Cycles are refused with the whole chain;
// then the target picks the stages it needs and they are levelled: stages of one level do not
// depend on each other, so the solver can build them at the same time.
import { ImageError } from '../../images/errors.js';
import { InvalidReferenceError, parseReference } from '../../reference/reference.js';
import { DockerfileError, warningAt, type BuildWarning, type SourcePosition } from '../dockerfile/errors.js';
import { LexError, processWord } from '../dockerfile/lex.js';
import type { ParsedDockerfile, Stage, StageInstruction } from '../dockerfile/model.js';
import { editDistance } from '../dockerfile/suggest.js';
import { parsePlatform, type Platform } from '../dockerfile/platform.js';
import { ValueError } from '../dockerfile/values.js';
import { metaEnv, type MetaArgs } from './args.js';
import { parseTriggers, stageTriggers } from './onbuild.js';
import type { ImageConfigInput, SourceRef, StageBase } from './types.js';

export interface StageNode {
  stage: Stage;
  label: string;
  platform: Platform;
  base: StageBase;
  /** ONBUILD triggers of the base, run before the stage's own instructions. */
  triggers: StageInstruction[];
  /** Stage index → where the dependency is written. */
  deps: Map<number, SourcePosition>;
  images: Set<string>;
}

export interface StageGraph {
  nodes: StageNode[];
  target: number;
  targetDefaulted: boolean;
  /** Needed stages in an order where every stage comes after what it depends on. */
  order: number[];
  levels: number[][];
  levelOf: Map<number, number>;
}

export interface GraphOptions {
  target?: string;
  targetPlatform: Platform;
  images: Readonly<Record<string, ImageConfigInput>>;
}

/** `busybox` → `docker.io/library/busybox:latest`; a digest is kept, a tag added only when neither is given. */
export function normalizeImageRef(ref: string): string {
  const r = parseReference(ref);
  const tag = r.tag !== undefined ? `:${r.tag}` : r.digest ? '' : ':latest';
  return `${r.domain}/${r.path}${tag}${r.digest ? `@${r.digest}` : ''}`;
}

export const stageLabel = (stage: Stage): string => stage.name ?? `stage-${stage.index}`;

/**
 * A bare name that is read as an image but is a letter or two away from a stage name is most
 * likely a typo: worth a warning, since the image will otherwise be pulled.
 */
function nearStage(name: string, parsed: ParsedDockerfile): string | undefined {
  if (/[/:.@]/.test(name)) return undefined;
  return parsed.stages.map((s) => s.name).find((s): s is string => s !== undefined && s !== name && editDistance(name, s) <= 2);
}

export function buildStageGraph(
  parsed: ParsedDockerfile,
  meta: MetaArgs,
  opts: GraphOptions,
  errors: DockerfileError[],
  warnings: BuildWarning[] = [],
): StageGraph | undefined {
  const { file } = parsed;
  const env = metaEnv(meta);
  const fail = (message: string, position: SourcePosition, hint?: string): void => {
    errors.push(new DockerfileError(message, { file, position, hint }));
  };
  const nodes: StageNode[] = [];

  for (const stage of parsed.stages) {
    const from = stage.from;
    const node: StageNode = {
      stage,
      label: stageLabel(stage),
      platform: opts.targetPlatform,
      base: { kind: 'scratch' },
      triggers: [],
      deps: new Map(),
      images: new Set(),
    };
    nodes.push(node);

    let baseName: string | undefined;
    try {
      baseName = processWord(from.image.value, env, { escape: parsed.escape }).result;
    } catch (e) {
      if (!(e instanceof LexError)) throw e;
      fail(e.message, from.image.position);
    }
    if (baseName === '') fail(`base name (${from.image.value}) should not be blank`, from.image.position, 'give the global ARG it uses a value');
    if (baseName) resolveBase(node, baseName);

    if (from.platform) {
      try {
        const spec = processWord(from.platform.value, env, { escape: parsed.escape }).result;
        if (spec === '') fail(`empty platform value from expression ${from.platform.value}`, from.platform.position);
        else node.platform = parsePlatform(spec);
      } catch (e) {
        if (!(e instanceof LexError) && !(e instanceof ValueError)) throw e;
        fail(e.message, from.platform.position, e instanceof ValueError ? e.hint : undefined);
      }
    } else if (node.base.kind === 'stage') {
      node.platform = nodes[node.base.stage].platform;
    }
  }

  function resolveBase(node: StageNode, baseName: string): void {
    const i = node.stage.index;
    const earlier = [...nodes].reverse().find((n) => n.stage.index < i && n.stage.name === baseName);
    if (earlier) {
      node.base = { kind: 'stage', stage: earlier.stage.index };
      node.deps.set(earlier.stage.index, node.stage.from.image.position);
      node.triggers = parseTriggers(stageTriggers(earlier.stage), file, node.stage.from.position, errors);
      return;
    }
    const later = parsed.stages.find((s) => s.index > i && s.name === baseName);
    if (later) {
      fail(
        `FROM ${baseName} refers to the stage "${baseName}" defined later, at line ${later.from.position.line}`,
        node.stage.from.image.position,
        'a stage can only build on a stage defined before it: move that stage up',
      );
      return;
    }
    if (baseName === 'scratch') return;
    const near = nearStage(baseName, parsed);
    if (near) warnings.push(warningAt(`FROM ${baseName} is read as an image; did you mean the stage "${near}"?`, file, node.stage.from.image.position));
    try {
      const ref = normalizeImageRef(baseName);
      const config = Object.hasOwn(opts.images, ref) ? opts.images[ref] : undefined;
      node.base = { kind: 'image', ref, resolved: config !== undefined };
      node.images.add(ref);
      if (config?.onBuild?.length) node.triggers = parseTriggers(config.onBuild, file, node.stage.from.position, errors);
    } catch (e) {
      if (!(e instanceof ImageError || e instanceof InvalidReferenceError)) throw e;
      const stages = parsed.stages.filter((s) => s.name).map((s) => s.name);
      fail(e.message, node.stage.from.image.position, stages.length ? `stages are ${stages.join(', ')}` : undefined);
    }
  }

  // Edges from COPY --from and RUN --mount from=…, the stage's own and its triggers'.
  for (const node of nodes) {
    for (const instr of [...node.triggers, ...node.stage.instructions]) {
      const froms: { value: string; position: SourcePosition; what: string }[] = [];
      if (instr.kind === 'COPY' && instr.from) froms.push({ value: instr.from.value, position: instr.from.position, what: 'COPY --from' });
      if (instr.kind === 'RUN') {
        for (const m of instr.mounts) if (m.mount.from !== undefined) froms.push({ value: m.mount.from, position: m.position, what: 'RUN --mount from' });
      }
      for (const f of froms) {
        const ref = resolveFrom(f.value, parsed, nodes.length, f.position, f.what, errors);
        const near = ref?.kind === 'image' ? nearStage(f.value, parsed) : undefined;
        if (near) warnings.push(warningAt(`${f.what}=${f.value} is read as an image; did you mean the stage "${near}"?`, file, f.position));
        if (ref?.kind === 'stage' && !node.deps.has(ref.stage)) node.deps.set(ref.stage, f.position);
        if (ref?.kind === 'image') node.images.add(ref.ref);
      }
    }
  }

  const cycle = findCycle(nodes);
  if (cycle) {
    const chain = [...cycle, cycle[0]].map((i) => nodes[i].label).join(' → ');
    const first = nodes[cycle[0]];
    fail(`circular dependency between stages: ${chain}`, first.deps.get(cycle[1 % cycle.length])!, 'a stage cannot need, directly or not, a stage that needs it');
    return undefined;
  }

  let target = nodes.length - 1;
  const targetDefaulted = opts.target === undefined || opts.target === '';
  if (!targetDefaulted) {
    const wanted = opts.target!.toLowerCase();
    const found = [...nodes].reverse().find((n) => n.stage.name === wanted);
    if (!found) {
      const names = nodes.filter((n) => n.stage.name).map((n) => n.stage.name);
      errors.push(
        new DockerfileError(`target stage ${JSON.stringify(opts.target)} could not be found`, {
          file,
          hint: names.length ? `stages are ${names.join(', ')}` : 'the Dockerfile has no named stages',
        }),
      );
      return undefined;
    }
    target = found.stage.index;
  }

  // Depth-first from the target: every stage after its dependencies; the level is the longest
  // chain of dependencies under it.
  const order: number[] = [];
  const levelOf = new Map<number, number>();
  const visit = (i: number): number => {
    const known = levelOf.get(i);
    if (known !== undefined) return known;
    let level = 0;
    for (const d of [...nodes[i].deps.keys()].sort((a, b) => a - b)) level = Math.max(level, visit(d) + 1);
    levelOf.set(i, level);
    order.push(i);
    return level;
  };
  visit(target);
  const levels: number[][] = [];
  for (const [i, level] of [...levelOf].sort((a, b) => a[0] - b[0])) (levels[level] ??= []).push(i);
  return { nodes, target, targetDefaulted, order, levels, levelOf };
}

/** A COPY --from / mount from= value: a stage name, a stage index, or an image. */
export function resolveFrom(
  value: string,
  parsed: ParsedDockerfile,
  stageCount: number,
  position: SourcePosition,
  what: string,
  errors: DockerfileError[],
): SourceRef | undefined {
  const fail = (message: string, hint?: string): undefined => {
    errors.push(new DockerfileError(message, { file: parsed.file, position, hint }));
    return undefined;
  };
  if (/^-?\d+$/.test(value)) {
    const index = Number(value);
    if (index < 0 || index >= stageCount) return fail(`invalid stage index ${value}`, `stages are numbered 0 to ${stageCount - 1}`);
    return { kind: 'stage', stage: index };
  }
  const lower = value.toLowerCase();
  const named = [...parsed.stages].reverse().find((s) => s.name === lower);
  if (named) return { kind: 'stage', stage: named.index };
  try {
    return { kind: 'image', ref: normalizeImageRef(value) };
  } catch (e) {
    if (!(e instanceof ImageError || e instanceof InvalidReferenceError)) throw e;
    const names = parsed.stages.filter((s) => s.name).map((s) => s.name);
    return fail(
      `${what}=${value} is neither a stage of this Dockerfile nor a valid image reference`,
      names.length ? `stages are ${names.join(', ')}` : 'name a stage with FROM <image> AS <name>',
    );
  }
}

/** A cycle of stage indices (starting at its smallest member), or undefined. */
function findCycle(nodes: readonly StageNode[]): number[] | undefined {
  const state = new Map<number, 'open' | 'done'>();
  const path: number[] = [];
  const walk = (i: number): number[] | undefined => {
    state.set(i, 'open');
    path.push(i);
    for (const d of [...nodes[i].deps.keys()].sort((a, b) => a - b)) {
      if (state.get(d) === 'open') {
        const cycle = path.slice(path.indexOf(d));
        const start = cycle.indexOf(Math.min(...cycle));
        return [...cycle.slice(start), ...cycle.slice(0, start)];
      }
      if (!state.has(d)) {
        const found = walk(d);
        if (found) return found;
      }
    }
    path.pop();
    state.set(i, 'done');
    return undefined;
  };
  for (const n of nodes) {
    if (state.has(n.stage.index)) continue;
    const found = walk(n.stage.index);
    if (found) return found;
  }
  return undefined;
}

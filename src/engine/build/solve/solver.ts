// The solver: a Dockerfile and a context → an image. Plan twice (once to learn which images to
// resolve, once with their configs, so base ENV, WORKDIR and ONBUILD take effect), hash the
// context, then run the stages the target needs level by level — stages of one level at once,
// bounded — each step looked up in the cache by its key or executed (RUN in a container, COPY/ADD
// and WORKDIR in a writable view of the stage's root) and its upper dir diffed into a layer.
//
// Cache keys (stepCacheKey): the step's own canonical JSON, the digests of what it reads (context
// selections after .dockerignore, the content of what COPY --from takes from a stage, a source
// image's id, a URL's checksum or fetched digest), and its parent — the parent's key *and the diff id the parent produced*. So a
// RUN re-executed under --no-cache that produces a different layer re-keys what follows, while
// one that produces the same bytes (SOURCE_DATE_EPOCH) keeps the rest cached.
//
// --no-cache (and --no-cache-filter for named stages) re-executes RUN steps and URL downloads
// without a checksum: the steps whose output can change without their inputs changing. COPY,
// ADD of local files or checksummed URLs, and WORKDIR are pure functions of their inputs and
// their parent's layers, so they are still taken from the cache when those are the same —
// berth's answer to buildkit#4437 (`--no-cache` re-copying unchanged COPY layers).
import { createReadStream, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DockerfileErrors } from '../dockerfile/errors.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { formatPlatform, parsePlatform, type Platform } from '../dockerfile/platform.js';
import { planBuild, stepCacheKey } from '../plan/plan.js';
import type { BuildPlan, ImageConfigInput, PlannedStage, PlannedStep, SourceRef } from '../plan/types.js';
import { checkContextSources, stepContextDigests } from '../context/plan-inputs.js';
import { walkContext, walkTree, type ContextIndex, type MetaOverride } from '../context/walk.js';
import type { TarContext } from '../context/tar-index.js';
import { ContextError } from '../context/errors.js';
import { canonicalJson } from '../plan/canonical-json.js';
import { createHash } from 'node:crypto';
import { fetchUrl, type Fetched } from './add-url.js';
import type { BuildCache } from './cache.js';
import { executeCopy } from './copy.js';
import { viewTrees, type ContextFiles } from './copy-sources.js';
import { BuildStepError, OutputTail, type BuildEvent } from './events.js';
import { ociConfig, type HistoryStep } from './image-config.js';
import { resolveInRoot } from './in-root.js';
import type { BuildExecutor, BuildImageStore, BuiltLayer, OciImageConfig, ResolvedImage, RootView } from './ports.js';
import { executeRun, type BuildSecret } from './run-step.js';
import { diffUpper, removeMountStubs, RUNTIME_MOUNT_POINTS } from './diff-layer.js';
import { resolveOwner } from './owner.js';
import { BerthError } from '../../../errors.js';

export interface SolveRequest {
  dockerfile: string;
  /** The Dockerfile's name in messages (`Dockerfile`, `docker/app.Dockerfile`). */
  dockerfileName: string;
  context?: {
    /** A directory on disk … */
    dir?: string;
    /** … or an archive held in memory (POST /build), written out only when a step reads it. */
    tar?: TarContext;
    /** Modes and owners from a context tar, by relative path. */
    metadata?: ReadonlyMap<string, MetaOverride>;
    /** The Dockerfile relative to the context, when it is in it (its own .dockerignore is looked for beside it). */
    dockerfilePath?: string;
  };
  tags: readonly string[];
  target?: string;
  buildArgs: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  noCache: boolean;
  /** Stages (names or indices) whose steps ignore the cache. */
  noCacheFilter: readonly string[];
  pull: boolean;
  platform?: string;
  network?: 'default' | 'none';
  extraHosts?: readonly string[];
  shmSize?: number;
  secrets?: ReadonlyMap<string, BuildSecret>;
  sourceDateEpoch?: number;
  /** Stages run at once (default 2). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface SolveDeps {
  store: BuildImageStore;
  executor: BuildExecutor;
  cache: BuildCache;
  emit(e: BuildEvent): void;
  now(): Date;
}

export interface SolveResult {
  imageId: string;
  tags: string[];
  /** Every step run, in the order it started, with whether the cache had it. */
  steps: { id: string; text: string; cached: boolean }[];
}

export class BuildError extends BerthError {}

/** A stage's root as the steps build it up. */
interface StageRoot {
  key: string;
  /** The base image's (or base stage's) layers as the store or cache keeps them, top first. */
  baseLowers: string[];
  baseDiffIds: string[];
  baseHistory: NonNullable<OciImageConfig['history']>;
  /** Layers this build chain added, bottom first. */
  layers: BuiltLayer[];
  history: HistoryStep[];
  /** The newest result's creation time. */
  created: string;
}

const sha = (v: unknown): string => `sha256:${createHash('sha256').update(canonicalJson(v)).digest('hex')}`;
const lowerOf = (r: StageRoot): string[] => [...r.layers.map((l) => l.dir).reverse(), ...r.baseLowers];

function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: 'linux', architecture: arch };
}

function configInput(c: OciImageConfig): ImageConfigInput {
  const cc = c.config ?? {};
  const h = cc.Healthcheck;
  return {
    ...(cc.Env ? { env: cc.Env } : {}),
    ...(cc.WorkingDir ? { workingDir: cc.WorkingDir } : {}),
    ...(cc.User ? { user: cc.User } : {}),
    ...(cc.Cmd ? { cmd: cc.Cmd } : {}),
    ...(cc.Entrypoint ? { entrypoint: cc.Entrypoint } : {}),
    ...(cc.Shell ? { shell: cc.Shell } : {}),
    ...(cc.OnBuild ? { onBuild: cc.OnBuild } : {}),
    ...(cc.Labels ? { labels: cc.Labels } : {}),
    ...(cc.ExposedPorts ? { exposedPorts: Object.keys(cc.ExposedPorts) } : {}),
    ...(cc.Volumes ? { volumes: Object.keys(cc.Volumes) } : {}),
    ...(cc.StopSignal ? { stopSignal: cc.StopSignal } : {}),
    ...(h?.Test ? { healthcheck: { test: h.Test, intervalNs: h.Interval, timeoutNs: h.Timeout, startPeriodNs: h.StartPeriod, startIntervalNs: h.StartInterval, retries: h.Retries } } : {}),
  };
}

export async function solve(req: SolveRequest, deps: SolveDeps): Promise<SolveResult> {
  const { store, executor, cache, emit } = deps;
  const host = hostPlatform();
  const target = req.platform ? parsePlatform(req.platform) : host;
  if (target.os !== host.os || target.architecture !== host.architecture) {
    throw new BuildError(`building for ${formatPlatform(target)} on a ${formatPlatform(host)} engine needs emulation, which the berth engine does not have; build for ${formatPlatform(host)}`);
  }
  const parsed = parseDockerfile(req.dockerfile, { file: req.dockerfileName });
  const planOptions = { target: req.target, buildArgs: req.buildArgs, buildPlatform: formatPlatform(host), targetPlatform: formatPlatform(target) };
  const first = planBuild(parsed, planOptions);
  const images = new Map<string, ResolvedImage>();
  for (const ref of first.images) images.set(ref, await store.resolve(ref, formatPlatform(target), { pull: req.pull }));
  const plan = planBuild(parsed, { ...planOptions, images: Object.fromEntries([...images].map(([r, i]) => [r, configInput(i.config)])) });
  for (const w of plan.warnings) emit({ type: 'warning', message: w.location?.line ? `${w.location.file}:${w.location.line}: ${w.message}` : w.message });

  let index: ContextIndex | undefined;
  if (req.context) {
    const c = req.context;
    const dockerfile = c.dockerfilePath ? { dockerfile: c.dockerfilePath } : {};
    if (c.tar) index = await walkTree(c.tar.tree, 'build context', { ...dockerfile, ignore: c.tar.ignoreRules(c.dockerfilePath) });
    else if (c.dir) index = await walkContext(c.dir, { ...dockerfile, ...(c.metadata ? { metadata: c.metadata } : {}) });
    else throw new BuildError('a build context needs a directory or an archive');
    for (const w of index.warnings) emit({ type: 'warning', message: w.message });
    const missing = checkContextSources(plan, index);
    if (missing.length > 0) throw missing.length === 1 ? missing[0] : new DockerfileErrors(missing);
  } else if (plan.contextPaths.length > 0) {
    throw new BuildError(`${plan.file}: the build reads ${plan.contextPaths.join(', ')} from its context, but it has none`);
  }

  const solver = new StageSolver(req, deps, plan, images, index);
  try {
    const final = await solver.run();
    const stage = plan.stages.find((s) => s.index === plan.target.stage)!;
    const epoch = req.sourceDateEpoch !== undefined ? new Date(req.sourceDateEpoch * 1000).toISOString() : undefined;
    const config = ociConfig({
      config: stage.config,
      platform: target,
      labels: req.labels,
      diffIds: [...final.baseDiffIds, ...final.layers.map((l) => l.diffId)],
      baseHistory: final.baseHistory,
      // With SOURCE_DATE_EPOCH every time in the image is that one: the same inputs give the same image id.
      steps: epoch ? final.history.map((h) => ({ ...h, created: epoch })) : final.history,
      created: epoch ?? final.created,
    });
    const tags = req.tags.map((t) => store.normalizeTag(t));
    const imageId = await store.createImage(config, final.layers, tags);
    emit({ type: 'image', id: imageId, tags: [...req.tags] });
    return { imageId, tags: [...req.tags], steps: solver.record };
  } finally {
    solver.releasePins();
    await cache.save().catch(() => undefined);
    await cache.evict(deps.now()).catch(() => undefined);
  }
}

class StageSolver {
  readonly record: SolveResult['steps'] = [];
  private readonly results = new Map<number, StageRoot>();
  private readonly pins: (() => void)[] = [];
  private readonly abort = new AbortController();
  private counter = 0;
  private readonly total: number;

  constructor(
    private readonly req: SolveRequest,
    private readonly deps: SolveDeps,
    private readonly plan: BuildPlan,
    private readonly images: ReadonlyMap<string, ResolvedImage>,
    private readonly index: ContextIndex | undefined,
  ) {
    this.total = plan.stages.reduce((n, s) => n + s.steps.length, 0);
    req.signal?.addEventListener('abort', () => this.abort.abort(), { once: true });
  }

  releasePins(): void {
    for (const p of this.pins.splice(0)) p();
  }

  async run(): Promise<StageRoot> {
    const byIndex = new Map(this.plan.stages.map((s) => [s.index, s]));
    const width = Math.max(1, this.req.concurrency ?? 2);
    for (const level of this.plan.levels) {
      const queue = [...level];
      let failure: unknown;
      const worker = async (): Promise<void> => {
        while (queue.length > 0 && failure === undefined) {
          const i = queue.shift()!;
          try {
            this.results.set(i, await this.runStage(byIndex.get(i)!));
          } catch (e) {
            failure ??= e;
            this.abort.abort();
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(width, level.length) }, worker));
      if (failure !== undefined) throw failure;
    }
    return this.results.get(this.plan.target.stage)!;
  }

  private noCacheFor(stage: PlannedStage): boolean {
    return this.req.noCache || this.req.noCacheFilter.some((f) => f === stage.name || f === stage.label || f === String(stage.index));
  }

  private async runStage(stage: PlannedStage): Promise<StageRoot> {
    const [fromStep, ...rest] = stage.steps;
    let root = this.fromRoot(stage);
    this.announce(stage, fromStep);
    this.deps.emit({ type: 'cached', id: fromStep.id, key: root.key });
    this.record.push({ id: fromStep.id, text: fromStep.text, cached: true });
    let missed = false;
    for (const step of rest) {
      if (this.abort.signal.aborted) throw new BuildError('build cancelled');
      this.announce(stage, step);
      const started = Date.now();
      const outcome = await this.runStep(stage, step, root, missed);
      root = outcome.root;
      if (!outcome.cached) missed = true;
      this.record.push({ id: step.id, text: step.text, cached: outcome.cached });
      if (outcome.cached) this.deps.emit({ type: 'cached', id: step.id, key: root.key });
      else this.deps.emit({ type: 'done', id: step.id, key: root.key, ms: Date.now() - started, ...(outcome.layer ? { layer: outcome.layer } : {}) });
    }
    return root;
  }

  private announce(stage: PlannedStage, step: PlannedStep): void {
    this.deps.emit({ type: 'step', id: step.id, stage: stage.label, number: ++this.counter, total: this.total, text: step.text });
  }

  private fromRoot(stage: PlannedStage): StageRoot {
    const base = stage.base;
    const keyInput = stage.steps[0].keyInput;
    if (base.kind === 'stage') {
      const r = this.results.get(base.stage)!;
      return { ...r, key: sha({ from: keyInput, stage: r.key }), layers: [...r.layers], history: [...r.history] };
    }
    if (base.kind === 'image') {
      const img = this.images.get(base.ref)!;
      return {
        key: sha({ from: keyInput, image: img.id }),
        baseLowers: img.lowerDirs,
        baseDiffIds: img.config.rootfs.diff_ids,
        baseHistory: img.config.history ?? [],
        layers: [],
        history: [],
        created: img.config.created ?? new Date(0).toISOString(),
      };
    }
    return { key: sha({ from: keyInput }), baseLowers: [], baseDiffIds: [], baseHistory: [], layers: [], history: [], created: new Date(0).toISOString() };
  }

  private where(step: PlannedStep, stage: PlannedStage): { text: string; stage: string; location: { file: string; line: number; column: number } } {
    return { text: step.text, stage: stage.label, location: { file: this.plan.file, line: step.position.line, column: step.position.column } };
  }

  /** Digests of what a step reads besides its parent, aligned with its sources or mounts. */
  private async contentDigests(step: PlannedStep, fetched: Map<string, Fetched>, noCache: boolean): Promise<string[]> {
    const op = step.op;
    const ctx = this.index ? stepContextDigests(step, this.index) : [];
    const refDigest = (ref: SourceRef, p: string | undefined): string | undefined =>
      ref.kind === 'stage' ? `stage:${this.results.get(ref.stage)!.key}:${p ?? ''}` : ref.kind === 'image' ? `image:${this.images.get(ref.ref)!.id}:${p ?? ''}` : undefined;
    if (op.op === 'copy') {
      const out: string[] = [];
      for (let i = 0; i < op.sources.length; i++) {
        const s = op.sources[i];
        if (s.kind === 'path' && s.from.kind === 'stage') out.push(await this.stageSourceDigest(s.from.stage, s.path, op.instruction, op.excludes));
        else if (s.kind === 'path') out.push(ctx[i] ?? refDigest(s.from, s.path) ?? '');
        else if (s.kind === 'url') {
          if (s.checksum && !noCache) out.push(s.checksum);
          else {
            const got = await fetchUrl(s.url, s.checksum, this.abort.signal);
            fetched.set(s.url, got);
            out.push(got.digest);
          }
        } else out.push('');
      }
      return out;
    }
    if (op.op === 'run') return op.mounts.map((m, i) => ctx[i] ?? (m.type === 'bind' ? refDigest(m.from, m.source) : undefined) ?? '');
    return [];
  }

  /**
   * What a COPY takes from another stage, by content (type, mode, owner, link target, bytes) — not
   * by the stage's key: a stage rebuilt into the same files (a binary compiled again from a source
   * whose change did not reach it) leaves the copying stage cached, as BuildKit's content keys do.
   */
  private async stageSourceDigest(stage: number, source: string, what: string, excludes: readonly string[]): Promise<string> {
    const view = await this.deps.executor.view(lowerOf(this.results.get(stage)!));
    try {
      const h = createHash('sha256');
      for (const t of await viewTrees(view.path, source, what, excludes)) {
        for (const item of t.items) {
          h.update(`${t.path}\0${item.rel}\0${item.type}\0${item.mode}\0${item.uid}\0${item.gid}\0${item.linkTarget ?? ''}\0`);
          if (item.type === 'file' && item.source) {
            if ((item.size ?? 0) <= 1 << 20) h.update(readFileSync(item.source));
            else for await (const chunk of createReadStream(item.source)) h.update(chunk as Buffer);
          }
        }
      }
      return `stage-content:sha256:${h.digest('hex')}`;
    } finally {
      await view.release();
    }
  }

  private async runStep(stage: PlannedStage, step: PlannedStep, root: StageRoot, missed: boolean): Promise<{ root: StageRoot; cached: boolean; layer?: string }> {
    const op = step.op;
    const now = this.deps.now().toISOString();
    const noCache = this.noCacheFor(stage);
    const top = root.layers.at(-1)?.diffId ?? root.baseDiffIds.at(-1) ?? '';
    if (op.op === 'config' || op.op === 'from') {
      const key = stepCacheKey(step, sha({ parent: root.key, top }));
      return { root: { ...root, key, history: [...root.history, { text: step.text, layer: false, created: root.created }] }, cached: !missed && !noCache };
    }
    const fetched = new Map<string, Fetched>();
    let digests: string[];
    try {
      digests = await this.contentDigests(step, fetched, noCache);
    } catch (e) {
      throw new BuildStepError((e as Error).message, this.where(step, stage));
    }
    const linked = op.op === 'copy' && op.link;
    // --link: the layer does not depend on what is under it, so neither does its key.
    const key = stepCacheKey(step, linked ? 'link' : sha({ parent: root.key, top }), digests);
    const volatile = op.op === 'run' || (op.op === 'copy' && op.sources.some((s) => s.kind === 'url' && !s.checksum));
    const hit = noCache && volatile ? undefined : await this.deps.cache.lookup(key);
    if (hit) {
      this.deps.cache.touch(key, this.deps.now());
      return { root: this.withResult(root, key, hit.diffId, step, hit.createdAt), cached: true };
    }
    // WORKDIR of a directory that exists changes nothing: no mount, no layer.
    if (op.op === 'workdir' && (await this.dirExists(lowerOf(root), op.path))) {
      await this.deps.cache.commit({ key, size: 0, createdAt: now, description: `[${stage.label} ${step.ordinal}/${stage.steps.length}] ${step.text}` });
      return { root: this.withResult(root, key, undefined, step, now), cached: false };
    }
    // A checksummed URL was keyed by its checksum alone: a miss fetches it now (and checks it).
    if (op.op === 'copy') {
      for (const s of op.sources) {
        if (s.kind !== 'url' || fetched.has(s.url)) continue;
        try {
          fetched.set(s.url, await fetchUrl(s.url, s.checksum, this.abort.signal));
        } catch (e) {
          throw new BuildStepError((e as Error).message, this.where(step, stage));
        }
      }
    }
    const work = await this.deps.cache.tmpDir('step');
    try {
      const upper = `${work}/upper`;
      const lowers = linked ? [] : lowerOf(root);
      const known = new Map<string, Buffer>();
      await this.execute(stage, step, root, lowers, upper, `${work}/work`, fetched, known);
      const tarPath = `${work}/layer.tar`;
      const diff = await diffUpper({ upper, lowerDirs: lowers, tarPath, known, ...(this.req.sourceDateEpoch !== undefined ? { sourceDateEpoch: this.req.sourceDateEpoch } : {}) });
      await this.deps.cache.commit(
        { key, ...(diff.diffId ? { diffId: diff.diffId } : {}), size: diff.size, createdAt: now, description: `[${stage.label} ${step.ordinal}/${stage.steps.length}] ${step.text}` },
        diff.diffId ? { upper, tarPath } : undefined,
      );
      return { root: this.withResult(root, key, diff.diffId, step, now), cached: false, ...(diff.diffId ? { layer: diff.diffId } : {}) };
    } finally {
      await fs.rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private withResult(root: StageRoot, key: string, diffId: string | undefined, step: PlannedStep, created: string): StageRoot {
    const layers = [...root.layers];
    if (diffId) {
      this.pins.push(this.deps.cache.pin(diffId));
      layers.push({ diffId, dir: this.deps.cache.layerDir(diffId), tarPath: this.deps.cache.layerTar(diffId) });
    }
    return {
      ...root,
      key,
      layers,
      history: [...root.history, { text: step.text, layer: diffId !== undefined, created }],
      created: created > root.created ? created : root.created,
    };
  }

  private async dirExists(lowers: readonly string[], p: string): Promise<boolean> {
    if (lowers.length === 0) return false;
    const view = await this.deps.executor.view(lowers);
    try {
      const host = await resolveInRoot(view.path, p, { followLast: true });
      return host !== undefined && (await fs.stat(host).catch(() => undefined))?.isDirectory() === true;
    } finally {
      await view.release();
    }
  }

  /** Mounts the views a step reads from (stages, images), runs `fn`, releases them. */
  private async withViews<T>(refs: readonly SourceRef[], fn: (viewOf: (ref: SourceRef) => string) => Promise<T>): Promise<T> {
    const views = new Map<string, RootView>();
    const id = (ref: SourceRef): string => (ref.kind === 'stage' ? `stage:${ref.stage}` : ref.kind === 'image' ? `image:${ref.ref}` : ref.kind);
    try {
      for (const ref of refs) {
        if (ref.kind !== 'stage' && ref.kind !== 'image') continue;
        if (views.has(id(ref))) continue;
        const lowers = ref.kind === 'stage' ? lowerOf(this.results.get(ref.stage)!) : this.images.get(ref.ref)!.lowerDirs;
        views.set(id(ref), await this.deps.executor.view(lowers));
      }
      return await fn((ref) => {
        const v = views.get(id(ref));
        if (!v) throw new BuildError(`internal: no view of ${id(ref)}`);
        return v.path;
      });
    } finally {
      for (const v of views.values()) await v.release().catch(() => undefined);
    }
  }

  private async execute(stage: PlannedStage, step: PlannedStep, root: StageRoot, lowers: string[], upper: string, work: string, fetched: Map<string, Fetched>, known: Map<string, Buffer>): Promise<void> {
    const op = step.op;
    const where = this.where(step, stage);
    // The context is read from disk; an archive is written out the first time a step reads it.
    // RUN bind mounts need the context as a directory (an archive is written out the first time);
    // COPY reads an archive's files from memory.
    const binds = op.op === 'run' && op.mounts.some((m) => m.type === 'bind' && m.from.kind === 'context');
    const c = this.req.context;
    const dir = binds && c ? (c.dir ?? (await c.tar!.directory())) : c?.dir;
    const ctx = c && this.index ? { dir, files: (c.dir ? { dir: c.dir } : c.tar!) as ContextFiles, index: this.index } : undefined;
    if (op.op === 'run') {
      await fs.mkdir(upper);
      const tail = new OutputTail(20);
      const refs = op.mounts.map((m) => m.from);
      const outcome = await this.withViews(refs, (viewOf) =>
        executeRun(op, {
          executor: this.deps.executor,
          cache: this.deps.cache,
          lowerDirs: lowers,
          ...(ctx?.dir ? { context: { dir: ctx.dir } } : {}),
          viewOf,
          secrets: this.req.secrets ?? new Map(),
          proxyEnv: step.proxyEnv ?? [],
          ...(this.req.extraHosts ? { extraHosts: this.req.extraHosts } : {}),
          ...(this.req.shmSize ? { shmSize: this.req.shmSize } : {}),
          ...(this.req.network ? { network: this.req.network } : {}),
          upperTarget: upper,
          onOutput: (stream, data) => {
            tail.push(data);
            this.deps.emit({ type: 'output', id: step.id, stream, data });
          },
          now: this.deps.now,
          signal: this.abort.signal,
        }),
      ).catch((e: unknown) => {
        if (e instanceof BuildStepError) throw e;
        throw new BuildStepError((e as Error).message, where);
      });
      await removeMountStubs(upper, lowers, [...RUNTIME_MOUNT_POINTS, ...op.mounts.map((m) => m.target), ...op.files.map((f) => f.path)]);
      if (outcome.exitCode !== 0) {
        const command = op.argv.join(' ');
        throw new BuildStepError(
          `process "${command}" did not complete successfully: exit code: ${outcome.exitCode}`,
          where,
          outcome.exitCode,
          tail.get(),
          outcome.networked || op.network === 'none'
            ? undefined
            : this.deps.executor.outboundNat
              ? 'the step ran with loopback only: build steps are not attached to the engine\'s bridge yet; if it downloads something, put it in the build context instead'
              : "the step ran without network: the engine's outbound NAT is off (BERTH_OUTBOUND_NAT=1 turns it on); if it downloads something, put it in the build context instead",
        );
      }
      return;
    }
    await fs.mkdir(upper);
    await fs.mkdir(work);
    const refs = op.op === 'copy' ? op.sources.flatMap((s) => (s.kind === 'path' ? [s.from] : [])) : [];
    const view = await this.deps.executor.writable(lowers.length > 0 ? lowers : [await this.emptyDir(work)], upper, work);
    try {
      if (op.op === 'workdir') {
        const owner = op.user ? await resolveOwner(lowerOf(root), op.user).catch(() => ({ uid: 0, gid: 0 })) : { uid: 0, gid: 0 };
        // Every component of the path is created (the probe's name itself never is).
        await resolveInRoot(view.path, `${op.path}/berth-workdir-probe`, { create: { ...owner, mode: 0o755 } });
        return;
      }
      if (op.op !== 'copy') return;
      const owner = op.chown ? await resolveOwner(lowerOf(root), op.chown) : undefined;
      const written = new Map<string, Buffer>();
      await this.withViews(refs, (viewOf) => executeCopy(op, { root: view.path, ...(ctx ? { context: { files: ctx.files, index: ctx.index } } : {}), viewOf, ...(owner ? { owner } : {}), fetched, written }));
      for (const [host, data] of written) known.set(path.relative(view.path, host), data);
    } catch (e) {
      if (e instanceof BuildStepError) throw e;
      const hint = e instanceof ContextError ? e.hint : undefined;
      throw new BuildStepError(e instanceof ContextError ? e.detail : (e as Error).message, where, undefined, [], hint);
    } finally {
      await view.release();
    }
  }

  private async emptyDir(work: string): Promise<string> {
    const dir = `${work}-empty`;
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }
}

// A watch session wires the pieces: the stack-file watcher marks the reconcile loop dirty; the
// loop reloads (the loader), plans and applies (a StackApplier); after each successful load the
// watched file set is recomputed; after each apply the develop.watch rules are re-installed and
// their own watcher feeds the DevelopSyncer. `runWatch` is what `berth watch` and
// `berth up --watch` call; `startWatchSession` is the same without waiting, for tests and bench.
import { EnginePortError, type EnginePort } from '../client/engine-port.js';
import { BerthError } from '../errors.js';
import { ProgressTracker, quietReporter } from '../apply/progress.js';
import { executeBuilds } from '../compose/build.js';
import { imageOf } from '../plan/container-spec.js';
import { discover } from '../loader/discover.js';
import { loadProject, type LoadedProject, type LoadOptions } from '../loader/loader.js';
import type { StackApplier } from './applier.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { developRules, developWatchSpec, type DevelopRule } from './develop.js';
import { DevelopSyncer, type DevelopEngine, type DevelopReport } from './develop-sync.js';
import { diffModels, hashServices, type ServiceHashes } from './diff.js';
import { chokidarWatcher, type FileWatcherFactory } from './file-watcher.js';
import { ReconcileLoop, type CycleReport } from './loop.js';
import { formatCycle, formatDevelop, type PlannedCycle } from './report.js';
import { stackSources, stackWatchSpec, type StackSources } from './sources.js';

export interface WatchOptions {
  loadOptions: LoadOptions;
  /** Files came from -f or COMPOSE_FILE (no implicit override file to watch for). */
  explicitFiles: boolean;
  /** --env-file given (the project's `.env` is not read). */
  explicitEnvFiles: boolean;
  applier: StackApplier;
  /** The engine develop.watch syncs into; without it develop.watch rules are ignored (with a notice). */
  /** With `images` and `version`, develop.watch `rebuild` can build (the CLI passes its whole EnginePort). */
  engine?: DevelopEngine & Partial<Pick<EnginePort, 'images' | 'version'>>;
  /** Quiet window in ms (default 50). */
  debounceMs?: number;
  /** `--no-up` / `up --watch`: the first load only records the model; changes apply from the next save on. */
  skipInitialApply?: boolean;
  clock?: Clock;
  watcherFactory?: FileWatcherFactory;
  /** Where the reports go (stderr in the CLI: stdout carries container output under `up`). */
  print: (text: string) => void;
  cwd: string;
  onCycle?: (r: CycleReport<LoadedModel, PlannedStep, void>) => void;
  onDevelop?: (r: DevelopReport) => void;
}

export interface LoadedModel {
  loaded: LoadedProject;
  hashes: ServiceHashes;
  rules: DevelopRule[];
}

export interface PlannedStep extends PlannedCycle {
  plan: unknown;
  /** Re-created after the plan on a develop.watch `rebuild`. */
  forced?: string[];
}

export interface WatchSession {
  /** Resolves when no cycle or sync runs and none is due. */
  idle(): Promise<void>;
  close(): Promise<void>;
  /** The files the stack watcher follows now. */
  sources(): StackSources;
}

export async function startWatchSession(opts: WatchOptions): Promise<WatchSession> {
  const clock = opts.clock ?? systemClock;
  const factory = opts.watcherFactory ?? chokidarWatcher;
  const debounceMs = opts.debounceMs ?? 50;
  const watcherError = (e: Error) => opts.print(`watch: file watcher error: ${e.message}\n`);

  let last: { project: LoadedProject['project']; hashes: ServiceHashes } | undefined;
  let current: LoadedModel | undefined;
  let sources: StackSources = initialSources(opts);
  let developNoticeShown = false;
  let skipNext = opts.skipInitialApply === true;
  /** Services a develop.watch `rebuild` asked to re-create; taken by the next cycle. */
  const rebuilds = new Set<string>();

  // The watchers' callbacks reach the loop and the syncer only once events arrive, after both exist.
  const stackWatcher = factory((e) => loop.markDirty(e.path), watcherError);
  const developWatcher = factory((e) => syncer.markChanged(e.path), watcherError);
  const syncer = new DevelopSyncer({
    engine: opts.engine ?? unavailableEngine,
    project: () => current?.loaded.project.name ?? '',
    clock,
    debounceMs,
    report: (r) => {
      opts.print(formatDevelop(r));
      opts.onDevelop?.(r);
    },
    rebuild: async (service) => {
      const svc = current?.loaded.project.services[service];
      if (!current || !svc) return undefined;
      // A service with `build:` is rebuilt (the build cache makes an unchanged step free); one with
      // only `image:` is re-created from whatever the engine has under that name now.
      let note = `re-creating ${service} from the local image ${svc.image}`;
      if (svc.build) {
        const engine = opts.engine;
        if (!engine?.images || !engine.version) throw new BerthError(`rebuild of ${service} needs an engine connection that can build`);
        const started = clock.now();
        const quiet = new ProgressTracker(quietReporter, () => clock.now());
        await executeBuilds({ images: engine.images, version: () => engine.version!() }, current.loaded.project, [{ service, image: imageOf(current.loaded.project, service), cause: 'develop.watch rebuild' }], {}, quiet, (w) => opts.print(`watch: ${w}\n`));
        note = `rebuilt ${service} in ${Math.round(clock.now() - started)} ms; re-creating it`;
      }
      if (!opts.applier.recreate) throw new BerthError('this engine connection cannot re-create services');
      // Through the loop, so it is never applied beside another cycle.
      rebuilds.add(service);
      loop.markDirty(`${service} (develop.watch rebuild)`);
      return note;
    },
  });

  const loop: ReconcileLoop<LoadedModel, PlannedStep, void> = new ReconcileLoop<LoadedModel, PlannedStep, void>(
    {
      load: async () => {
        const loaded = loadProject(opts.loadOptions);
        const rules = developRules(loaded.project, loaded.discovery.projectDir);
        const model = { loaded, hashes: hashServices(loaded.project), rules };
        // The set of files that shaped this model is the set to watch from now on. A failed
        // load never gets here, so a broken file stays watched until it loads again.
        sources = stackSources(loaded, { explicitEnvFiles: opts.explicitEnvFiles, explicitFiles: opts.explicitFiles });
        await stackWatcher.update(stackWatchSpec(sources));
        return model;
      },
      plan: async (m) => {
        if (skipNext) return { plan: undefined, diff: { services: [], resources: [] }, actions: [] };
        const plan = await opts.applier.plan(m.loaded);
        const actions = opts.applier.describe(plan);
        const forced = [...rebuilds].filter((s) => m.loaded.project.services[s] && !actions.some((a) => a.target === s && /create/.test(a.action)));
        rebuilds.clear();
        for (const s of forced) actions.push({ target: s, action: 'recreate', cause: 'develop.watch rebuild' });
        return { plan, forced, diff: diffModels(last, { project: m.loaded.project, hashes: m.hashes }), actions };
      },
      execute: async (p, m) => {
        if (!skipNext) await opts.applier.execute(p.plan, m.loaded);
        if (p.forced?.length) await opts.applier.recreate?.(m.loaded, p.forced);
        const firstApply = last === undefined;
        last = { project: m.loaded.project, hashes: m.hashes };
        current = m;
        if (m.rules.length && !opts.engine && !developNoticeShown) {
          developNoticeShown = true;
          opts.print('watch: develop.watch rules need an engine connection; they are ignored\n');
        }
        const rules = opts.engine ? m.rules : [];
        syncer.setRules(rules);
        await developWatcher.update(developWatchSpec(rules));
        // initial_sync: the tree goes in when the container is new (first up, created, re-created).
        const fresh = new Set(p.diff.services.filter((s) => firstApply || s.kind === 'added' || s.hashChanged).map((s) => s.service));
        if (fresh.size) await syncer.initialSync(fresh);
      },
    },
    (r) => {
      // Only the very first cycle is skipped, whatever its outcome.
      const skipped = skipNext && r.kind === 'applied';
      skipNext = false;
      opts.print(skipped ? 'watch: stack files loaded; changes apply from the next save on\n' : formatCycle(r, opts.cwd));
      opts.onCycle?.(r);
    },
    {
      clock,
      debounceMs,
      // Engine unreachable or a server error: worth retrying. A user error (bad image name, a
      // conflict) waits for the next save.
      isTransient: (e) => !(e instanceof BerthError) || (e instanceof EnginePortError && (e.status === 0 || e.status >= 500)),
    },
  );

  // Watch before the first load: a save during the initial up is not lost.
  await stackWatcher.update(stackWatchSpec(sources));
  loop.start();

  return {
    idle: async () => {
      await loop.idle();
      await syncer.idle();
      await loop.idle();
    },
    close: async () => {
      await loop.close();
      await syncer.close();
      await stackWatcher.close();
      await developWatcher.close();
    },
    sources: () => sources,
  };
}

/** `berth watch` / `berth up --watch`: runs until the signal fires (Ctrl-C), then stops watching. The stack keeps running. */
export async function runWatch(opts: WatchOptions & { signal: AbortSignal }): Promise<void> {
  const session = await startWatchSession(opts);
  opts.print('watch: watching the stack files; Ctrl-C stops watching (the stack keeps running)\n');
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await session.close();
}

/** Before anything loads, the files discovery finds (so a project that does not load yet is still watched). */
function initialSources(opts: WatchOptions): StackSources {
  try {
    const d = discover(opts.loadOptions);
    const files = new Set(d.files.filter((f) => f !== '-'));
    for (const f of d.envFiles) files.add(f);
    return { files: [...files].sort() };
  } catch {
    return { files: [] };
  }
}

const unavailableEngine: DevelopEngine = new Proxy({} as DevelopEngine, {
  get: () => {
    throw new BerthError('no engine connection for develop.watch');
  },
});

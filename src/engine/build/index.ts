// The build room. Front half: Dockerfile → ParsedDockerfile → BuildPlan (pure), and the build
// context (a directory, or a tar held in memory) → an index with content digests. Back half: the
// solver, which runs a plan against the engine through two ports (an image store and a runtime).
export { DockerfileError, DockerfileErrors, type BuildWarning, type SourcePosition } from './dockerfile/errors.js';
export type * from './dockerfile/model.js';
export { parseDockerfile, isBuiltinFrontend, type ParseOptions } from './dockerfile/parse.js';
export { formatPlatform, parsePlatform, type Platform } from './dockerfile/platform.js';
export { planBuild, stepCacheKey, type PlanOptions } from './plan/plan.js';
export { formatPlan } from './plan/plan-text.js';
export type * from './plan/types.js';
export { ContextError, type ContextErrorKind } from './context/errors.js';
export type { ContextEntry, EntryMeta, EntryType } from './context/digest.js';
export { IgnoreMatcher, parseIgnoreFile, type IgnoreRules } from './context/ignore.js';
export { matchPath, hasWildcard } from './context/glob.js';
export { loadIgnoreRules, walkContext, type ContextIndex, type WalkOptions, type MetaOverride } from './context/walk.js';
export { selectSource, selectSources, contextRelative, type SourceSelection, type SelectOptions } from './context/select.js';
export { extractContextTar, type ExtractedContext, type ExtractOptions } from './context/tar.js';
export { stepContextDigests, checkContextSources } from './context/plan-inputs.js';
export { readContextTar, type TarContext } from './context/tar-index.js';
export { walkTree, type TreeSource, type TreeStat } from './context/walk.js';
// The back half: the solver and its ports (the daemon implements them: daemon/build-store.ts, daemon/build-executor.ts).
export { solve, BuildError, type SolveRequest, type SolveDeps, type SolveResult } from './solve/solver.js';
export { BuildCache, type BuildCacheUsage, type PruneOptions, type PruneResult } from './solve/cache.js';
export { BuildStepError, type BuildEvent } from './solve/events.js';
export { BuildStoreError, type BuildImageStore, type BuildExecutor, type BuiltLayer, type OciImageConfig, type ResolvedImage, type RunRequest, type RunOutcome, type RootView, type BuildMount } from './solve/ports.js';

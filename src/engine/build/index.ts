// The build room's front half, for the solver: Dockerfile → ParsedDockerfile → BuildPlan (pure),
// and the build context → an index with content digests (the only I/O here).
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

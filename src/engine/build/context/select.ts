// A COPY/ADD source against the walked context: the entries it takes (wildcards with
// filepath.Match semantics, directories with what is under them, --exclude patterns with
// .dockerignore semantics) and the digest of that selection. A source that matches nothing
// says so, and says when the ignore file is why.
import path from 'node:path';
import { selectionDigest, type ContextEntry } from './digest.js';
import { ContextError } from './errors.js';
import { hasWildcard, matchPath } from './glob.js';
import { IgnoreMatcher } from './ignore.js';
import type { ContextIndex } from './walk.js';

export interface SourceSelection {
  /** The paths the source matched (one unless it has wildcards). */
  roots: string[];
  /** Every entry taken: the roots and, for directories, what is under them. */
  entries: ContextEntry[];
  digest: string;
}

export interface SelectOptions {
  /** `COPY`/`ADD`/`RUN --mount`, for messages. */
  what?: string;
  excludes?: readonly string[];
}

/** A source made relative to the context root; one that climbs out is refused. */
export function contextRelative(source: string, what = 'COPY'): string {
  const rel = path.posix.normalize(source.replace(/^\/+/, '') || '.').replace(/\/$/, '') || '.';
  if (rel === '..' || rel.startsWith('../')) {
    throw new ContextError('escape', `${what} source ${JSON.stringify(source)} is outside the build context`, 'sources are relative to the context root; move the file into the context');
  }
  return rel;
}

function notFound(index: ContextIndex, source: string, rel: string, what: string): ContextError {
  const { ignore } = index;
  const by = hasWildcard(rel) ? undefined : ignore.excludedBy(rel);
  const excludedMatch = hasWildcard(rel) && index.excluded.some((e) => matchPath(rel, e));
  if (by || excludedMatch) {
    const file = ignore.rules.source ?? '.dockerignore';
    return new ContextError(
      'excluded',
      `${what} source ${JSON.stringify(source)} is excluded by ${file}${by ? ` (line ${by.line}: ${by.pattern})` : ''}`,
      by ? `remove that line, or add an exception such as !${rel}` : 'change the ignore rules or the source',
    );
  }
  return new ContextError('not-found', `${what} source ${JSON.stringify(source)} not found in the build context`, 'sources are relative to the context directory');
}

const under = (root: string, p: string): boolean => root === '.' || p.startsWith(`${root}/`);

export function selectSource(index: ContextIndex, source: string, opts: SelectOptions = {}): SourceSelection {
  const what = opts.what ?? 'COPY';
  const rel = contextRelative(source, what);
  let roots: string[];
  if (hasWildcard(rel)) {
    // As BuildKit's resolveWildcards: the pattern is matched against whole paths, and a matched
    // directory is taken whole (nothing under it is matched again).
    const matched = [...index.entries.keys()].filter((p) => p !== '.' && matchPath(rel, p)).sort();
    roots = matched.filter((p) => !matched.some((q) => q !== p && under(q, p)));
  } else {
    roots = index.entries.has(rel) ? [rel] : [];
  }
  if (roots.length === 0) throw notFound(index, source, rel, what);

  const all = [...index.entries.values()];
  const taken = new Map<string, ContextEntry>();
  for (const r of roots) {
    for (const e of all) if (e.path === r || (index.entries.get(r)?.type === 'dir' && under(r, e.path))) taken.set(e.path, e);
  }

  const excludes = opts.excludes ?? [];
  if (excludes.length === 0) {
    // Directory digests already cover their content.
    const digest = selectionDigest(roots.map((r) => ({ path: r, digest: index.entries.get(r)!.digest })));
    return { roots, entries: [...taken.values()].sort((a, b) => (a.path < b.path ? -1 : 1)), digest };
  }
  // --exclude patterns are relative to the source: inside a copied directory (so `*_test.go`
  // leaves out its top-level tests and `**/*_test.go` all of them), the name of a copied file.
  const matcher = new IgnoreMatcher({ patterns: excludes.map((pattern, i) => ({ pattern, line: i + 1 })) });
  const kept = [...taken.values()].filter((e) => {
    if (roots.includes(e.path)) return e.type === 'dir' || !matcher.ignores(path.posix.basename(e.path));
    const root = roots.find((r) => under(r, e.path))!;
    return !matcher.ignores(root === '.' ? e.path : e.path.slice(root.length + 1));
  });
  // Directory digests would still count excluded children: hash the entries one by one instead,
  // directories by their own metadata.
  const digest = selectionDigest(kept.map((e) => ({ path: e.path, digest: e.type === 'dir' ? `dir:${e.mode}:${e.uid}:${e.gid}` : e.digest })));
  return { roots, entries: kept.sort((a, b) => (a.path < b.path ? -1 : 1)), digest };
}

/** Several sources of one COPY: one digest over all of them, in order. */
export function selectSources(index: ContextIndex, sources: readonly string[], opts: SelectOptions = {}): SourceSelection {
  const parts = sources.map((s) => selectSource(index, s, opts));
  return {
    roots: parts.flatMap((p) => p.roots),
    entries: parts.flatMap((p) => p.entries),
    digest: selectionDigest(parts.map((p, i) => ({ path: `${i}`, digest: p.digest }))),
  };
}

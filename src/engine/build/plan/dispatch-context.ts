// What the per-instruction dispatchers share while one stage is planned.
import path from 'node:path';
import { DockerfileError, type SourcePosition } from '../dockerfile/errors.js';
import type { ParsedDockerfile } from '../dockerfile/model.js';
import type { Expander, StageState } from './state.js';
import type { SourceRef } from './types.js';

export interface DispatchContext {
  parsed: ParsedDockerfile;
  state: StageState;
  expand: Expander;
  errors: DockerfileError[];
  /** Context paths read by this build (COPY/ADD sources, bind mounts from the context). */
  contextPaths: Set<string>;
  images: Set<string>;
  allowInsecure: boolean;
  /** Resolves a --from value (already checked by the stage graph). */
  resolveFrom(value: string, position: SourcePosition, what: string): SourceRef | undefined;
}

export function fail(d: DispatchContext, message: string, position: SourcePosition, hint?: string): undefined {
  d.errors.push(new DockerfileError(message, { file: d.parsed.file, position, hint }));
  return undefined;
}

/**
 * A source path made relative to the root it is read from. For the build context a path that
 * climbs out (`../x`) is refused; inside a stage or image `..` stops at `/`, as in BuildKit.
 */
export function sourcePath(d: DispatchContext, src: string, from: SourceRef, position: SourcePosition, what: string): string | undefined {
  if (from.kind === 'context') {
    const rel = path.posix.normalize(src.replace(/^\/+/, '') || '.');
    if (rel === '..' || rel.startsWith('../')) {
      return fail(d, `${what} source ${JSON.stringify(src)} is outside the build context`, position, 'sources are relative to the context root; move the file into the context');
    }
    return rel === './' ? '.' : rel.replace(/\/$/, '') || '.';
  }
  const abs = path.posix.normalize(`/${src}`);
  return abs === '/' ? '.' : abs.slice(1).replace(/\/$/, '');
}

/** A path in the image, relative ones taken from WORKDIR; a trailing `/` is kept. */
export function imagePath(workingDir: string, p: string): string {
  const abs = p.startsWith('/') ? p : path.posix.join('/', workingDir || '/', p);
  const clean = path.posix.normalize(abs);
  return p.endsWith('/') && clean !== '/' ? `${clean.replace(/\/$/, '')}/` : clean.replace(/(.)\/$/, '$1');
}

// Errors of the Dockerfile frontend. Each names where the problem is (`Dockerfile:12:5`), what is
// wrong and, where we can tell, what to do about it. The parser keeps going after a bad
// instruction, so a file with several mistakes is reported in one pass, sorted by position.
import { BerthError, formatLocation, type Location, type Warning } from '../../../errors.js';

/** A 1-based line and column in the Dockerfile, as editors count them. */
export interface SourcePosition {
  line: number;
  column: number;
}

export class DockerfileError extends BerthError {
  readonly location: Location;
  /** The bare message, without location or hint: what tests and aggregators compare. */
  readonly detail: string;
  readonly hint?: string;

  constructor(detail: string, opts: { file: string; position?: SourcePosition; hint?: string; cause?: unknown }) {
    const location: Location = { file: opts.file, line: opts.position?.line, column: opts.position?.column };
    super(`${formatLocation(location)}: ${detail}${opts.hint ? ` (${opts.hint})` : ''}`, { cause: opts.cause });
    this.location = location;
    this.detail = detail;
    this.hint = opts.hint;
  }

  /** `line:column`, or `line` alone: what golden tests compare. */
  get where(): string {
    const { line, column } = this.location;
    if (line === undefined) return '';
    return column === undefined ? `${line}` : `${line}:${column}`;
  }
}

/** Every problem found in one pass, in file order. */
export class DockerfileErrors extends BerthError {
  readonly errors: readonly DockerfileError[];
  constructor(errors: readonly DockerfileError[]) {
    super(
      errors.length === 1
        ? errors[0].message
        : `${errors.length} problems:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
    this.errors = errors;
  }
}

function byPosition(a: DockerfileError, b: DockerfileError): number {
  return (
    (a.location.line ?? 0) - (b.location.line ?? 0) ||
    (a.location.column ?? 0) - (b.location.column ?? 0) ||
    a.detail.localeCompare(b.detail)
  );
}

/** Throws the collected errors, if any, sorted by position: one as itself, several together. */
export function throwIfErrors(errors: readonly DockerfileError[]): void {
  if (errors.length === 0) return;
  // A value checked in two places (a --from by the stage graph and by the step) is reported once.
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  const sorted = unique.sort(byPosition);
  if (sorted.length === 1) throw sorted[0];
  throw new DockerfileErrors(sorted);
}

/** A non-fatal finding (deprecated MAINTAINER, unused build arg): printed, never fatal. */
export type BuildWarning = Warning;

export function warningAt(message: string, file: string, position?: SourcePosition): BuildWarning {
  return { message, location: { file, line: position?.line, column: position?.column } };
}

// Errors of the build context: a source that is missing or excluded, an archive or directory
// that tries to reach outside the context. `kind` lets the API layer pick a status code.
import { BerthError } from '../../../errors.js';

export type ContextErrorKind = 'not-found' | 'excluded' | 'escape' | 'invalid' | 'io';

export class ContextError extends BerthError {
  constructor(
    readonly kind: ContextErrorKind,
    /** The bare message, without the hint. */
    readonly detail: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(hint ? `${detail} (${hint})` : detail, options);
  }
}
